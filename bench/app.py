"""The demo server under load: cold start, and request latency under 1 and 8 concurrent clients.

usage: python bench/app.py [--requests 40] [--clients 1 8] [--concurrency 2] [--arch resnet34] [--image FILE.jpg]

The model is ResNet34 for 196 classes (random weights: latency does not depend on their values), saved by `save_classifier` and
served through ONNX Runtime, as the Space serves it. The image is one 640x480 JPEG (a drawn car unless --image is given).
  cold start       process start -> first answer received by a client, median of 3, for the Space folder (`python app.py`,
                   no PyTorch or fastai imported) and for `car-classifier demo` (which imports no training library either)
  latency          each client (a thread) sends its requests one after another, p50 and p95 over all requests of all clients:
                   'http': Gradio's REST API as curl uses it (POST the file to /gradio_api/upload, POST /gradio_api/call/predict,
                   GET the result stream), with httpx; 'gradio_client': the same through gradio_client.Client.predict, whose own
                   client-side work (about 100 ms a call here) is part of what it measures
  baseline         CarClassifier.predict on the same image in this process, no server: the ratios give the serving overhead
The server's concurrency limit is car_classifier.app.SERVING['concurrency_limit'] (2), or --concurrency."""
import argparse, json, os, socket, subprocess, sys, tempfile, threading, time, warnings
warnings.filterwarnings('ignore')
from pathlib import Path
import numpy as np
sys.path.insert(0, str(Path(__file__).parent))
from latency import make_model, make_image

def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def first_answer(cmd:list, cwd:Path, image:Path, env:dict, timeout:float=180) -> tuple:
    "Seconds from starting `cmd` (a server; its port comes from GRADIO_SERVER_PORT) to the first answer; and the running process and its URL."
    from gradio_client import Client, handle_file
    port = free_port()
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**env, 'GRADIO_SERVER_PORT': str(port), 'GRADIO_SERVER_NAME': '127.0.0.1',
                                 'GRADIO_ANALYTICS_ENABLED': 'False'})
    url = f'http://127.0.0.1:{port}/'
    while time.perf_counter() - t < timeout:
        try:
            Client(url, verbose=False).predict(handle_file(str(image)), False, api_name='/predict')
            return time.perf_counter() - t, proc, url
        except Exception:
            if proc.poll() is not None: raise RuntimeError(f"{cmd} exited with {proc.returncode}")
            time.sleep(0.05)
    proc.kill(); raise TimeoutError(f"{cmd} did not answer within {timeout} s")

def http_predict(c, image:Path) -> dict:
    "One prediction through Gradio's REST API, as `curl` makes it: upload, call, read the result stream."
    path = c.post('gradio_api/upload', files={'files': (image.name, image.read_bytes(), 'image/jpeg')}).json()[0]
    data = [{'path': path, 'meta': {'_type': 'gradio.FileData'}, 'orig_name': image.name}, False]
    event = c.post('gradio_api/call/predict', json={'data': data}).json()['event_id']
    body = c.get(f'gradio_api/call/predict/{event}', timeout=120).text
    if 'event: complete' not in body: raise RuntimeError(body[-500:])
    return body

def load(url:str, image:Path, clients:int, requests:int, via:str='http') -> list:
    "Latencies (ms) of `requests` sequential requests from each of `clients` concurrent clients, `via` 'http' or 'gradio_client'."
    import httpx
    from gradio_client import Client, handle_file
    times, lock = [], threading.Lock()
    def client():
        if via == 'http': c = httpx.Client(base_url=url, timeout=120); ask = lambda: http_predict(c, image)
        else:
            c = Client(url, verbose=False)
            ask = lambda: c.predict(handle_file(str(image)), False, api_name='/predict')
        ask()  # connect and warm up
        barrier.wait()
        for _ in range(requests):
            t = time.perf_counter(); ask()
            with lock: times.append((time.perf_counter() - t) * 1000)
    barrier = threading.Barrier(clients)
    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads: t.start()
    for t in threads: t.join()
    return times, time.perf_counter() - start

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--requests', type=int, default=40, help='requests per client')
    p.add_argument('--clients', type=int, nargs='+', default=[1, 8])
    p.add_argument('--concurrency', type=int, help="the server's concurrency limit (default: SERVING's)")
    p.add_argument('--arch', default='resnet34'); p.add_argument('--image')
    a = p.parse_args()
    from car_classifier.app import SERVING
    from car_classifier.hub import write_space
    from car_classifier.inference import CarClassifier
    tmp = Path(tempfile.mkdtemp())
    _, model = make_model(tmp, a.arch, 224)
    image = make_image(tmp, a.image)
    space = write_space(model, tmp/'space', examples=[image])
    if a.concurrency:  # the Space's own copy of the package is the server's: set the limit there
        app_py = space/'car_classifier'/'app.py'
        app_py.write_text(app_py.read_text().replace(f"concurrency_limit={SERVING['concurrency_limit']},",
                                                     f"concurrency_limit={a.concurrency},", 1))
    limit = a.concurrency or SERVING['concurrency_limit']
    env = {**{k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}, 'OMP_NUM_THREADS': '2'}

    clf = CarClassifier.from_pretrained(model, threads=2)
    for _ in range(3): clf.predict(image)
    direct = []
    for _ in range(30):
        t = time.perf_counter(); clf.predict(image); direct.append((time.perf_counter() - t) * 1000)
    base = float(np.median(direct))

    colds = {'Space folder (python app.py)': [], 'car-classifier demo': []}
    cmds = {'Space folder (python app.py)': ([sys.executable, 'app.py'], space),
            'car-classifier demo': ([str(Path(sys.executable).parent/'car-classifier'), 'demo', '--model', str(model)],
                                    tmp)}
    for _ in range(3):
        for name, (cmd, cwd) in cmds.items():
            s, proc, url = first_answer(cmd, cwd, image, env)
            colds[name].append(s); proc.terminate(); proc.wait(30)

    _, server, url = first_answer([sys.executable, 'app.py'], space, image, env)
    rows = []
    try:
        for via, counts in (('http', a.clients), ('gradio_client', a.clients)):
            for n in counts:
                times, wall = load(url, image, n, a.requests, via)
                rows.append(dict(via=via, clients=n, p50=float(np.median(times)), p95=float(np.percentile(times, 95)),
                                 throughput=len(times) / wall))
    finally: server.terminate(); server.wait(30)

    print(f"\n{a.arch}, 196 classes, ONNX Runtime, one {image.name} (640x480) per request, server concurrency limit "
          f"{limit}, {os.cpu_count()} cores")
    for name, v in colds.items():
        runs = ', '.join(f'{x:.2f}' for x in v)
        print(f"cold start, process start -> first answer, {name:30s} {np.median(v):6.2f} s  (runs: {runs})")
    print(f"baseline: CarClassifier.predict in process, no server, p50 {base:.1f} ms\n")
    print(f"{'client':14s} {'clients':>7s} {'p50 ms':>8s} {'p95 ms':>8s} {'req/s':>7s} {'p50 / baseline':>15s}")
    for r in rows: print(f"{r['via']:14s} {r['clients']:7d} {r['p50']:8.1f} {r['p95']:8.1f} {r['throughput']:7.1f} "
                         f"{r['p50'] / base:15.2f}")
    print(json.dumps(dict(cold_start_s={k: float(np.median(v)) for k, v in colds.items()}, baseline_ms=base,
                          concurrency=limit, rows=rows)))

if __name__ == '__main__': main()
