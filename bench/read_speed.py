"""Time `cars_dataframe` on full-size Stanford Cars layouts (16,185 images), with and without the image checks.

usage: python bench/read_speed.py LAYOUTS_DIR
  LAYOUTS_DIR holds `official/` and `allinone/` as written by `python ../shared/tools/make_real_layouts.py LAYOUTS_DIR`
  (the real devkit annotations with solid-colour stand-in images sized to each box).

The checks read each image's header and last bytes, never its pixels; the run drops the page cache first when it may
(root on Linux), so the first timing of each layout is a cold read."""
import sys, time, subprocess, warnings
from pathlib import Path
from car_classifier.data import cars_dataframe, cars_summary

def drop_caches():
    try: subprocess.run(['sync']); Path('/proc/sys/vm/drop_caches').write_text('3\n'); return True
    except OSError: return False

def main(root):
    for layout in ('official', 'allinone'):
        cold = drop_caches()
        for check in (True, False):
            t = time.perf_counter()
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter('always')
                df = cars_dataframe(Path(root)/layout, check=check)
            dt = time.perf_counter() - t
            print(f"{layout:9s} check={check!s:5s} {'(cold cache)' if check and cold else '':12s} {dt:6.2f} s  "
                  f"{cars_summary(df)}  warnings: {len(w)}")

if __name__ == '__main__': main(sys.argv[1])
