"""Does the way the training crops were shrunk decide the test score? The same native crops, shrunk three ways, train three models.

usage: python bench/shrink_train.py NATIVES TEST WEIGHTS [--seeds 42 1] [--epochs 6] [--arms antialiased bilinear bicubic]
  NATIVES  folder-per-class crops at their native resolution (e.g. ../shared/data/cars-sample/train)
  TEST     folder-per-class photos of the same classes, as the dataset's test split holds them (e.g. ../shared/data/cars-sample/test)
  WEIGHTS  ImageNet weights of timm's efficientnet_lite0 (e.g. ../shared/weights/efficientnet_lite0_in1k.safetensors)

Each arm shrinks every native crop to 224 x 224 (JPEG quality 80, as the shared copy is stored): `antialiased` with Pillow's
bicubic (how the shared copy's train crops were made), `bilinear` and `bicubic` with torch's `interpolate(antialias=False)`
(a common resizer's default, and about the fine detail of the shared copy's test crops). Each then trains exactly what
`car-classifier train --recipe cpu` runs (`train.fit_recipe`, 20% of the crops held out for validation), for
1 + `--epochs` epochs, per seed, and is scored once on TEST. The validation figure of each arm is on crops shrunk its own way."""
import argparse, json, sys, tempfile, time, warnings
from pathlib import Path
warnings.filterwarnings('ignore')
import numpy as np
from PIL import Image
sys.path.insert(0, str(Path(__file__).parent))
from aliasing import shrink_aliased
from real_sample import project, test_accuracy
from car_classifier.data import cars_dataframe, IMAGE_SUFFIXES

def shrink(img:Image.Image, how:str, size:int=224) -> Image.Image:
    "`img` squished to `size` x `size`: Pillow's antialiased bicubic, or torch's `how` interpolation without antialiasing."
    return img.resize((size, size), Image.BICUBIC) if how == 'antialiased' else shrink_aliased(img, size, how)

def arm_dataset(natives:Path, test:Path, how:str, out:Path) -> Path:
    "A folder-per-class dataset: `natives` shrunk `how` as train/, `test` linked as test/."
    for f in sorted(natives.glob('*/*')):
        if f.suffix.lower() not in IMAGE_SUFFIXES: continue
        (out/'train'/f.parent.name).mkdir(parents=True, exist_ok=True)
        shrink(Image.open(f).convert('RGB'), how).save(out/'train'/f.parent.name/f'{f.stem}.jpg', quality=80)
    (out/'test').symlink_to(test.resolve())
    return out

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('natives'); p.add_argument('test'); p.add_argument('weights')
    p.add_argument('--seeds', type=int, nargs='+', default=[42, 1]); p.add_argument('--epochs', type=int, default=6)
    p.add_argument('--arms', nargs='+', default=['antialiased', 'bilinear', 'bicubic'],
                   choices=['antialiased', 'bilinear', 'bicubic'])
    a = p.parse_args()
    for d in (a.natives, a.test):
        if not Path(d).is_dir(): p.error(f"{d} is not a folder: give folder-per-class crops")
    tmp, res = Path(tempfile.mkdtemp()), []
    for how in a.arms:
        df = cars_dataframe(arm_dataset(Path(a.natives), Path(a.test), how, tmp/how))
        for seed in a.seeds:
            t = time.time()
            learn, test_df, _ = project(df, a.weights, 224, 32, 1, a.epochs, seed)
            res.append(dict(arm=how, seed=seed, valid=round(float(learn.validate()[1]), 4),
                            test=round(test_accuracy(learn, test_df), 4), seconds=round(time.time() - t)))
            print(json.dumps(res[-1]), flush=True)
    print(f"\n{df.label.nunique()} classes, {int((~df.is_test).sum())} native crops / {int(df.is_test.sum())} test photos, "
          f"1+{a.epochs} epochs, seeds {a.seeds}")
    for how in a.arms:
        tests, valids = [x['test'] for x in res if x['arm'] == how], [x['valid'] for x in res if x['arm'] == how]
        print(f"trained on crops shrunk {how:12s}: test " + ', '.join(f"{t:.1%}" for t in tests) +
              f" (mean {np.mean(tests):.1%}); validation {np.mean(valids):.1%}")

if __name__ == '__main__': main()
