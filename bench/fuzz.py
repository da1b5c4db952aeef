"""Broken, odd and hostile images through `predict` and through the live demo: each gets an answer or a one-line error.

usage: python bench/fuzz.py [--n 1000] [--seed 0] [--model DIR] [--no-server] [--timeout 60]

`mutants(n, seed)` makes `n` images from real photos (the shipped examples) and drawn ones: truncated, bit-flipped,
header-damaged, random bytes, empty; every Pillow mode (1, L, LA, P with transparency, RGBA, CMYK, I;16, I, F) in PNG, TIFF,
JPEG, WebP, BMP and GIF; animated GIFs; EXIF-rotated, progressive, grayscale and CMYK JPEGs; 16-bit PNGs; headers that
declare huge sizes (decompression bombs); 1x1 to 31-pixel images; extreme aspect ratios (up to 4000x8); blank ones.

Each goes through `CarClassifier.predict` in this process, then (unless --no-server) through `car-classifier demo`,
started as the README starts it, via Gradio's REST API (`gradio_client`). A case passes when it is answered (a
`CarPrediction`; four outputs from the server) or refused with a one-line error (`ValueError` or `TypeError` in process;
Gradio's error message from the server). Anything else fails it: another exception, a message over several lines, no
answer within --timeout seconds. The server must then still answer a real photo. The closing lines count them."""
import argparse, io, json, os, random, socket, struct, subprocess, sys, tempfile, time, zlib
from importlib.resources import files
from pathlib import Path
import numpy as np
from PIL import Image

MODES = ('1', 'L', 'LA', 'P', 'PA', 'RGB', 'RGBA', 'CMYK', 'I;16', 'I', 'F')
FORMATS = {'PNG': ('1', 'L', 'LA', 'P', 'RGB', 'RGBA', 'I;16', 'I'), 'TIFF': ('1', 'L', 'LA', 'P', 'RGB', 'RGBA', 'CMYK', 'I;16', 'I', 'F'),
           'JPEG': ('L', 'RGB', 'CMYK'), 'WEBP': ('RGB', 'RGBA'), 'BMP': ('1', 'L', 'P', 'RGB'), 'GIF': ('L', 'P')}

def seeds() -> list:
    "The photos mutants are made from: the shipped examples (real test photos of cars) and two drawn images."
    photos = [Image.open(p).convert('RGB') for p in sorted((Path(str(files('car_classifier')/'model'))/'examples').iterdir())]
    rng = np.random.default_rng(0)
    drawn = Image.fromarray(np.clip(np.add.outer(np.arange(240), np.arange(320))[..., None] / 2 + rng.normal(0, 20, (240, 320, 3)), 0, 255).astype(np.uint8))
    return photos + [drawn, Image.fromarray(rng.integers(0, 256, (300, 400, 3), dtype=np.uint8))]

def encode(img:Image.Image, fmt:str, **kw) -> bytes:
    buf = io.BytesIO(); img.save(buf, fmt, **kw); return buf.getvalue()

def in_mode(img:Image.Image, mode:str) -> Image.Image:
    "`img` converted to `mode`, as a camera or an editor might save it."
    if mode in ('I;16', 'I', 'F'):
        a = np.asarray(img.convert('L'), np.float32)
        if mode == 'I;16': return Image.fromarray((a * 257).astype(np.uint16))  # 16-bit grayscale
        return Image.fromarray((a * 257).astype(np.int32) if mode == 'I' else a / 255)  # 32-bit integers, or floats
    if mode == 'PA': return img.convert('RGBA').convert('PA') if hasattr(Image, 'PA') else img.convert('P')
    out = img.convert(mode)
    if mode == 'P': out.info['transparency'] = 0
    return out

def png_with_size(width:int, height:int) -> bytes:
    "A PNG whose header declares `width` x `height` pixels, holding almost no data (a decompression bomb's header)."
    def chunk(kind, data): return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0))
            + chunk(b'IDAT', zlib.compress(b'\x00' * 64)) + chunk(b'IEND', b''))

