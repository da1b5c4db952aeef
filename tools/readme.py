"""Write README.md from nbs/index.ipynb where Quarto (which `nbdev-readme` needs) is not installed.

usage: python tools/readme.py     (with Quarto, prefer `nbdev-readme`; tests/test_project.py checks the two agree)"""
import json
from pathlib import Path

root = Path(__file__).resolve().parent.parent

def readme_paths(md:str) -> str:
    "Pictures next to the notebook (`images/x.png`) seen from the repository's root, where README.md lives."
    return md.replace('](images/', '](nbs/images/')

cells = json.loads((root/'nbs/index.ipynb').read_text())['cells']
out = []
for c in cells:
    src = ''.join(c['source']).strip()
    if c['cell_type'] == 'markdown': out.append(readme_paths(src))
    elif src and not src.startswith('#| hide'): out.append(f"``` python\n{src}\n```")
(root/'README.md').write_text('\n\n'.join(out) + '\n')
