"""The three kinds of answer (not a car / a car, unsure which / a known car), on real cars and on photos that are not cars.

usage: python bench/unknown.py --data DATA [--whole DIR] [--non-cars DIR ...] [--model DIR] [--finder DIR] [--test]
                               [--whole-frame] [--exact] [--limit N]

  --data      a Stanford Cars copy (e.g. ../shared/data/stanford-cars-224): its validation split, as the model's record.json
              says (valid_pct, split_seed), gives the validation cars; with --test, its labelled test images are scored too
  --whole     a folder of whole-scene photos, <class>/<file>, with boxes.csv (file, class, x1, y1, x2, y2): answers,
              top-1, and the median IoU of the box found against the annotated one (e.g. ../shared/data/whole-dev)
  --non-cars  folders of photos that are not cars (e.g. ../shared/data/noncar-dev); scikit-image's sample photos are
              added when scikit-image is installed
  --model     a model folder (default: the shipped model); --finder: a finder folder (default: the model's, else shipped)
  --whole-frame  serve the one-pass path (no finder: the whole photo, every answer a car) instead of finding the car
  --exact     decode JPEGs at full scale (default: the reduced-scale decoding the demo and the CLI serve)

Every photo goes through `CarClassifier.predict` as the demo serves it, at the thresholds the model and the finder ship
with. For cars, "right" is a top-1 guess equal to the photo's class (for unsure answers with a make: the make); for
non-cars, "right" is "not a car". Photos refused before the network (unreadable, blank, tiny) count as refused."""
import argparse, importlib.util, json, sys, time
from importlib.resources import files
from pathlib import Path
import numpy as np, pandas as pd
from car_classifier.calibrate import confidence_calibration_error
from car_classifier.core import official_name, parse_car_name
from car_classifier.data import IMAGE_SUFFIXES
from car_classifier.finder import box_iou
from car_classifier.inference import CarClassifier

def validation_cars(data:str, model_dir:Path) -> list:
    "(path, class) of the validation split the model was trained beside (its record.json's valid_pct and split_seed)."
    from car_classifier.data import cars_dataframe, drop_files, training_split
    rec = json.loads((model_dir/'record.json').read_text()) if (model_dir/'record.json').exists() else {}
    df = drop_files(cars_dataframe(data), data, rec.get('held_out', []))  # the photos train left out, left out again
    tr = training_split(df, rec.get('valid_pct', 0.2), rec.get('split_seed', rec.get('seed', 42)))
    return list(zip(tr[tr.is_valid].fname, tr[tr.is_valid].label))

def test_cars(data:str) -> list:
    from car_classifier.data import cars_dataframe
    df = cars_dataframe(data)
    t = df[df.is_test & df.label.notna()]
    return list(zip(t.fname, t.label))

def score(clf, photos:list, is_car:bool, locate:bool, boxes:dict|None=None) -> dict:
    "Count the three answers, right and wrong, over `photos` ((path, class or None) pairs)."
    c = dict(photos=len(photos), refused=0, not_a_car=0, unsure_right=0, unsure_wrong=0, unsure_with_make=0,
             make_right=0, known_right=0, known_wrong=0, top1_right=0)
    ious, start, conf, rights = [], time.perf_counter(), [], []
    c.update(top5_right=0, make_of_top_right=0)
    for path, label in photos:
        try: p = clf.predict(path, locate=locate)
        except ValueError: c['refused'] += 1; continue
        right = is_car and p.top.label == official_name(label)
        c['top1_right'] += right
        if is_car:  # as served: the car model's guesses, whatever the answer
            truth = official_name(label)
            c['top5_right'] += truth in [g.label for g in p.guesses[:5]]
            c['make_of_top_right'] += p.top.make == parse_car_name(truth)['make']
            conf.append(p.top.probability); rights.append(right)
        if p.answer == 'not a car': c['not_a_car'] += 1
        elif p.answer == 'known': c['known_right' if right else 'known_wrong'] += 1
        else:
            c['unsure_right' if right else 'unsure_wrong'] += 1
            if p.make_is_known:
                c['unsure_with_make'] += 1
                c['make_right'] += is_car and p.make == parse_car_name(official_name(label))['make']
        if boxes is not None and p.box: ious.append(box_iou(p.box, boxes[str(path)]))
        elif boxes is not None: ious.append(0.)
    c['seconds'] = round(time.perf_counter() - start, 1)
    if boxes is not None: c['median_box_iou'] = round(float(np.median(ious)), 3) if ious else None
    if conf:  # the calibration error of the served top probability (15 equal-width bins)
        c['ece'] = round(confidence_calibration_error(conf, rights), 4)
    return c

