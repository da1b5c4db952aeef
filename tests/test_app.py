"""The demo as its users meet it: the page in a real browser, and the Space folder started in a fresh virtual environment.

The notebook `nbs/04_app.ipynb` tests the server through `gradio_client` (answers, bad uploads, 100 concurrent requests);
these tests need things a notebook should not start: a browser (Debian's chromium, driven by playwright) and a new venv."""
import json, os, shutil, socket, subprocess, sys, time, urllib.request, venv
from pathlib import Path
import pytest

BIN = Path(sys.executable).parent
CHROMIUM = Path(os.environ.get('CHROMIUM', '/usr/bin/chromium'))
# Flags for a root, headless, offline Chromium: without the networking ones it keeps trying to reach Google's hosts.
CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
                 '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage']

def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def wait_for(url:str, proc:subprocess.Popen, timeout:float=180) -> float:
    "Seconds until `url` answers; fails with the server's output if it dies or stays silent."
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if proc.poll() is not None:
            raise AssertionError(f"the server exited with {proc.returncode}:\n{proc.stdout.read()[-3000:]}")
        try:
            urllib.request.urlopen(url, timeout=2); return time.perf_counter() - start
        except OSError: time.sleep(0.3)
    proc.kill(); raise AssertionError(f"{url} did not answer within {timeout} s:\n{proc.stdout.read()[-3000:]}")

@pytest.fixture(scope='module')
def model(tmp_path_factory):
    "A tiny model trained for one epoch on synthetic cars (5 classes), with its test images as examples."
    from car_classifier.data import make_tiny_cars, cars_dataloaders
    from car_classifier.learner import cars_learner
    from car_classifier.export import save_classifier
    tmp = tmp_path_factory.mktemp('app')
    data = make_tiny_cars(tmp/'data', 'folders', n_classes=5, n_per_class=6, n_test_per_class=1, size=(96, 72))
    dls = cars_dataloaders(data, size=64, bs=8, num_workers=0)
    learn = cars_learner(dls, 'resnet18', pretrained=False)
    learn.fit_one_cycle(1, 1e-3)
    out = save_classifier(learn, tmp/'model')
    (out/'examples').mkdir()
    for f in dls.test_df.fname: shutil.copy(f, out/'examples'/Path(f).name)
    return out

@pytest.fixture(scope='module')
def photos(model, tmp_path_factory):
    "Real photos of cars (two of the shipped examples, one inside a larger frame as a whole photo is) and noise."
    from PIL import Image
    import numpy as np
    from car_classifier.inference import packaged_model_dir
    tmp = tmp_path_factory.mktemp('photos')
    real = sorted((packaged_model_dir()/'examples').iterdir())
    scene = Image.new('RGB', (1200, 900), (90, 110, 130)); scene.paste(Image.open(real[2]).resize((600, 420)), (480, 380))
    scene.save(tmp/'scene.jpg', quality=90)
    shutil.copy(real[4], tmp/'crop.jpg')
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (300, 400, 3), dtype=np.uint8)).save(tmp/'noise.png')
    return dict(scene=tmp/'scene.jpg', crop=tmp/'crop.jpg', noise=tmp/'noise.png')

@pytest.fixture(scope='module')
def three_kinds(model, photos, tmp_path_factory):
    "A copy of the model whose threshold lies between its answers for the two car photos: one known, one unsure."
    from car_classifier.inference import CarClassifier
    clf = CarClassifier.from_pretrained(model, fast=True)
    p = {k: clf.predict(photos[k]) for k in ('scene', 'crop')}
    assert p['scene'].is_car and p['crop'].is_car, p
    sure, unsure = sorted(p, key=lambda k: -p[k].top.probability)
    out = tmp_path_factory.mktemp('kinds')/'model'
    shutil.copytree(model, out)
    cfg = json.loads((out/'config.json').read_text())
    cfg['unknown_threshold'] = (p[sure].top.probability + p[unsure].top.probability) / 2
    (out/'config.json').write_text(json.dumps(cfg))
    return out, sure, unsure

