"""Latency of one prediction at a time on the CPU: fastai's `learn.predict` against the bare forward passes and `CarClassifier.predict`.

usage: python bench/latency.py [--rounds 30] [--threads 2] [--arch resnet34] [--size 224] [--image FILE.jpg] [--served-only]
                              [--baseline MODEL_DIR [--baseline-finder FINDER_DIR]]

All paths use the same network (ResNet34 by default, 196 classes; random weights, since latency does not depend on their values).
The input is one 640x480 JPEG (a drawn car unless --image is given). Methods are timed in interleaved rounds (each round calls every
method once, in turn), after warm-up, so that machine noise hits them alike; the table gives the median (p50) and 95th percentile.
  fastai learn.predict        PILImage.create(path) (read + decode, as fastai's ImageBlock does first), fastai transforms, forward,
                              decoding of the class: what the seed demo served
  bare forward (torch)        the network alone on a ready 1x3xSxS tensor
  bare forward channels_last  the same in channels-last memory format
  bare forward (onnxruntime)  the same network exported to ONNX, run by ONNX Runtime
  CarClassifier.predict       end to end: read + decode the JPEG, resize as fastai does, forward, softmax, top-5 (both backends):
                              the exact paths, whose probabilities equal fastai's; the headline ratios use the faster of the two
  not exact: ... fast         JPEG decoded at reduced scale and one resize (probabilities close to, not equal to, fastai's)
  not exact: int8             model.int8.onnx (8-bit weights and activations): faster where the CPU has VNNI; its fidelity on
                              real photos is measured by bench/int8.py, not here (random weights)
The closing lines give the exact path's ratios against learn.predict and the bare forward; the not-exact paths have lines of their own.
Cold start: a new Python process that imports car_classifier.inference, loads the model and answers once.

Served paths (the last table; `--served-only` runs it alone): the shipped model and finder on one photo at a time, at
640x480 and 4000x3000 (the shipped example photo, or --image, resized and saved as JPEG, quality 90), interleaved:
  one pass, exact             the whole photo, decoded at full scale, resized as fastai does (`predict(locate=False)`,
                              `fast=False`): what `predict` served before the finder
  one pass, fast              the same with reduced-scale JPEG decoding (`fast=True`)
  finder, fast                what the demo, the CLI and the Space serve: reduced-scale decoding, the finder (is it a car,
                              where), the crop, the car model (`predict()`, `fast=True`)
  finder, exact               the same, decoded at full scale
The closing lines give the served path's p50 against the one-pass exact path (goal: at most 2.0x at 640x480) and in ms
at 4000x3000 (goal: at most 80 ms)."""
import argparse, json, subprocess, sys, tempfile, time, warnings
warnings.filterwarnings('ignore')
from pathlib import Path
import numpy as np, torch
from fastai.vision.core import PILImage
from car_classifier.data import cars_dataloaders
from car_classifier.tiny import draw_car, make_tiny_cars
from car_classifier.learner import cars_learner
from car_classifier.inference import CarClassifier
from car_classifier.export import save_classifier

def make_model(tmp:Path, arch:str, size:int):
    "A fastai learner for 196 classes (tiny stand-in data) and its saved folder."
    data = make_tiny_cars(tmp/'data', 'folders', n_classes=196, n_per_class=2, n_test_per_class=0,
                          size=(64, 48))  # at least MIN_SIDE: the int8 calibration reads them
    dls = cars_dataloaders(data, size=size, bs=8, valid_pct=0.5, num_workers=0)
    learn = cars_learner(dls, arch, pretrained=False)
    return learn, save_classifier(learn, tmp/'model')

def make_image(tmp:Path, path:str|None) -> Path:
    if path: return Path(path)
    img, _ = draw_car(42, size=(640, 480), seed=1)
    img.save(tmp/'car.jpg', quality=90)
    return tmp/'car.jpg'

def timer(fn, rounds:int, warmup:int=3):
    for _ in range(warmup): fn()
    def once():
        t = time.perf_counter(); fn(); return (time.perf_counter() - t) * 1000
    return once

