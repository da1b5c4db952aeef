"""`bench/hold_out_cost.py`: the run with the held-out photos put back trains on them and is judged on exactly the
validation photos the held-out run drew; the paired count says which photos only one of two models gets right."""
import csv, math, os, sys
from pathlib import Path
import numpy as np, pytest
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT/'bench'))
import hold_out_cost  # noqa: E402
from car_classifier.data import cars_dataframe, drop_files, held_out_files, training_split  # noqa: E402
from car_classifier.tiny import make_tiny_cars  # noqa: E402

def test_put_back_keeps_the_held_out_runs_validation(tmp_path):
    root = make_tiny_cars(tmp_path/'cars', 'folders', n_classes=3, n_per_class=8, n_test_per_class=2, size=(64, 48))
    df = cars_dataframe(root)
    inside = lambda f: Path(os.path.relpath(f, root)).as_posix()
    files = [inside(f) for f in df[~df.is_test].fname[::6]]  # 4 training photos
    with open(tmp_path/'boxes.csv', 'w', newline='') as f:
        csv.writer(f).writerows([('file', 'train_crop'), *((f'whole/{i}.jpg', c) for i, c in enumerate(files))])
    assert held_out_files(tmp_path/'boxes.csv') == sorted(files)
    held = training_split(drop_files(df, root, files), 0.25, 7)
    back = hold_out_cost.put_back_split(root, files)(df, 0.25, 7)
    assert set(back[back.is_valid].fname) == set(held[held.is_valid].fname)
    assert len(back) == len(held) + len(files)
    put = back[back.fname.map(inside).isin(files)]
    assert len(put) == len(files) and not put.is_valid.any()
    with pytest.raises(ValueError, match='1 of the 5 files to hold out are not in'):
        hold_out_cost.put_back_split(root, files + ['train/nowhere/00001.jpg'])(df, 0.25, 7)

def test_paired_counts_the_photos_only_one_model_gets_right():
    a = np.array([True] * 10 + [False] * 2 + [True] * 88)
    b = np.array([False] * 10 + [True] * 2 + [True] * 88)
    r = hold_out_cost.paired(a, b)
    assert (r['n'], r['a'], r['b'], r['b_minus_a'], r['only_a'], r['only_b']) == (100, 98.0, 90.0, -8.0, 10, 2)
    assert r['p'] == pytest.approx(2 * sum(math.comb(12, k) for k in range(3)) / 2 ** 12, abs=1e-4)
    assert hold_out_cost.paired(a, a)['p'] == 1.0

def test_train_refuses_to_hold_the_photos_out_again(tmp_path):
    with pytest.raises(SystemExit):
        hold_out_cost.train(['--put-back', str(tmp_path/'boxes.csv'), '--data', str(tmp_path), '--hold-out', 'x.csv'])
