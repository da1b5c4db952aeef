"""Training steps with glibc's default malloc against `reuse_freed_memory` (what `car-classifier train` calls first).

usage: python bench/allocator.py [--arch efficientnet_lite0] [--sizes 128 224] [--bs 16] [--threads 1] [--steps 6] [--rounds 2]

Each measurement is a fresh Python process (malloc's settings hold for a whole process), running forward, backward and
an AdamW step of the network (random weights: speed does not depend on them) in channels-last layout, as training does,
on a fixed batch at each size. The two settings alternate, `--rounds` times each, so that machine noise hits them alike;
the table gives each one's best round: seconds per step, page faults per step, and the kernel's share of the time.
`--threads 1` is one process of `torchrun --nproc_per_node 2` with OMP_NUM_THREADS=1; `--threads 2` one process on 2 cores.
The closing line gives the ratio of the speeds at each size. Linux (glibc) only: elsewhere there is nothing to measure."""
import argparse, json, subprocess, sys

STEP = """
import json, resource, sys, time, torch, timm
from car_classifier.learner import reuse_freed_memory
args = json.loads(sys.argv[1])
if args['reuse'] and not reuse_freed_memory(): sys.exit('not glibc: reuse_freed_memory changed nothing')
torch.set_num_threads(args['threads']); torch.manual_seed(0)
m = timm.create_model(args['arch'], num_classes=196).to(memory_format=torch.channels_last)
opt, rows = torch.optim.AdamW(m.parameters(), 1e-4), {}
for size in args['sizes']:
    x = torch.randn(args['bs'], 3, size, size).contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 196, (args['bs'],))
    def step():
        torch.nn.functional.cross_entropy(m(x), y).backward(); opt.step(); opt.zero_grad(set_to_none=True)
    step(); step()  # warm-up: oneDNN's kernels, the optimiser's state
    r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    for _ in range(args['steps']): step()
    r1, t1 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    n = args['steps']
    rows[size] = dict(seconds=(t1 - t0) / n, faults=(r1.ru_minflt - r0.ru_minflt) / n,
                      kernel=(r1.ru_stime - r0.ru_stime) / max(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime, 1e-9),
                      maxrss_mb=r1.ru_maxrss / 1024)
print(json.dumps(rows))
"""

def measure(reuse:bool, a) -> dict:
    "One fresh process's seconds, page faults and kernel share per step, by size."
    args = dict(reuse=reuse, arch=a.arch, sizes=a.sizes, bs=a.bs, threads=a.threads, steps=a.steps)
    run = subprocess.run([sys.executable, '-c', STEP, json.dumps(args)], capture_output=True, text=True)
    if run.returncode: sys.exit(run.stderr[-2000:])
    return {int(k): v for k, v in json.loads(run.stdout.splitlines()[-1]).items()}

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--arch', default='efficientnet_lite0')
    p.add_argument('--sizes', type=int, nargs='+', default=[128, 224])
    p.add_argument('--bs', type=int, default=16)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--steps', type=int, default=6)
    p.add_argument('--rounds', type=int, default=2)
    a = p.parse_args()
    runs = {False: [], True: []}
    for _ in range(a.rounds):
        for reuse in (False, True): runs[reuse].append(measure(reuse, a))
    best = {reuse: {s: min((r[s] for r in rs), key=lambda v: v['seconds']) for s in a.sizes} for reuse, rs in runs.items()}
    print(f"{a.arch}, batches of {a.bs}, {a.threads} thread(s), best of {a.rounds} rounds of {a.steps} steps")
    print(f"{'malloc':<22}{'size':>5}{'s/step':>9}{'img/s':>8}{'faults/step':>13}{'kernel':>8}{'max RSS':>10}")
    for reuse, name in ((False, 'glibc default'), (True, 'reuse_freed_memory')):
        for s, v in best[reuse].items():
            print(f"{name:<22}{s:>5}{v['seconds']:>9.3f}{a.bs / v['seconds']:>8.1f}{v['faults']:>13,.0f}"
                  f"{v['kernel']:>8.0%}{v['maxrss_mb']:>8,.0f} MB")
    print('speed-up: ' + ', '.join(f"{s} px {best[False][s]['seconds'] / best[True][s]['seconds']:.2f}x" for s in a.sizes))

if __name__ == '__main__': main()
