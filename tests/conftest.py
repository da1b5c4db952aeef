"""Whatever the tests (and the notebooks, benchmarks and servers they start) write to the temporary folder stays
under pytest's own base folder, which is removed when every test passed (`tmp_path_retention_policy = "failed"` in
pyproject.toml). A run leaves no disk behind: a full run holds up to 3 GB there at once (virtual environments,
wheels, trained sample models); left in /tmp, run after run, that filled a CI machine's disk."""
import os, tempfile

import pytest

@pytest.fixture(scope='session', autouse=True)
def private_tmpdir(tmp_path_factory):
    "Point TMPDIR (and this process's `tempfile`) at a folder inside pytest's base folder for the whole session."
    before, d = os.environ.get('TMPDIR'), tmp_path_factory.mktemp('tmpdir')
    os.environ['TMPDIR'], tempfile.tempdir = str(d), None
    yield d
    if before is None: os.environ.pop('TMPDIR', None)
    else: os.environ['TMPDIR'] = before
    tempfile.tempdir = None