@pytest.fixture(scope='module')
def demo_server(three_kinds):
    "`car-classifier demo` on a free port, as the README starts it."
    port = free_port()
    proc = subprocess.Popen([str(BIN/'car-classifier'), 'demo', '--model', str(three_kinds[0]), '--port', str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f'http://127.0.0.1:{port}/'
    wait_for(url, proc)
    yield url
    proc.terminate(); proc.wait(30)

def browser_or_skip():
    try: from playwright.sync_api import sync_playwright
    except ImportError as e: reason = f"playwright is not installed ({e})"
    else:
        if CHROMIUM.exists(): return sync_playwright
        reason = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    if os.environ.get('CAR_CLASSIFIER_REQUIRE_BROWSER'): pytest.fail(reason)
    pytest.skip(reason)

def upload(page, photo:Path):
    "Put `photo` in the page's empty image input and wait until its upload has finished (its preview is in the page)."
    page.locator('#car-image img').first.wait_for(state='detached', timeout=10_000)  # the last photo's preview is gone
    page.locator('#car-image input[type=file]').set_input_files(str(photo))
    # Gradio drops a click made while an upload is still running ("Waiting for file(s) to finish uploading, please
    # retry."), so pressing Recognise at once only works on a fast machine.
    page.locator('#car-image img').first.wait_for(state='attached', timeout=60_000)

def test_page_in_a_browser(three_kinds, photos, demo_server, tmp_path):
    "In headless Chromium: a known car, an unsure one, a non-car, each worded as such; a truncated photo's error; the page goes on."
    from car_classifier.inference import CarClassifier
    from car_classifier.app import guess_name
    sync_playwright = browser_or_skip()
    model, sure, unsure = three_kinds
    clf = CarClassifier.from_pretrained(model, fast=True)
    expected = {k: clf.predict(photos[k]) for k in (sure, unsure)}
    assert expected[sure].answer == 'known' and expected[unsure].answer == 'unsure', expected
    cut = tmp_path/'cut.jpg'; cut.write_bytes(photos['scene'].read_bytes()[:400])
    def recognise(page, photo, first=False):
        if not first: page.locator('#car-image button[aria-label="Remove Image"]').click()
        upload(page, photo)
        page.locator('#recognise').click()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page()
        # every upload takes 4 s longer, as on a slow machine: a click that does not wait for it is lost
        page.route('**/upload*', lambda route: (time.sleep(4), route.continue_()))
        page.goto(demo_server)
        recognise(page, photos[sure], first=True)  # a known car: its name is the headline
        name = guess_name(expected[sure].top)
        page.locator('#verdict h3').get_by_text(name).first.wait_for(timeout=60_000)
        assert name in page.locator('#top-k').inner_text(timeout=10_000)
        assert 'Make | Model' not in page.locator('#verdict').inner_text()  # the top 5 are shown once: the bars
        page.locator('#found img').first.wait_for(timeout=10_000)  # the photo, with the car's box
        recognise(page, photos[unsure])  # a car it is unsure of: said so, never "not a car"
        page.locator('#verdict h3').get_by_text('but', exact=False).first.wait_for(timeout=60_000)
        head = page.locator('#verdict h3').inner_text()
        assert ("I'm not sure which one" in head or f"{expected[unsure].make}, but which one?" in head), head
        assert guess_name(expected[unsure].top) in page.locator('#verdict').inner_text()
        recognise(page, photos['noise'])  # not a car
        page.locator('#verdict h3').get_by_text('Not a car').first.wait_for(timeout=60_000)
        recognise(page, cut)  # a bad photo: the message appears in the page, the old answer is cleared
        page.get_by_text('cut.jpg is not an image Pillow can read').first.wait_for(timeout=60_000)
        assert 'Not a car' not in page.locator('#verdict').inner_text()
        recognise(page, photos[sure])  # and the page carries on answering
        page.locator('#verdict h3').get_by_text(name).first.wait_for(timeout=60_000)
        browser.close()
    from gradio_client import Client, handle_file
    md, top, found, data = Client(demo_server, verbose=False).predict(handle_file(str(photos[unsure])), False,
                                                                     api_name='/predict')
    assert (data['answer'], top['label']) == ('unsure', guess_name(expected[unsure].top))

def test_space_starts_in_a_fresh_venv(model, photos, tmp_path):
    "The Space folder installs from its own requirements.txt (no torch, no fastai) and serves with `python app.py`."
    from car_classifier.hub import write_space
    from car_classifier.inference import CarClassifier
    from car_classifier.app import guess_name
    from gradio_client import Client, handle_file
    space = write_space(model, tmp_path/'space', examples=sorted((model/'examples').iterdir())[:2])
    env_dir = tmp_path/'venv'
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir/'bin'/'python'
    pip = subprocess.run([str(py), '-m', 'pip', 'install', '-q', '-r', str(space/'requirements.txt')],
                         capture_output=True, text=True)
    assert pip.returncode == 0, pip.stderr[-3000:]
    installed = subprocess.run([str(py), '-m', 'pip', 'list', '--format', 'json'], capture_output=True, text=True,
                               check=True).stdout
    assert not {p['name'].lower() for p in json.loads(installed)} & {'torch', 'fastai', 'timm', 'car-classifier'}
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ('PYTHONPATH', 'VIRTUAL_ENV')}
    proc = subprocess.Popen([str(py), 'app.py'], cwd=space, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**env, 'GRADIO_SERVER_PORT': str(port), 'GRADIO_SERVER_NAME': '127.0.0.1',
                                 'GRADIO_ANALYTICS_ENABLED': 'False'})
    try:
        wait_for(f'http://127.0.0.1:{port}/', proc)
        photo = photos['scene']
        md, top, found, data = Client(f'http://127.0.0.1:{port}/', verbose=False).predict(handle_file(str(photo)), True,
                                                                                         api_name='/predict')
        expected = CarClassifier.from_pretrained(model, fast=True).predict(photo)  # with the finder the Space ships
        assert (data['answer'], data['box']) == (expected.answer, list(expected.box))
        assert top['label'] == guess_name(expected.top)
        assert [round(c['confidence'], 5) for c in top['confidences']] == [round(g.probability, 5)
                                                                           for g in expected.guesses]
        assert found is not None and Path(found).exists()
    finally:
        proc.terminate(); proc.wait(30)
