"""The shrinks of `bench/shrink_train.py`: only the antialiased one smooths fine detail away, and each arm's dataset is the
layout `cars_dataframe` reads (train crops at 224 x 224, the test photos linked as they are)."""
import sys
from pathlib import Path
import numpy as np
from PIL import Image
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT/'bench'))
import shrink_train  # noqa: E402
from aliasing import detail as laplacian_var  # noqa: E402
from car_classifier.data import cars_dataframe  # noqa: E402

def test_only_antialiasing_smooths_fine_detail():
    "Noise shrunk 4x: Pillow's antialiased bicubic averages it out; torch without antialiasing keeps it (aliased)."
    noise = Image.fromarray(np.random.default_rng(0).integers(0, 256, (896, 896, 3), dtype=np.uint8))
    shrunk = {how: shrink_train.shrink(noise, how) for how in ('antialiased', 'bilinear', 'bicubic')}
    assert all(im.size == (224, 224) for im in shrunk.values())
    detail = {how: laplacian_var(im) for how, im in shrunk.items()}
    assert detail['bilinear'] > 4 * detail['antialiased'] and detail['bicubic'] > detail['bilinear'], detail

def test_arm_dataset_layout(tmp_path):
    "Native crops of any size become 224 x 224 JPEG train crops; the test folder is used as it is."
    for split, sizes in (('natives', [(500, 260), (331, 170)]), ('test', [(224, 224)])):
        for c in ('Audi A5 Coupe 2012', 'BMW M3 Coupe 2012'):
            (tmp_path/split/c).mkdir(parents=True)
            for i, s in enumerate(sizes): Image.new('RGB', s, (i * 90, 40, 200)).save(tmp_path/split/c/f'{i:05d}.png')
    d = shrink_train.arm_dataset(tmp_path/'natives', tmp_path/'test', 'bicubic', tmp_path/'arm')
    assert sorted(Image.open(f).size for f in (d/'train').glob('*/*.jpg')) == [(224, 224)] * 4
    df = cars_dataframe(d)
    assert (len(df), int(df.is_test.sum()), df.label.nunique()) == (6, 2, 2)
