"""Every notebook is a test: each runs top to bottom under `nbdev-test`, exactly as the GitHub workflow runs it.

Cells flagged `#| slow` (real data, minutes of CPU) are skipped here, as `tst_flags` in pyproject.toml says."""
import os, subprocess, sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(p for p in (ROOT/'nbs').rglob('*.ipynb')
                   if not any(part.startswith(('.', '_')) for part in p.relative_to(ROOT).parts))

@pytest.mark.parametrize('notebook', NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT/'nbs')))
def test_notebook(notebook, tmp_path):
    "Each notebook runs with its own temporary folder, removed when it passes: what its cells leave there goes too."
    nbdev_test = Path(sys.executable).parent/'nbdev-test'
    run = subprocess.run([str(nbdev_test), str(notebook)], cwd=ROOT, capture_output=True, text=True, timeout=1800,
                         env={**os.environ, 'TMPDIR': str(tmp_path)})
    assert run.returncode == 0, f"{notebook.name} failed under nbdev-test:\n{run.stdout[-3000:]}\n{run.stderr[-8000:]}"

def test_notebooks_found():
    names = {p.name for p in NOTEBOOKS}
    assert {'index.ipynb', '00_data.ipynb', '05_cli.ipynb'} <= names, names
