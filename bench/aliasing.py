"""Fine detail of the train and test crops, and a classifier's score on native crops shrunk with and without antialiasing.

usage: python bench/aliasing.py --natives DIR [--model DIR] [--data DATA]

  --natives  folder-per-class crops at their native resolution (e.g. ../shared/data/cars-sample/train)
  --model    a model folder (default: the model shipped with the package)
  --data     a Stanford Cars copy: also print the fine detail of its train and test crops, for comparison

Each native crop is padded by 16 px (mirrored, like the test crops' margin) and shrunk to 224 x 224 two ways: Pillow's
bicubic, which antialiases (as the train crops were made), and bilinear without antialiasing (torch's
`interpolate(antialias=False)`, as many resizers do), which leaves a jagged fine texture. Both go through
`CarClassifier.probabilities`, as the demo serves them. "Detail" is the median variance of the Laplacian.
A model trained on these very crops (the shipped one was, on their smooth versions) scores near 100% on them: read the
difference between the two rows, not the level. The shared copy's test crops carry far more fine detail than its train
crops, about what a shrink without antialiasing gives; whether that is what makes them harder is not settled (the
learner notebook's Recipes has the measurements)."""
import argparse, random
from pathlib import Path
import numpy as np, torch, torch.nn.functional as F
from PIL import Image
from car_classifier.inference import CarClassifier
from car_classifier.data import IMAGE_SUFFIXES

def detail(img:Image.Image) -> float:
    "Variance of the Laplacian: how much fine detail (or jagged texture) an image carries."
    a = np.asarray(img.convert('L'), dtype=np.float32)
    return float((4 * a[1:-1, 1:-1] - a[:-2, 1:-1] - a[2:, 1:-1] - a[1:-1, :-2] - a[1:-1, 2:]).var())

def shrink_aliased(img:Image.Image, size:int=224, mode:str='bilinear') -> Image.Image:
    "`img` squished to `size` x `size` by torch's `mode` interpolation (bilinear, bicubic) without antialiasing."
    t = torch.from_numpy(np.asarray(img, dtype=np.float32)).permute(2, 0, 1)[None]
    t = F.interpolate(t, size=(size, size), mode=mode, align_corners=False, antialias=False)
    return Image.fromarray(t[0].permute(1, 2, 0).clamp(0, 255).round().byte().numpy())

def pad(img:Image.Image, px:int=16) -> Image.Image:
    return Image.fromarray(np.pad(np.asarray(img), ((px, px), (px, px), (0, 0)), mode='symmetric'))

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--natives', required=True); p.add_argument('--model'); p.add_argument('--data')
    a = p.parse_args()
    clf = CarClassifier.from_pretrained(a.model)
    idx = {c: i for i, c in enumerate(clf.cfg.classes)}
    files = sorted(f for f in Path(a.natives).glob('*/*') if f.suffix.lower() in IMAGE_SUFFIXES and f.parent.name in idx)
    if not files: p.error(f"no images of the model's classes in {a.natives} (folder-per-class, folder names = classes)")
    y = np.array([idx[f.parent.name] for f in files])
    originals = [pad(Image.open(f).convert('RGB')) for f in files]
    sets = {'antialiased (Pillow bicubic)': [im.resize((224, 224), Image.BICUBIC) for im in originals],
            'aliased (bilinear, no antialias)': [shrink_aliased(im) for im in originals]}
    print(f"{clf.cfg.arch}, {len(clf.cfg.classes)} classes; {len(files)} native crops of {len(set(y))} classes")
    acc = {}
    for name, ims in sets.items():
        probs = np.concatenate([clf.probabilities(ims[i:i + 32]) for i in range(0, len(ims), 32)])
        acc[name] = float((probs.argmax(1) == y).mean())
        print(f"  {name:34s} top-1 {acc[name]:6.1%}   detail {np.median([detail(im) for im in ims]):6.0f}")
    print(f"  aliased - antialiased: {100 * (acc[list(sets)[1]] - acc[list(sets)[0]]):+.1f} points")
    if a.data:
        random.seed(0)
        for split in ('train', 'test'):
            fs = sorted(Path(a.data, split).glob('*/*.jpg'))
            print(f"  {a.data}/{split}: detail {np.median([detail(Image.open(f)) for f in random.sample(fs, 400)]):6.0f}"
                  " (400 crops)")

if __name__ == '__main__': main()
