"""Broken and odd images, from the generator of `bench/fuzz.py` (fewer of them): each gets an answer or a one-line error,
in process and from the live demo, which then still answers a real photo."""
import socket, sys
from pathlib import Path
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT/'bench'))
import fuzz  # noqa: E402

def test_generator_covers_every_kind():
    "The generator is reproducible and makes each kind of case, real images among the broken ones."
    a, b = list(fuzz.mutants(34, seed=3)), list(fuzz.mutants(34, seed=3))
    assert [n for n, _ in a] == [n for n, _ in b] and all(x == y for (_, x), (_, y) in zip(a, b))
    kinds = {n.split('_', 1)[1] for n, _ in a}
    assert {'truncated', 'bit-flipped', 'empty', 'odd-mode', 'animated-gif', 'huge-declared-size', 'tiny',
            'extreme-aspect', 'large-photo'} <= kinds, kinds
    assert any(data.startswith(b'GIF89a') for _, data in a) and any(data == b'' for _, data in a)

def test_mutants_in_process_and_through_the_demo():
    "170 cases through `predict` and through `car-classifier demo`: nothing but answers and one-line errors."
    from car_classifier.inference import CarClassifier
    cases = list(fuzz.mutants(170, seed=1))
    local = fuzz.in_process(CarClassifier.from_pretrained(fast=True), cases)
    assert not local['failed'], local['failed'][:5]
    assert local['answered'] >= 40 and local['refused'] >= 40, local  # both kinds of outcome were exercised
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]
    proc = fuzz.start_demo(None, port)
    try:
        served = fuzz.through_server(f'http://127.0.0.1:{port}/', cases[:80], timeout=120)
        real = fuzz.through_server(f'http://127.0.0.1:{port}/', [('real', fuzz.encode(fuzz.seeds()[2], 'JPEG'))])
        assert proc.poll() is None
    finally: proc.terminate(); proc.wait(30)
    assert not served['failed'], served['failed'][:5]
    assert served['answered'] >= 20 and served['refused'] >= 20, served
    assert real['answered'] == 1, real
