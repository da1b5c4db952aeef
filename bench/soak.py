"""A long run against the demo and the Space: RSS, requests per second, p50 and p95, and the upload folder, every 30 s.

usage: python bench/soak.py [--minutes 10] [--clients 8] [--target demo space] [--broken 0] [--window 30] [--timeout 60]
                            [--photos DIR] [--model DIR] [--same-bytes]

Each target is started as its users start it, on 127.0.0.1, with a fresh GRADIO_TEMP_DIR (the folder Gradio keeps uploads
and outputs in): `car-classifier demo`, and a Space folder written by `car-classifier space` run with `python app.py`.
`--broken N` first sends N broken and odd files (bench/fuzz.py's generator) through the REST API. Then `--clients`
threads each post real photos one after another through Gradio's REST API (upload, call /predict, read the result
stream: httpx, as curl does), for `--minutes`. Photos: the shipped examples, each also inside a larger frame (as whole
photos are), or the JPEGs of --photos; each upload is made a file of its own (16 random bytes in a JPEG comment), as
visitors' photos are, so Gradio keeps each in a folder of its own (--same-bytes sends the files as they are). Every
request ends in an answer, a Gradio error, or a client error, within --timeout; "lost" counts those that did none of
these. Every loop is bounded in time and in count.

Each window gives: requests answered, errors, requests per second, p50 and p95 (ms), the server's RSS (MB, from /proc)
and the upload folder's size (MB) and number of files. The closing lines give the RSS growth from the second window to
the last, the p95 of the last full window over the second's, and the upload folder at the end; and `N passed, N failed`
over the goals (0 errors, 0 lost, growth <= 50 MB, p95 ratio <= 1.3, upload folder <= 80 MB)."""
import argparse, io, json, os, socket, subprocess, sys, tempfile, threading, time, urllib.request
from importlib.resources import files
from pathlib import Path
import numpy as np
from PIL import Image
sys.path.insert(0, str(Path(__file__).parent))

def free_port() -> int:
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def rss_mb(pid:int) -> float:
    "Resident memory of a process, from /proc (MB)."
    for line in Path(f'/proc/{pid}/status').read_text().splitlines():
        if line.startswith('VmRSS:'): return int(line.split()[1]) / 1024
    return float('nan')

def folder_size(d:Path) -> tuple[float, int]:
    "MB and number of files under `d`."
    sizes = [f.stat().st_size for f in d.rglob('*') if f.is_file()] if d.exists() else []
    return sum(sizes) / 2**20, len(sizes)

def test_photos(folder:str|None) -> list[tuple[str, bytes]]:
    "Real photos to send: the shipped examples, and each inside a larger frame; or the JPEGs of `folder`."
    if folder: return [(p.name, p.read_bytes()) for p in sorted(Path(folder).rglob('*.jpg'))]
    out = []
    for p in sorted((Path(str(files('car_classifier')/'model'))/'examples').iterdir()):
        out.append((p.name, p.read_bytes()))
        frame = Image.new('RGB', (1280, 960), (90, 110, 130)); frame.paste(Image.open(p).resize((640, 440)), (500, 400))
        buf = io.BytesIO(); frame.save(buf, 'JPEG', quality=88); out.append((f'frame_{p.name}', buf.getvalue()))
    return out

