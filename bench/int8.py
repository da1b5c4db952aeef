"""The 8-bit network against the float32 one, on a dataset's labelled test images: accuracy, agreement, probability differences, speed.

usage: python bench/int8.py MODEL_DIR DATA [--threads 2]

MODEL_DIR holds model.onnx and model.int8.onnx (written by `car-classifier train`, or `car-classifier export --int8 DATA`);
DATA is any Stanford Cars layout `cars_dataframe` reads (e.g. ../shared/data/cars-sample). Both networks get the same
inputs (fastai's exact preprocessing); latency is the median of CarClassifier.predict on the first test image, interleaved."""
import argparse, json, time
import numpy as np
from car_classifier.data import cars_dataframe
from car_classifier.inference import CarClassifier

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('model'); p.add_argument('data')
    p.add_argument('--threads', type=int, default=2); p.add_argument('--rounds', type=int, default=30)
    a = p.parse_args()
    df = cars_dataframe(a.data)
    test = df[df.is_test & df.label.notna()]
    fp32, int8 = (CarClassifier.from_pretrained(a.model, backend='onnx', threads=a.threads, int8=q)
                  for q in (False, True))
    targets = np.array([fp32.cfg.classes.index(l) for l in test.label])
    probs = {}
    for name, clf in (('float32', fp32), ('int8', int8)):
        probs[name] = np.concatenate([clf.probabilities(list(test.fname[i:i + 32])) for i in range(0, len(test), 32)])
    top1 = {k: float((v.argmax(1) == targets).mean()) for k, v in probs.items()}
    agree = float((probs['float32'].argmax(1) == probs['int8'].argmax(1)).mean())
    diff = np.abs(probs['float32'] - probs['int8'])
    f, times = test.fname.iloc[0], {'float32': [], 'int8': []}
    for clf in (fp32, int8):
        for _ in range(3): clf.predict(f)
    for _ in range(a.rounds):
        for name, clf in (('float32', fp32), ('int8', int8)):
            t = time.perf_counter(); clf.predict(f); times[name].append((time.perf_counter() - t) * 1000)
    p50 = {k: float(np.median(v)) for k, v in times.items()}
    print(f"\n{fp32.cfg.arch}, {len(fp32.cfg.classes)} classes, {len(test)} labelled test images of {a.data}, "
          f"{a.threads} threads")
    print(f"{'':10s} {'top-1':>7s} {'predict p50 ms':>15s}")
    for k in probs: print(f"{k:10s} {top1[k]:7.2%} {p50[k]:15.1f}")
    print(f"int8 vs float32: same top-1 answer on {agree:.2%} of images; probability difference max {diff.max():.3f}, "
          f"mean of each image's max {diff.max(1).mean():.4f}; "
          f"accuracy {100 * (top1['int8'] - top1['float32']):+.2f} points; predict "
          f"{p50['float32'] / p50['int8']:.2f}x faster")
    print(json.dumps(dict(top1=top1, agreement=agree, max_prob_diff=float(diff.max()),
                          mean_max_prob_diff=float(diff.max(1).mean()), p50_ms=p50)))

if __name__ == '__main__': main()
