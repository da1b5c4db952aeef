"""How often the classifier answers "not a known car": on photos that are not cars, on degenerate inputs, and on real test cars.

usage: python bench/unknown.py [--model DIR] [--data DATA] [--photos DIR]

  --model   a model folder (default: the model shipped with the package)
  --data    a Stanford Cars copy whose labelled test images measure how many real cars are wrongly called unknown
            (e.g. ../shared/data/stanford-cars-224); left out, that line is skipped
  --photos  a folder of photos that are not cars (default: the sample images scikit-image ships: pip install scikit-image)

Every image goes through `CarClassifier.predict_batch`'s checks and network, as the demo serves it. The threshold is the one the model
ships with (`config.json`); the table after it shows what other thresholds would give, on the same probabilities."""
import argparse, importlib.util, io, json
from importlib.resources import files
from pathlib import Path
import numpy as np
from PIL import Image
from car_classifier.inference import CarClassifier, open_image
from car_classifier.data import IMAGE_SUFFIXES, cars_dataframe

def degenerate_inputs() -> dict:
    "Inputs with no car in them that a network would still answer."
    rng = np.random.default_rng(0)
    stripes = np.tile((np.arange(224) // 8 % 2 * 255).astype(np.uint8)[None, :, None], (224, 1, 3))
    return {'1x1 pixel': Image.new('RGB', (1, 1), 'red'),
            '8x8 pixels of noise': Image.fromarray(rng.integers(0, 255, (8, 8, 3), dtype=np.uint8)),
            'black 224x224': Image.new('RGB', (224, 224)), 'white 224x224': Image.new('RGB', (224, 224), 'white'),
            'grey 640x480': Image.new('RGB', (640, 480), (128, 128, 128)),
            'noise 224x224': Image.fromarray(rng.integers(0, 255, (224, 224, 3), dtype=np.uint8)),
            'vertical stripes 224x224': Image.fromarray(stripes)}

def answer(clf, image) -> tuple:
    "(top label, its probability, known or not, error) for one image."
    try: p = clf.predict(image)
    except ValueError as e: return None, None, False, str(e)
    return p.top.label, p.top.probability, p.is_known, None

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--model'); p.add_argument('--data'); p.add_argument('--photos')
    a = p.parse_args()
    if not a.photos and importlib.util.find_spec('skimage') is None:
        p.error("the default non-car photos are scikit-image's samples: pip install scikit-image, or pass --photos DIR")
    clf = CarClassifier.from_pretrained(a.model)
    folder = Path(a.photos) if a.photos else Path(str(files('skimage')/'data'))
    photos = sorted(f for f in folder.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
    print(f"{clf.cfg.arch}, {len(clf.cfg.classes)} classes, threshold {clf.threshold:.3f}\n\nPhotos that are not cars "
          f"({folder}):")
    rows = []
    for f in photos:
        label, prob, known, err = answer(clf, f)
        rows.append(dict(name=f.name, label=label, prob=prob, known=known, error=err))
        print(f"  {f.name:24s} " + (f"refused: {err}" if err
                                    else f"{'KNOWN CAR' if known else 'unknown  '} {prob:6.1%}  {label}"))
    print("\nDegenerate inputs:")
    for name, im in degenerate_inputs().items():
        label, prob, known, err = answer(clf, im)
        rows.append(dict(name=name, label=label, prob=prob, known=known, error=err, degenerate=True))
        print(f"  {name:24s} " + (f"refused: {err}" if err
                                  else f"{'KNOWN CAR' if known else 'unknown  '} {prob:6.1%}  {label}"))
    photo_rows = [r for r in rows if not r.get('degenerate')]
    caught = sum(not r['known'] for r in photo_rows)
    summary = dict(threshold=clf.threshold, non_car_photos=len(photo_rows), non_car_unknown=caught / len(photo_rows),
                   degenerate=len(rows) - len(photo_rows),
                   degenerate_not_answered_as_car=sum(not r['known'] for r in rows if r.get('degenerate')))
    print(f"\nNot cars called unknown or refused: {caught}/{len(photo_rows)} = {summary['non_car_unknown']:.0%}; "
          f"degenerate inputs not given as a car: {summary['degenerate_not_answered_as_car']}/{summary['degenerate']}")
    if a.data:
        df = cars_dataframe(a.data)
        test = df[df.is_test & df.label.notna()]
        top = np.concatenate([clf.probabilities(list(test.fname[i:i + 64])).max(1) for i in range(0, len(test), 64)])
        non_car = np.array([r['prob'] for r in photo_rows if r['prob'] is not None])
        summary.update(test_cars=len(top), test_cars_unknown=float((top < clf.threshold).mean()))
        print(f"Real test cars called unknown: {summary['test_cars_unknown']:.1%} of {len(top)}\n\n{'threshold':>9s} "
              f"{'not cars unknown':>17s} {'test cars unknown':>18s}")
        n_refused = sum(r['prob'] is None for r in photo_rows)
        for t in sorted({0.1, 0.2, 0.3, 0.4, 0.5, round(clf.threshold, 3)}):
            print(f"{t:9.3f} {((non_car < t).sum() + n_refused) / len(photo_rows):17.0%} {(top < t).mean():18.1%}")
    print(json.dumps(summary))

if __name__ == '__main__': main()