def start(target:str, tmp:Path, model:str|None) -> tuple:
    "The target running on a free port, with its own temp folder: (process, url, temp folder)."
    port, temp = free_port(), tmp/f'{target}-gradio'
    temp.mkdir()
    env = {**os.environ, 'GRADIO_TEMP_DIR': str(temp), 'GRADIO_SERVER_PORT': str(port),
           'GRADIO_SERVER_NAME': '127.0.0.1', 'GRADIO_ANALYTICS_ENABLED': 'False'}
    exe = str(Path(sys.executable).parent/'car-classifier')
    if target == 'demo':
        cmd, cwd = [exe, 'demo', '--port', str(port)] + (['--model', model] if model else []), tmp
    else:
        space = tmp/'space'
        subprocess.run([exe, 'space', '--out', str(space)] + (['--model', model] if model else []), check=True,
                       capture_output=True)
        cmd, cwd = [sys.executable, 'app.py'], space
        env['PYTHONPATH'] = str(space)
    log = open(tmp/f'{target}.log', 'w')
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f'http://127.0.0.1:{port}/'
    for _ in range(900):
        if proc.poll() is not None: raise RuntimeError(f"{target} exited: {(tmp/f'{target}.log').read_text()[-2000:]}")
        try: urllib.request.urlopen(url, timeout=2); return proc, url, temp
        except OSError: time.sleep(0.2)
    proc.kill(); raise RuntimeError(f"{target} did not start within 3 minutes")

def unique(data:bytes, rng) -> bytes:
    "The JPEG `data` with a comment segment of 16 random bytes after its start marker: the same photo, a new file."
    return data[:2] + b'\xff\xfe\x00\x12' + rng.bytes(16) + data[2:] if data[:2] == b'\xff\xd8' else data

def ask(c, name:str, data:bytes, timeout:float) -> str:
    "One request through the REST API: 'ok', 'error' (Gradio's error event, or an HTTP error), or raises (lost)."
    r = c.post('gradio_api/upload', files={'files': (name, data, 'image/jpeg')})
    if r.status_code != 200: return 'error'
    body = [{'path': r.json()[0], 'meta': {'_type': 'gradio.FileData'}, 'orig_name': name}, False]
    r = c.post('gradio_api/call/predict', json={'data': body})
    if r.status_code != 200: return 'error'
    text = c.get(f"gradio_api/call/predict/{r.json()['event_id']}", timeout=timeout).text
    return 'ok' if 'event: complete' in text else 'error' if 'event: error' in text else 'lost'

