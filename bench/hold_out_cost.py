"""What holding photos out of training costs on validation: the same run with them put back, on the same photos.

usage:
  torchrun --nproc_per_node 2 bench/hold_out_cost.py train --put-back CSV <`car-classifier train` args, no --hold-out>
  python bench/hold_out_cost.py compare --held MODEL --trained MODEL --data DATA [--sizes 224 256]

`train` runs `car-classifier train` with the photos CSV names (its `train_crop` column, as `--hold-out` reads it) put
back into *training*, while the validation split stays the one a run with `--hold-out CSV` draws: the only change to
the data is those photos. Give it the held-out run's other arguments (seeds, `--valid-pct`, and its planned epochs as
`--freeze-epochs`/`--epochs` rather than `--budget`, so that both runs train the same schedule).

`compare` scores both networks alone (no finder) on the held-out run's validation crops, shrunk as served (squished,
no antialiasing), at each size, and counts the photos one gets right and the other wrong: the exact two-sided
McNemar test on those says whether the difference is more than the luck of a few photos."""
import argparse, json, sys
from dataclasses import replace
from pathlib import Path
import numpy as np, pandas as pd
import car_classifier.data as cd

def put_back_split(root:str|Path, files:list, split=cd.training_split):
    "A `training_split` that draws `split`'s validation without `files` (paths inside `root`), then trains on them too."
    def training_split(df:pd.DataFrame, valid_pct:float=0.2, seed:int=42) -> pd.DataFrame:
        held = cd.drop_files(df, root, files)  # as `--hold-out` drops them; an error names any not in `root`
        back = df[~df.fname.isin(held.fname) & ~df.is_test & df.label.notna()].assign(is_valid=False)
        return pd.concat([split(held, valid_pct, seed), back], ignore_index=True)
    return training_split

def paired(a:np.ndarray, b:np.ndarray) -> dict:
    "Top-1 of two models on the same photos (`a`, `b`: right or not, photo by photo), and McNemar's exact test."
    from scipy.stats import binomtest
    only_a, only_b = int((a & ~b).sum()), int((~a & b).sum())
    return dict(n=len(a), a=round(100 * a.mean(), 2), b=round(100 * b.mean(), 2),
                b_minus_a=round(100 * (b.mean() - a.mean()), 2), only_a=only_a, only_b=only_b,
                p=round(binomtest(only_a, only_a + only_b).pvalue, 4) if only_a + only_b else 1.0)

def train(argv:list):
    p = argparse.ArgumentParser(prog='hold_out_cost.py train')
    p.add_argument('--put-back', required=True); p.add_argument('--data', required=True)
    a, rest = p.parse_known_args(argv)
    if '--hold-out' in rest: p.error("--hold-out would hold the photos out again: give them as --put-back only")
    cd.training_split = put_back_split(a.data, cd.held_out_files(a.put_back))  # cars_dataloaders looks it up here
    from car_classifier.cli import main
    return main(['train', '--data', a.data, *rest])

def right(clf, items:np.ndarray, y:np.ndarray, size:int) -> np.ndarray:
    "Photo by photo, whether `clf`'s network alone names each of `items` (targets `y`) right at `size`."
    clf.cfg = replace(clf.cfg, input_size=size)
    pred = np.concatenate([clf.probabilities([], items[i:i + 32]).argmax(1) for i in range(0, len(items), 32)])
    return pred == y

def scored(model:Path, images:list, labels:list, sizes:list) -> dict:
    "For each of `sizes`, whether `model`'s network alone names each image right (shrunk as served: squished, no AA)."
    from car_classifier.core import official_name
    from car_classifier.inference import CarClassifier, resize_item
    clf = CarClassifier.from_pretrained(model, finder=False, int8=False)
    y = np.array([clf.cfg.classes.index(official_name(label)) for label in labels])
    items = np.stack([np.asarray(resize_item(im, clf.cfg.item_size, 'squish', False)) for im in images])
    return {size: right(clf, items, y, size) for size in sizes}

def compare(argv:list):
    p = argparse.ArgumentParser(prog='hold_out_cost.py compare')
    p.add_argument('--held', required=True, help='model trained with --hold-out')
    p.add_argument('--trained', required=True, help='model trained by `hold_out_cost.py train --put-back`')
    p.add_argument('--data', required=True); p.add_argument('--sizes', type=int, nargs='+', default=[224, 256])
    p.add_argument('--out', help='JSON file for the rows')
    a = p.parse_args(argv)
    recs = [json.loads((Path(m)/'record.json').read_text()) for m in (a.held, a.trained)]
    if any(r.get(k) != recs[0].get(k) for r in recs for k in ('valid_pct', 'split_seed')):
        sys.exit("The two models' records differ in valid_pct or split_seed: they were not trained beside one split")
    sys.path.insert(0, str(Path(__file__).parent))
    from unknown import validation_cars
    from car_classifier.inference import check_content, open_image
    photos = validation_cars(a.data, Path(a.held))  # the held-out run's validation split, as its record says
    images = [check_content(open_image(f)) for f, _ in photos]  # read once, for both models and every size
    held, trained = (scored(Path(m), images, [label for _, label in photos], a.sizes) for m in (a.held, a.trained))
    rows = [dict(size=size, **paired(held[size], trained[size])) for size in a.sizes]
    for row in rows: print(json.dumps(row), flush=True)
    if a.out: Path(a.out).write_text(json.dumps(rows, indent=1))

if __name__ == '__main__':
    cmd, *argv = sys.argv[1:] or ['-h']
    if cmd not in ('train', 'compare'): sys.exit(__doc__)
    sys.exit(train(argv) if cmd == 'train' else compare(argv))