def cold_start(model_dir:Path, image:Path, threads:int, runs:int=3) -> float:
    code = ("from car_classifier.inference import CarClassifier; c = "
            f"CarClassifier.from_pretrained({str(model_dir)!r}, threads={threads}, fast=True); "
            f"print(c.predict({str(image)!r}).top.label)")
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([sys.executable, '-c', code], check=True, capture_output=True)
        times.append(time.perf_counter() - t)
    return float(np.median(times))

def served_paths(rounds:int, threads:int, image:str|None=None, baseline:str|None=None,
                 baseline_finder:str|None=None) -> dict:
    "p50/p95 of the served paths of the shipped model, for a 640x480 and a 4000x3000 JPEG, interleaved."
    from PIL import Image
    from importlib.resources import files
    src = Image.open(image or sorted((Path(str(files('car_classifier')/'model'))/'examples').iterdir())[0]).convert('RGB')
    tmp = Path(tempfile.mkdtemp())
    clfs = {'one pass, exact': (CarClassifier.from_pretrained(threads=threads, finder=False), False),
            'one pass, fast': (CarClassifier.from_pretrained(threads=threads, finder=False, fast=True), False),
            'finder, fast': (CarClassifier.from_pretrained(threads=threads, fast=True), True),
            'finder, exact': (CarClassifier.from_pretrained(threads=threads), True)}
    if baseline:  # another model folder (and finder), e.g. a copy of the model shipped before: the same path, timed alike
        clfs['baseline, fast'] = (CarClassifier.from_pretrained(baseline, threads=threads, fast=True,
                                                                finder=baseline_finder or True), True)
    out = {}
    for w, h in ((640, 480), (4000, 3000)):
        photo = tmp/f'car_{w}x{h}.jpg'; src.resize((w, h), Image.BICUBIC).save(photo, quality=90)
        timers = {k: timer(lambda c=c, l=l: c.predict(photo, locate=l), rounds) for k, (c, l) in clfs.items()}
        times = {k: [] for k in clfs}
        for _ in range(rounds):
            for k, t in timers.items(): times[k].append(t())
        out[f'{w}x{h}'] = {k: dict(p50=float(np.median(v)), p95=float(np.percentile(v, 95))) for k, v in times.items()}
    print(f"\nServed paths: the shipped model and finder, one photo at a time, {threads} threads, {rounds} interleaved rounds")
    print(f"{'photo':10s} {'path':18s} {'p50 ms':>8s} {'p95 ms':>8s} {'p50 / one pass exact':>21s}")
    for size, r in out.items():
        for k, v in r.items():
            print(f"{size:10s} {k:18s} {v['p50']:8.1f} {v['p95']:8.1f} {v['p50'] / r['one pass, exact']['p50']:21.2f}")
    small, big = out['640x480'], out['4000x3000']
    print(f"served path (finder, fast) at 640x480: {small['finder, fast']['p50'] / small['one pass, exact']['p50']:.2f}x "
          f"the one-pass exact path (goal <= 2.0x)")
    print(f"served path (finder, fast) at 4000x3000: {big['finder, fast']['p50']:.1f} ms p50 (goal <= 80 ms), against "
          f"{big['one pass, exact']['p50']:.1f} ms one pass exact")
    if baseline:
        for size, r in out.items():
            print(f"served path at {size}: {r['finder, fast']['p50'] / r['baseline, fast']['p50']:.2f}x the baseline's "
                  f"({r['finder, fast']['p50']:.1f} ms against {r['baseline, fast']['p50']:.1f} ms p50)")
    return out

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--rounds', type=int, default=30); p.add_argument('--threads', type=int, default=2)
    p.add_argument('--arch', default='resnet34'); p.add_argument('--size', type=int, default=224)
    p.add_argument('--image'); p.add_argument('--served-only', action='store_true')
    p.add_argument('--baseline', help='served paths: also time this model folder (e.g. the model shipped before)')
    p.add_argument('--baseline-finder', help='with --baseline: its finder folder (default: its own, else shipped)')
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    if a.served_only:
        print(json.dumps(dict(served=served_paths(a.rounds, a.threads, a.image, a.baseline, a.baseline_finder))))
        return
    tmp = Path(tempfile.mkdtemp())
    learn, model_dir = make_model(tmp, a.arch, a.size)
    image = make_image(tmp, a.image)
    clf_torch = CarClassifier.from_pretrained(model_dir, backend='torch', threads=a.threads)
    clf_onnx = CarClassifier.from_pretrained(model_dir, backend='onnx', threads=a.threads)
    clf_fast = CarClassifier.from_pretrained(model_dir, backend='onnx', threads=a.threads, fast=True)
    clf_int8 = CarClassifier.from_pretrained(model_dir, threads=a.threads, fast=True, int8=True)
    net = learn.model.eval()
    x = torch.randn(1, 3, a.size, a.size)
    net_cl, x_cl = clf_torch.net, x.contiguous(memory_format=torch.channels_last)
    xn = x.numpy()
    def forward(): 
        with torch.inference_mode(): net(x)
    def forward_cl():
        with torch.inference_mode(): net_cl(x_cl)
    with learn.no_bar(): learn.predict(PILImage.create(image))
    methods = {
        'fastai learn.predict': lambda: learn.predict(PILImage.create(image)),
        'bare forward (torch)': forward,
        'bare forward channels_last': forward_cl,
        'bare forward (onnxruntime)': lambda: clf_onnx.session.run(['logits'], {'image': xn}),
        'CarClassifier.predict (torch)': lambda: clf_torch.predict(image),
        'CarClassifier.predict (onnx)': lambda: clf_onnx.predict(image),
        'not exact: CarClassifier.predict (onnx, fast)': lambda: clf_fast.predict(image),
        'not exact: int8 bare forward (onnxruntime)': lambda: clf_int8.session.run(['logits'], {'image': xn}),
        'not exact: int8 CarClassifier.predict (fast)': lambda: clf_int8.predict(image),
    }
    with learn.no_bar():
        timers = {k: timer(f, a.rounds) for k, f in methods.items()}
        times = {k: [] for k in methods}
        for _ in range(a.rounds):
            for k, t in timers.items(): times[k].append(t())
    p50 = {k: float(np.median(v)) for k, v in times.items()}
    p95 = {k: float(np.percentile(v, 95)) for k, v in times.items()}
    fastest_bare = min(v for k, v in p50.items() if k.startswith('bare'))
    exact = min((k for k in p50 if k.startswith('CarClassifier')),
                key=p50.get)  # the exact paths only: 'fast' and int8 are reported apart
    ours = p50[exact]
    print(f"\n{a.arch} at {a.size} px, {len(learn.dls.vocab)} classes, one {image.name} at a time, {a.threads} "
          f"threads, {a.rounds} interleaved rounds")
    print(f"{'method':46s} {'p50 ms':>8s} {'p95 ms':>8s} {'p50 / fastest bare':>19s}")
    for k in methods: print(f"{k:46s} {p50[k]:8.1f} {p95[k]:8.1f} {p50[k] / fastest_bare:19.2f}")
    speedup, overhead = p50['fastai learn.predict'] / ours, ours / fastest_bare
    cold = cold_start(model_dir, image, a.threads)
    print(f"cold start, process start to first prediction (onnx, fast): {cold:.2f} s (median of 3)")
    fast = p50['not exact: CarClassifier.predict (onnx, fast)']
    int8 = p50['not exact: int8 CarClassifier.predict (fast)']
    print("\nnot exact, fast path (reduced-scale JPEG decode, one resize): learn.predict / it "
          f"{p50['fastai learn.predict'] / fast:.2f}x")
    print("not exact, int8 (see bench/int8.py for its fidelity):      learn.predict / it "
          f"{p50['fastai learn.predict'] / int8:.2f}x")
    print(f"exact path, {exact}: learn.predict / it {speedup:.2f}x faster (goal >= 2.5x)")
    print(f"exact path, {exact} / fastest bare forward: {overhead:.3f} (goal <= 1.15)")
    served = served_paths(a.rounds, a.threads, a.image)
    print(json.dumps(dict(p50=p50, p95=p95, exact_path=exact, speedup=speedup, overhead=overhead, cold_start_s=cold,
                          served=served)))

if __name__ == '__main__': main()