def soak(url:str, pid:int, temp:Path, photos:list, clients:int, minutes:float, window:float, timeout:float,
         broken:list=(), same_bytes:bool=False) -> dict:
    "Run the load; return the windows and the counts."
    import httpx
    rejected = {'ok': 0, 'error': 0, 'lost': 0}
    with httpx.Client(base_url=url, timeout=timeout) as c:
        for name, data in broken:
            try: rejected[ask(c, f'{name}.jpg', data, timeout)] += 1
            except Exception: rejected['lost'] += 1
    events, lock, stop = [], threading.Lock(), time.time() + minutes * 60
    def client(i):
        rng = np.random.default_rng(i)
        with httpx.Client(base_url=url, timeout=timeout) as c:
            for _ in range(10**6):  # bounded in count as well as in time
                if time.time() >= stop: return
                name, data = photos[int(rng.integers(len(photos)))]
                if not same_bytes: data = unique(data, rng)
                t = time.perf_counter()
                try: kind = ask(c, name, data, timeout)
                except Exception: kind = 'lost'
                with lock: events.append((time.time(), kind, (time.perf_counter() - t) * 1000))
    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    started = time.time()
    for t in threads: t.start()
    windows, next_at = [], started + window
    while any(t.is_alive() for t in threads) and time.time() < stop + timeout + 5:
        time.sleep(max(0., min(next_at, stop) - time.time()))
        now = time.time()
        with lock: these = [e for e in events if (next_at - window) <= e[0] < next_at]
        ms = [e[2] for e in these if e[1] == 'ok']
        mb, n = folder_size(temp)
        windows.append(dict(end_s=round(now - started), answered=len(ms), errors=sum(e[1] == 'error' for e in these),
                            lost=sum(e[1] == 'lost' for e in these), per_second=round(len(ms) / window, 1),
                            p50=round(float(np.median(ms)), 1) if ms else None,
                            p95=round(float(np.percentile(ms, 95)), 1) if ms else None,
                            rss_mb=round(rss_mb(pid), 1), uploads_mb=round(mb, 1), upload_files=n))
        w = windows[-1]
        print(f"  {w['end_s']:5d} s  {w['answered']:6d} answered {w['errors']:3d} errors {w['lost']:3d} lost  "
              f"{w['per_second']:6.1f}/s  p50 {w['p50']} ms  p95 {w['p95']} ms  RSS {w['rss_mb']} MB  uploads "
              f"{w['uploads_mb']} MB in {w['upload_files']} files", flush=True)
        next_at += window
        if now >= stop: break
    for t in threads: t.join(timeout + 5)
    lost_threads = sum(t.is_alive() for t in threads)
    return dict(windows=windows, requests=len(events), errors=sum(e[1] == 'error' for e in events),
                lost=sum(e[1] == 'lost' for e in events) + lost_threads, broken=rejected)

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--minutes', type=float, default=10); p.add_argument('--clients', type=int, default=8)
    p.add_argument('--target', nargs='+', default=['demo', 'space'], choices=['demo', 'space'])
    p.add_argument('--broken', type=int, default=0); p.add_argument('--window', type=float, default=30)
    p.add_argument('--timeout', type=float, default=60); p.add_argument('--photos'); p.add_argument('--model')
    p.add_argument('--same-bytes', action='store_true', help="send the photos as they are, not each a file of its own")
    a = p.parse_args()
    photos, report, failed, passed = test_photos(a.photos), {}, 0, 0
    broken = []
    if a.broken:
        import fuzz
        broken = list(fuzz.mutants(a.broken, seed=7))
    for target in a.target:
        tmp = Path(tempfile.mkdtemp(prefix=f'soak-{target}-'))
        proc, url, temp = start(target, tmp, a.model)
        try:
            print(f"{target}: {url}, {a.clients} clients for {a.minutes:g} minutes"
                  + (f", after {len(broken)} broken files" if broken else ''), flush=True)
            r = soak(url, proc.pid, temp, photos, a.clients, a.minutes, a.window, a.timeout, broken, a.same_bytes)
            alive = proc.poll() is None
        finally:
            proc.terminate(); proc.wait(30)
        full = [w for w in r['windows'] if w['end_s'] <= a.minutes * 60 + 1 and w['answered']]
        growth = full[-1]['rss_mb'] - full[1]['rss_mb'] if len(full) > 1 else float('nan')
        ratio = full[-1]['p95'] / full[1]['p95'] if len(full) > 1 else float('nan')
        end_mb = r['windows'][-1]['uploads_mb'] if r['windows'] else float('nan')
        checks = {'0 errors': r['errors'] == 0, '0 lost': r['lost'] == 0 and r['broken']['lost'] == 0,
                  'RSS growth <= 50 MB': growth <= 50, 'p95 ratio <= 1.3': ratio <= 1.3,
                  'upload folder <= 80 MB': end_mb <= 80, 'server alive': alive}
        print(f"{target}: {r['requests']} requests, {r['errors']} errors, {r['lost']} lost"
              + (f"; broken files: {r['broken']['ok']} answered, {r['broken']['error']} errors, {r['broken']['lost']} lost"
                 if broken else '')
              + f"; RSS {full[1]['rss_mb'] if len(full) > 1 else '?'} -> {full[-1]['rss_mb'] if full else '?'} MB "
              f"(growth {growth:+.0f} MB from the second window); p95 last/second {ratio:.2f}; upload folder at the end "
              f"{end_mb} MB", flush=True)
        for name, ok in checks.items(): print(f"  {'ok    ' if ok else 'FAILED'} {name}")
        passed, failed = passed + sum(checks.values()), failed + sum(not v for v in checks.values())
        report[target] = dict(r, rss_growth_mb=growth, p95_ratio=ratio, uploads_mb_end=end_mb, checks=checks)
    print(json.dumps(report))
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)

if __name__ == '__main__': main()
