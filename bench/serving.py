"""A lean install, measured: the size of a serving-only environment, process start to first answer, and a folder in batches.

usage: python bench/serving.py [--photos DIR] [--runs 3] [--per-process 30] [--skip-env]

  environment   a fresh venv with `pip install .` (no extras: what predict, the demo and the Space need) against the environment
                this script runs in (the full one: `.[dev]`, with PyTorch and fastai); du of each, and `import torch` must fail in
                the fresh one. pip installs from the package registries (about a minute with a warm cache).
  cold start    process start -> first answer, median of --runs, all with the model shipped in the package:
                `car-classifier predict PHOTO` (the process runs to its exit), `car-classifier demo` and the Space folder that
                `car-classifier space` writes (`python app.py`): both servers are timed to the first prediction received by a
                gradio_client, as bench/app.py does. Goal: demo within 1.5x the Space's cold start.
  folder        `car-classifier predict DIR --csv FILE` over every photo of DIR (default: the 415 test photos of the shared
                10-class sample), in batches of 32 against --bs 1 (one photo per forward pass, same process); and one process
                per photo, timed on the first --per-process photos and scaled to the folder. Goal: batches 1.3x faster than
                one by one."""
import argparse, os, shutil, statistics, subprocess, sys, tempfile, time, warnings
warnings.filterwarnings('ignore')
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from app import first_answer

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CLI = str(BIN/'car-classifier')

def du(path:Path) -> int:
    "Bytes under `path`."
    return sum(f.stat().st_size for f in path.rglob('*') if f.is_file() and not f.is_symlink())

def environment() -> dict:
    "Sizes of a fresh serving-only venv and of this one; and whether torch imports in the fresh one."
    tmp = Path(tempfile.mkdtemp())/'serve'
    subprocess.run([sys.executable, '-m', 'venv', str(tmp)], check=True)
    t = time.perf_counter()
    subprocess.run([str(tmp/'bin/pip'), 'install', '-q', str(ROOT)], check=True)
    minutes = (time.perf_counter() - t) / 60
    torch = subprocess.run([str(tmp/'bin/python'), '-c', 'import torch'], capture_output=True).returncode == 0
    serve, full = du(tmp), du(Path(sys.prefix))
    shutil.rmtree(tmp.parent)
    return dict(serve_mb=serve / 2**20, full_mb=full / 2**20, ratio=full / serve, torch_in_serving=torch,
                install_minutes=minutes)

def timed(cmd:list, **kw) -> float:
    t = time.perf_counter(); subprocess.run(cmd, check=True, capture_output=True, **kw); return time.perf_counter() - t

def server_start(cmd:list, cwd:Path, photo:Path) -> float:
    s, proc, _ = first_answer(cmd, cwd, photo, dict(os.environ))
    proc.terminate(); proc.wait(30)
    return s

def folder_runs(photos:Path, per_process:int) -> dict:
    "Seconds for the folder in batches, one photo per forward pass, and one process per photo (scaled)."
    out = Path(tempfile.mkdtemp())
    n = sum(1 for f in photos.rglob('*') if f.suffix.lower() in {'.jpg', '.jpeg', '.png'})
    run = lambda bs: timed([CLI, 'predict', str(photos), '--bs', str(bs), '--csv', str(out/f'bs{bs}.csv')])
    batched, single = run(32), run(1)
    files = sorted(f for f in photos.rglob('*') if f.suffix.lower() in {'.jpg', '.jpeg', '.png'})[:per_process]
    each = sum(timed([CLI, 'predict', str(f)]) for f in files) / len(files)
    return dict(n=n, batched=batched, single=single, per_process=each * n)

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--photos', default=str(ROOT.parent/'shared/data/cars-sample/test'))
    p.add_argument('--runs', type=int, default=3); p.add_argument('--per-process', type=int, default=30)
    p.add_argument('--skip-env', action='store_true', help='skip the fresh venv (it needs the package registries)')
    a = p.parse_args()
    photos = Path(a.photos)
    photo = sorted(f for f in photos.rglob('*.jpg'))[0]
    print(f"{os.cpu_count()} cores; model: the one shipped in the package; photos: {photos}", flush=True)
    if not a.skip_env:
        e = environment()
        print(f"environment  serving-only {e['serve_mb']:,.0f} MB (pip install ., {e['install_minutes']:.1f} min) vs "
              f"full {e['full_mb']:,.0f} MB: "
              f"{e['ratio']:.1f}x smaller (goal 10x); torch importable in serving-only: {e['torch_in_serving']}",
              flush=True)
    space = Path(tempfile.mkdtemp())/'space'
    subprocess.run([CLI, 'space', '--out', str(space)], check=True, capture_output=True)
    starts = {name: statistics.median(f() for _ in range(a.runs)) for name, f in (
        ('predict', lambda: timed([CLI, 'predict', str(photo)])),
        ('space', lambda: server_start([sys.executable, 'app.py'], space, photo)),
        ('demo', lambda: server_start([CLI, 'demo'], ROOT, photo)))}
    print(f"cold start   predict {starts['predict']:.2f} s to exit; demo {starts['demo']:.2f} s vs Space folder "
          f"{starts['space']:.2f} s to the first "
          f"answer: {starts['demo'] / starts['space']:.2f}x the Space's (goal <= 1.5x)", flush=True)
    f = folder_runs(photos, a.per_process)
    print(f"folder       {f['n']} photos: batches of 32 {f['batched']:.1f} s, one by one (--bs 1) {f['single']:.1f} s: "
          f"{f['single'] / f['batched']:.2f}x faster "
          f"in batches (goal 1.3x); a process per photo ~{f['per_process']:.0f} s (from {a.per_process}): "
          f"{f['per_process'] / f['batched']:.1f}x")

if __name__ == '__main__': main()