def mutants(n:int=1000, seed:int=0):
    "Yield `n` (name, bytes) cases, cycling through every kind of damage and oddity, reproducibly for `seed`."
    rng, base = random.Random(seed), seeds()
    def photo(): return rng.choice(base)
    def good(): return encode(photo(), 'JPEG', quality=rng.randint(30, 95))
    def flips(b, k):
        b = bytearray(b)
        for _ in range(k): i = rng.randrange(len(b)); b[i] ^= 1 << rng.randrange(8)
        return bytes(b)
    kinds = [
        ('truncated', lambda: (lambda b: b[:rng.randrange(1, len(b))])(good())),
        ('bit-flipped', lambda: flips(good(), rng.choice([1, 4, 32, 256]))),
        ('header-damaged', lambda: (lambda b: bytes(rng.randrange(256) for _ in range(rng.randint(2, 64))) + b[rng.randint(2, 64):])(good())),
        ('png bit-flipped', lambda: flips(encode(photo().resize((160, 120)), 'PNG'), rng.choice([1, 8, 64]))),
        ('random bytes', lambda: bytes(rng.randrange(256) for _ in range(rng.randint(1, 5000)))),
        ('empty', lambda: b''),
        ('text', lambda: b'<html>not an image</html>' * rng.randint(1, 50)),
        ('odd mode', lambda: (lambda fmt: encode(in_mode(photo(), rng.choice(FORMATS[fmt])), fmt))(rng.choice(list(FORMATS)))),
        ('animated gif', lambda: (lambda fs: encode(fs[0], 'GIF', save_all=True, append_images=fs[1:], duration=100, loop=0))(
            [photo().resize((200, 150)).convert('P') for _ in range(rng.randint(2, 6))])),
        ('exif-rotated jpeg', lambda: (lambda im: encode(im, 'JPEG', exif=(lambda e: (e.__setitem__(0x0112, rng.randint(1, 8)), e)[1])(im.getexif())))(photo())),
        ('progressive jpeg', lambda: encode(photo(), 'JPEG', progressive=True, quality=80)),
        ('16-bit png', lambda: encode(in_mode(photo(), 'I;16'), 'PNG')),
        ('huge declared size', lambda: png_with_size(rng.choice([20_000, 50_000, 100_000, 2**31 - 1]), rng.choice([20_000, 60_000, 3]))),
        ('tiny', lambda: encode(photo().resize((rng.randint(1, 31), rng.randint(1, 31))), rng.choice(['PNG', 'JPEG', 'BMP']))),
        ('extreme aspect', lambda: encode(photo().resize(rng.choice([(4000, 8), (8, 4000), (3000, 33), (33, 3000), (2000, 40)])), 'JPEG')),
        ('blank', lambda: encode(Image.new(rng.choice(['RGB', 'L']), (rng.randint(32, 800), rng.randint(32, 800)), rng.randrange(256)), 'PNG')),
        ('large photo', lambda: encode(photo().resize((rng.choice([2000, 4000]), rng.choice([1500, 3000]))), 'JPEG', quality=85)),
    ]
    for i in range(n):
        name, make = kinds[i % len(kinds)]
        yield f"{i:04d}_{name.replace(' ', '-')}", make()

def one_line(msg:str) -> bool: return bool(msg.strip()) and '\n' not in msg.strip()

def in_process(clf, cases:list) -> dict:
    "Each case through `clf.predict`: counts of answered, refused (one-line ValueError/TypeError) and failed, with the failures."
    out = dict(answered=0, refused=0, failed=[])
    for name, data in cases:
        try: clf.predict(data); out['answered'] += 1
        except (ValueError, TypeError) as e:
            if one_line(str(e)): out['refused'] += 1
            else: out['failed'].append((name, f"{type(e).__name__} over several lines: {str(e)[:200]!r}"))
        except Exception as e: out['failed'].append((name, f"{type(e).__name__}: {str(e)[:200]}"))
    return out

