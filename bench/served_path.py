"""How the served path should cut and shrink the car: each choice scored on validation crops and held-out whole photos.

usage: python bench/served_path.py --model DIR --data DATA --whole DIR [--margins 0.05 0.15 ...] [--sizes 224 256 ...]

  --model   a model folder written by `car-classifier train` (its record.json names the validation split)
  --data    the Stanford Cars copy it was trained on (e.g. ../shared/data/stanford-cars-224): its validation crops
  --whole   whole-scene photos with boxes.csv (e.g. ../shared/data/whole-dev), none of them seen in training

For every combination of JPEG decoding (full or reduced-scale), shrink (Pillow's antialiased bilinear, or bilinear
without antialiasing as OpenCV and the training crops), crop margin around the finder's box, resize (squish or
centre crop) and served size, it prints top-1 on both sets, the photos going through the finder as served. The finder
runs once per photo and decoding; only the crop, the shrink and the car model run per combination."""
import argparse, itertools, json, time
from dataclasses import replace
from pathlib import Path
import numpy as np, pandas as pd
from car_classifier.core import official_name
from car_classifier.inference import CarClassifier, check_content, open_image, resize_item
from unknown import validation_cars  # bench/unknown.py: the model's own validation split, as its record.json says

def whole_photos(folder:str) -> list:
    boxes = pd.read_csv(Path(folder)/'boxes.csv')
    return [(str(Path(folder)/r.file), r['class']) for _, r in boxes.iterrows()]

def looked(clf, photos:list, draft:int|None) -> list:
    "Each photo opened (at `draft` scale for JPEGs, or whole) with the finder's sighting."
    out = []
    for path, label in photos:
        img = check_content(open_image(path, draft=draft))
        out.append((img, clf.finder.look(img), clf.cfg.classes.index(official_name(label))))
    return out

def top1(clf, seen:list, margin:float, antialias:bool, method:str, size:int, bs:int=32) -> float:
    "Top-1 of the car model on the photos' crops (the served `_crop_box`, its box widened by `margin`), shrunk as asked, at `size`."
    cfg, fcfg = clf.cfg, clf.finder.cfg
    clf.cfg, clf.finder.cfg = replace(cfg, input_size=size), replace(fcfg, crop_margin=margin)
    try:
        items = np.stack([np.asarray(resize_item(img.crop(box) if (box := clf._crop_box(img, s)) else img, cfg.item_size,
                                                 method, antialias)) for img, s, _ in seen])
        pred = np.concatenate([clf.probabilities([], items[i:i + bs]).argmax(1) for i in range(0, len(items), bs)])
    finally: clf.cfg, clf.finder.cfg = cfg, fcfg
    return float((pred == np.array([y for *_, y in seen])).mean())

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--model', required=True); p.add_argument('--data', required=True); p.add_argument('--whole', required=True)
    p.add_argument('--margins', type=float, nargs='+', default=[0.0, 0.05, 0.1, 0.15, 0.25])
    p.add_argument('--sizes', type=int, nargs='+'); p.add_argument('--methods', nargs='+', default=['squish'])
    p.add_argument('--decodings', nargs='+', default=['full', 'reduced'])
    p.add_argument('--antialias', nargs='+', default=['yes', 'no'])
    p.add_argument('--out', help='CSV file for the table')
    a = p.parse_args()
    clf = CarClassifier.from_pretrained(a.model)
    sets = dict(validation=validation_cars(a.data, Path(a.model)), whole=whole_photos(a.whole))
    sizes, rows = a.sizes or [clf.cfg.input_size], []
    for decoding in a.decodings:
        draft = max(2 * min(clf.cfg.input_size, clf.cfg.item_size), 512) if decoding == 'reduced' else None  # as served
        start = time.time()
        seen = {k: looked(clf, v, draft) for k, v in sets.items()}
        print(f"{decoding} decoding: {sum(map(len, seen.values()))} photos read and looked at in {time.time() - start:.0f} s",
              flush=True)
        for aa, margin, method, size in itertools.product(a.antialias, a.margins, a.methods, sizes):
            row = dict(decoding=decoding, antialias=aa, margin=margin, method=method, size=size)
            row.update({k: top1(clf, v, margin, aa == 'yes', method, size) for k, v in seen.items()})
            rows.append(row); print(json.dumps(row), flush=True)
    df = pd.DataFrame(rows)
    print(df.to_string(index=False))
    if a.out: df.to_csv(a.out, index=False)

if __name__ == '__main__': main()
