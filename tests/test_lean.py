"""A plain `pip install` serves: predict, the demo and the Space work without PyTorch or fastai, and the commands that need the
training stack say in one line how to get it. The declared dependencies cover every package the code imports."""
import json, os, re, subprocess, sys, tomllib
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ['fastai', 'timm', 'torch', 'torchvision']

def _cli_in_fresh_process(args:list, cwd:Path) -> dict:
    "Run `car-classifier ARGS` in a fresh interpreter; its exit status, and which heavy packages ended up imported."
    code = f"""
import json, sys
from car_classifier.cli import main
try: status = main({args!r})
except SystemExit as e: status = e.code
print(json.dumps(dict(status=status, heavy=sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))))
"""
    run = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=cwd)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.splitlines()[-1])

@pytest.mark.parametrize('args', [['--help'], ['predict', '{photo}'], ['demo', '--help'],
                                  ['space', '--out', '{tmp}/space'], ['push', '--help']])
def test_serving_commands_import_no_training_stack(tmp_path, args):
    "predict, demo, space and push, and --help, import neither PyTorch nor fastai (checked in the environment that has both)."
    photo = sorted((ROOT/'car_classifier/model/examples').iterdir())[0]
    args = [a.format(photo=photo, tmp=tmp_path) for a in args]
    out = _cli_in_fresh_process(args, tmp_path)
    assert out['status'] == 0 and out['heavy'] == [], out

def test_plain_install_serves_without_torch(tmp_path):
    "A fresh venv with `pip install .` and no extras: predict answers with the shipped model, torch is absent, training says what to install."
    venv = tmp_path/'venv'
    subprocess.run([sys.executable, '-m', 'venv', str(venv)], check=True)
    pip = subprocess.run([str(venv/'bin/pip'), 'install', '-q', str(ROOT)], capture_output=True, text=True,
                         env={**os.environ, 'PIP_NO_INPUT': '1'})
    assert pip.returncode == 0, pip.stderr[-3000:]
    assert subprocess.run([str(venv/'bin/python'), '-c', 'import torch'], capture_output=True).returncode != 0
    assert subprocess.run([str(venv/'bin/python'), '-c', 'import fastai'], capture_output=True).returncode != 0
    photo = sorted((ROOT/'car_classifier/model/examples').iterdir())[0]
    cli = str(venv/'bin/car-classifier')
    run = subprocess.run([cli, 'predict', str(photo), '--json'], capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    row = json.loads(run.stdout)
    assert row['path'] == str(photo) and len(row['guesses']) == 5 and row['error'] is None
    expected = photo.stem.split('_', 1)[1]
    assert row['guesses'][0]['label'].replace('/', '-') == expected  # the shipped example is recognised
    run = subprocess.run([cli, 'space', '--out', str(tmp_path/'space')], capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0 and (tmp_path/'space/app.py').exists(), run.stderr[-3000:]
    run = subprocess.run([cli, 'train', '--sample', '--out', str(tmp_path/'run')], capture_output=True, text=True,
                         cwd=tmp_path)
    said = run.stderr.strip()
    assert run.returncode == 2 and said.endswith('pip install "car-classifier[train]"') and len(said.splitlines()) == 1, said

def _imports(path:Path) -> set:
    "Top-level names of the modules `path` imports (Python file or notebook code)."
    text = path.read_text()
    if path.suffix == '.ipynb': text = '\n'.join(''.join(c['source']) for c in json.loads(text)['cells']
                                                 if c['cell_type'] == 'code')
    return {m.group(1) for m in re.finditer(r'^\s*(?:from|import)\s+([A-Za-z_]\w*)', text, re.M)}

def test_every_imported_package_is_declared():
    "Each third-party package the package imports is a declared dependency: the serving modules' in the core list, the rest in [train]."
    cfg = tomllib.loads((ROOT/'pyproject.toml').read_text())['project']
    names = lambda reqs: {re.split(r'[<>=\[ ;]', r)[0].lower().replace('-', '_') for r in reqs}
    core, train = names(cfg['dependencies']), names(cfg['optional-dependencies']['train'])
    module_to_dist = {'PIL': 'pillow', 'sklearn': 'scikit_learn', 'yaml': 'pyyaml'}
    stdlib = set(sys.stdlib_module_names) | {'car_classifier'}
    for module in ('core', 'inference', 'app', 'cli'):  # what serving imports, at the top or inside serving commands
        found = {module_to_dist.get(m, m).lower() for m in _imports(ROOT/f'car_classifier/{module}.py')} - stdlib
        assert found <= core | train, (module, found - core - train)
    for module in ('core', 'inference', 'app'):
        text = (ROOT/f'car_classifier/{module}.py').read_text()
        top = {module_to_dist.get(m, m).lower()
               for m in re.findall(r'^(?:from|import)\s+([A-Za-z_]\w*)', text, re.M)} - stdlib
        assert top <= core, (module, top - core)
    for path in sorted((ROOT/'car_classifier').glob('*.py')):
        found = {module_to_dist.get(m, m).lower() for m in _imports(path)} - stdlib
        assert found <= core | train, (path.name, found - core - train)