def start_demo(model:str|None, port:int):
    cmd = [str(Path(sys.executable).parent/'car-classifier'), 'demo', '--port', str(port)] + (['--model', model] if model else [])
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    import urllib.request
    for _ in range(600):
        if proc.poll() is not None: raise RuntimeError(f"the demo exited: {proc.stdout.read()[-2000:]}")
        try: urllib.request.urlopen(f'http://127.0.0.1:{port}/', timeout=2); return proc
        except OSError: time.sleep(0.3)
    proc.kill(); raise RuntimeError("the demo did not start within 3 minutes")

def through_server(url:str, cases:list, timeout:float=60, folder:Path|None=None) -> dict:
    "Each case uploaded to the live demo through `gradio_client`: answered (4 outputs), refused (Gradio's message), failed."
    from gradio_client import Client, handle_file
    client = Client(url, verbose=False)
    folder = folder or Path(tempfile.mkdtemp())
    out = dict(answered=0, refused=0, failed=[])
    for name, data in cases:
        f = folder/f'{name}.jpg'; f.write_bytes(data)
        job = client.submit(handle_file(str(f)), False, api_name='/predict')
        try:
            result = job.result(timeout=timeout)
            if len(result) == 4: out['answered'] += 1
            else: out['failed'].append((name, f"{len(result)} outputs"))
        except TimeoutError: out['failed'].append((name, f"no answer within {timeout} s"))
        except Exception as e:
            msg = str(e)
            if type(e).__name__ in ('AppError', 'ValueError') and one_line(msg): out['refused'] += 1
            else: out['failed'].append((name, f"{type(e).__name__}: {msg[:200]}"))
        finally: f.unlink(missing_ok=True)
    return out

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--n', type=int, default=1000); p.add_argument('--seed', type=int, default=0)
    p.add_argument('--model'); p.add_argument('--no-server', action='store_true'); p.add_argument('--timeout', type=float, default=60)
    a = p.parse_args()
    from car_classifier.inference import CarClassifier
    cases = list(mutants(a.n, a.seed))
    clf = CarClassifier.from_pretrained(a.model, fast=True)
    start = time.perf_counter()
    local = in_process(clf, cases)
    print(f"in process: {len(cases)} images, {local['answered']} answered, {local['refused']} refused with a one-line "
          f"error, {len(local['failed'])} failed ({time.perf_counter() - start:.0f} s)")
    for name, why in local['failed'][:20]: print(f"  FAILED {name}: {why}")
    report = dict(n=len(cases), in_process=dict(local, failed=len(local['failed'])))
    if not a.no_server:
        with socket.socket() as s: s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]
        proc = start_demo(a.model, port)
        try:
            start = time.perf_counter()
            served = through_server(f'http://127.0.0.1:{port}/', cases, a.timeout)
            real = through_server(f'http://127.0.0.1:{port}/', [('real photo', encode(seeds()[2], 'JPEG'))], a.timeout)
            alive = real['answered'] == 1 and proc.poll() is None
        finally: proc.terminate(); proc.wait(30)
        print(f"live demo: {len(cases)} images, {served['answered']} answered, {served['refused']} refused with Gradio's "
              f"message, {len(served['failed'])} failed ({time.perf_counter() - start:.0f} s); then a real photo: "
              f"{'answered' if alive else 'NOT ANSWERED'}")
        for name, why in served['failed'][:20]: print(f"  FAILED {name}: {why}")
        report['live_demo'] = dict(served, failed=len(served['failed']), real_photo_after=alive)
    failures = report['in_process']['failed'] + report.get('live_demo', {}).get('failed', 0) + (not report.get('live_demo', {}).get('real_photo_after', True))
    print(json.dumps(report))
    print(f"{len(cases) * (1 if a.no_server else 2) - failures} passed, {failures} failed")
    sys.exit(1 if failures else 0)

if __name__ == '__main__': main()