def line(name:str, c:dict, is_car:bool) -> str:
    n = c['photos'] - c['refused']
    pct = lambda k: f"{c[k] / max(n, 1):6.1%}"
    if not is_car:
        return (f"{name:26s} {c['photos']:5d} {c['refused']:4d}   not a car {pct('not_a_car')}   unsure "
                f"{(c['unsure_right'] + c['unsure_wrong']) / max(n, 1):6.1%}   named {(c['known_right'] + c['known_wrong']) / max(n, 1):6.1%}")
    return (f"{name:26s} {c['photos']:5d} {c['refused']:4d}   not a car {pct('not_a_car')}   unsure {c['unsure_right']:4d} right "
            f"{c['unsure_wrong']:4d} wrong ({c['make_right']}/{c['unsure_with_make']} makes right)   known "
            f"{c['known_right']:5d} right {c['known_wrong']:4d} wrong   top-1 {c['top1_right'] / max(n, 1):6.1%}   top-5 "
            f"{c['top5_right'] / max(n, 1):6.1%}   make {c['make_of_top_right'] / max(n, 1):6.1%}   ECE {c.get('ece')}"
            + (f"   box IoU {c['median_box_iou']}" if 'median_box_iou' in c else ''))

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--data'); p.add_argument('--whole'); p.add_argument('--non-cars', nargs='*', default=[])
    p.add_argument('--model'); p.add_argument('--finder'); p.add_argument('--test', action='store_true')
    p.add_argument('--whole-frame', action='store_true'); p.add_argument('--exact', action='store_true')
    p.add_argument('--limit', type=int, help='at most this many photos of each set (spread over it)')
    a = p.parse_args()
    clf = CarClassifier.from_pretrained(a.model, fast=not a.exact, finder=a.finder or True)
    locate = not a.whole_frame
    model_dir = clf.model_dir
    sets = []  # (name, photos, is_car, boxes)
    if a.data: sets.append(('validation cars', validation_cars(a.data, model_dir), True, None))
    if a.whole:
        b = pd.read_csv(Path(a.whole)/'boxes.csv')
        paths = [str(Path(a.whole)/f) for f in b.file]
        sets.append(('whole-scene photos', list(zip(paths, b['class'])), True,
                     dict(zip(paths, b[['x1', 'y1', 'x2', 'y2']].itertuples(index=False, name=None)))))
    for folder in a.non_cars:
        sets.append((Path(folder).name, [(f, None) for f in sorted(Path(folder).rglob('*'))
                                         if f.suffix.lower() in IMAGE_SUFFIXES], False, None))
    if importlib.util.find_spec('skimage') is not None:
        sk = Path(str(files('skimage')/'data'))
        sets.append(("scikit-image's photos", [(f, None) for f in sorted(sk.iterdir()) if f.suffix.lower() in IMAGE_SUFFIXES],
                     False, None))
    if a.test and a.data: sets.append(('official test crops', test_cars(a.data), True, None))
    if not sets: p.error('nothing to score: give --data, --whole or --non-cars')
    f = clf.finder.cfg if clf.finder else None
    print(f"{clf.cfg.arch}, {len(clf.cfg.classes)} classes; threshold for a known car {clf.threshold:.3f}, for a make "
          f"{clf.cfg.make_threshold:.2f}; " + (f"finder {f.arch}, car threshold {f.car_threshold:.3f}" if f and locate
                                              else "no finder (one pass on the whole photo)")
          + f"; {'exact' if a.exact else 'reduced-scale'} JPEG decoding\n")
    print(f"{'set':26s} {'photos':>5s} {'refused':>4s}")
    results = {}
    for name, photos, is_car, boxes in sets:
        if a.limit and len(photos) > a.limit: photos = [photos[i] for i in np.linspace(0, len(photos) - 1, a.limit).astype(int)]
        c = score(clf, photos, is_car, locate, boxes)
        results[name] = c
        print(line(name, c, is_car), flush=True)
    print(json.dumps(results))

if __name__ == '__main__': main()
