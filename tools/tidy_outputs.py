"""Tidy the saved outputs of notebooks run with `nbdev-test --save`: keep what a terminal would show of progress bars.

usage: python tools/tidy_outputs.py nbs/tutorials/stanford_cars.ipynb [more notebooks]

fastprogress, run outside Jupyter, writes every progress update followed by a carriage return. For each line of a stream
output this keeps only the text after its last carriage return (what a terminal leaves on screen), then drops lines that are
still progress bars or blank, so the epoch tables and messages remain and the debris goes."""
import json, re, sys
from pathlib import Path

_bar = re.compile(r'█|\|[-█]+\|')

def tidy(text:str) -> str:
    lines = [l.split('\r')[-1].rstrip() for l in text.split('\n')]
    return '\n'.join(l for l in lines if l.strip() and not _bar.search(l)
                     and not re.fullmatch(r'\s*Epoch \d+/\d+ :\s*', l)) + '\n'

def main(paths):
    for p in map(Path, paths):
        nb = json.loads(p.read_text())
        for cell in nb['cells']:
            outs = []
            for o in cell.get('outputs', []):
                if o['output_type'] == 'stream':
                    o['text'] = tidy(''.join(o['text']))
                    if not o['text'].strip(): continue
                outs.append(o)
            if 'outputs' in cell: cell['outputs'] = outs
        p.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')

if __name__ == '__main__': main(sys.argv[1:])
