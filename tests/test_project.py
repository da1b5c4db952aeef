"The project's files agree with each other: README with index.ipynb, the console script with the CLI, the config with nbdev 3."
import json, subprocess, sys, tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

def _cells(nb, kind): return [''.join(c['source']).strip() for c in json.loads(nb.read_text())['cells']
                              if c['cell_type'] == kind]

def test_readme_in_step_with_index():
    "README.md is made from nbs/index.ipynb by `nbdev-readme` (Quarto); every cell of the notebook must appear in it."
    readme, nb = (ROOT/'README.md').read_text(), ROOT/'nbs/index.ipynb'
    shown = [c for c in _cells(nb, 'code')
             if not c.startswith('#| hide')]  # hidden cells (set-up, checks) stay out of the README
    for cell in _cells(nb, 'markdown')[1:] + shown:
        for para in cell.split('\n\n'):
            para = para.replace('](images/', '](nbs/images/')  # as tools/readme.py writes pictures' paths
            assert para.strip() in readme, f"README.md is out of step with nbs/index.ipynb; missing:\n{para}"

def test_nbdev3_config():
    cfg = tomllib.loads((ROOT/'pyproject.toml').read_text())
    assert not (ROOT/'settings.ini').exists(), "nbdev 3 refuses settings.ini: configure [tool.nbdev] in pyproject.toml"
    assert cfg['tool']['nbdev']['tst_flags'].split() == ['notest', 'slow', 'gpu']
    assert cfg['project']['scripts']['car-classifier'] == 'car_classifier.cli:main'
    assert (ROOT/'nbs/_quarto.yml').exists() and (ROOT/'nbs/nbdev.yml').exists()

def test_console_script_runs():
    "The installed `car-classifier` command answers a bad path with one line and status 2, not a traceback."
    exe = Path(sys.executable).parent/'car-classifier'
    run = subprocess.run([str(exe), 'data', '/no/such/folder'], capture_output=True, text=True)
    assert run.returncode == 2 and run.stdout == ''
    assert run.stderr.startswith('error: /no/such/folder does not exist') and 'Traceback' not in run.stderr

def _outputs(nb): return [o for c in json.loads(nb.read_text())['cells'] if c['cell_type'] == 'code' for o in c.get('outputs', [])]

def _shows(o, kind): return kind in o.get('data', {}) if '/' in kind else kind in ''.join(o.get('text', ''))

def test_every_notebook_shows_its_results():
    "Every page of the docs keeps the outputs of its examples (nbdev-clean keeps them); the pages the issue names show theirs."
    notebooks = [p for p in (ROOT/'nbs').rglob('*.ipynb') if not any(part.startswith(('.', '_')) for part in p.parts)]
    assert all(_outputs(nb) for nb in notebooks), [nb.name for nb in notebooks if not _outputs(nb)]
    shown = {'01c_phases': 'image/png', '03_inference': 'image/png', '04_app': 'image/jpeg', '05_cli': 'usage: car-classifier'}
    for name, kind in shown.items():  # lr_find and training plots, a Grad-CAM, the page's screenshot, --help
        assert any(_shows(o, kind) for o in _outputs(ROOT/f'nbs/{name}.ipynb')), f"{name}.ipynb shows no {kind}"

def _pictures(nb): return sum(any(k.startswith('image/') for k in o.get('data', {})) for o in _outputs(nb))

def test_notebooks_show_their_pictures():
    "The pages a newcomer opens first keep their pictures: the tutorial's real run, the finder's boxes, the demo page."
    least = {'tutorials/stanford_cars': 8, '00b_finder': 1, '04_app': 1, '00c_calibrate': 1, '02_interpret': 1}
    found = {name: _pictures(ROOT/f'nbs/{name}.ipynb') for name in least}
    assert all(found[n] >= k for n, k in least.items()), found

def test_code_lines_fit_120_characters():
    "Code cells keep to 120 characters a line (the module docstrings nbdev writes from the notebooks' descriptions aside)."
    long = [f"{nb.name}: {line[:60]}..." for nb in (ROOT/'nbs').rglob('*.ipynb') if '.ipynb_checkpoints' not in nb.parts
            for cell in _cells(nb, 'code') for line in cell.split('\n') if len(line) > 120]
    assert not long, long

def test_temporary_files_stay_under_pytests_folder(tmp_path_factory):
    "What the tests and their subprocesses write to the temporary folder goes under pytest's base folder (conftest.py)."
    import os, tempfile
    base = tmp_path_factory.getbasetemp().resolve()
    assert Path(tempfile.gettempdir()).resolve().is_relative_to(base)
    child = subprocess.run([sys.executable, '-c', 'import tempfile; print(tempfile.mkdtemp())'],
                           capture_output=True, text=True, check=True).stdout.strip()
    assert Path(child).resolve().is_relative_to(base), child
    assert os.environ['TMPDIR'] == tempfile.gettempdir()
    pyproject = tomllib.loads((ROOT/'pyproject.toml').read_text())
    assert pyproject['tool']['pytest']['ini_options']['tmp_path_retention_policy'] == 'failed'
