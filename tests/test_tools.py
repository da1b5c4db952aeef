"""tools/requantize.py: the float32 network it rebuilds from an int8 one answers as the original float32 network does.
tools/ensemble_onnx.py: two networks merged answer the mean of their probabilities."""
import importlib.util, json, os, subprocess, sys
from pathlib import Path
import numpy as np, onnx, onnxruntime as ort, pytest, torch, torch.nn as nn
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

spec = importlib.util.spec_from_file_location('requantize', Path(__file__).parents[1]/'tools'/'requantize.py')
requantize = importlib.util.module_from_spec(spec); spec.loader.exec_module(requantize)

def _net(classes:int) -> nn.Module:
    torch.manual_seed(classes)
    return nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU6(), nn.Conv2d(16, 16, 3, groups=16),
                         nn.ReLU6(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, classes)).eval()

def _export(net:nn.Module, path:Path, size:int) -> Path:
    torch.onnx.export(net, torch.zeros(1, 3, size, size), str(path), input_names=['image'], output_names=['logits'],
                      dynamic_axes={'image': {0: 'batch'}, 'logits': {0: 'batch'}}, opset_version=17, dynamo=False)
    return path

def _run(path, x): return ort.InferenceSession(str(path), providers=['CPUExecutionProvider']).run(None, {'image': x})[0]

def test_rebuilt_float_network_matches_the_original(tmp_path):
    x = np.random.default_rng(0).normal(size=(4, 3, 24, 24)).astype(np.float32)
    original = _export(_net(5), tmp_path/'model.onnx', 24)
    class Calibration(CalibrationDataReader):
        def __init__(self): self.batches = iter([{'image': x[i:i + 1]} for i in range(4)])
        def get_next(self): return next(self.batches, None)
    quantize_static(str(original), str(tmp_path/'model.int8.onnx'), Calibration(), quant_format=QuantFormat.QDQ,
                    per_channel=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
    other = _export(_net(3), tmp_path/'other.onnx', 32)  # same layers, other weights, classes and input size
    rebuilt = requantize.rebuild_float(onnx.load(other), requantize.dequantized(onnx.load(tmp_path/'model.int8.onnx')), 24)
    onnx.save(rebuilt, tmp_path/'rebuilt.onnx')
    want, got = _run(original, x), _run(tmp_path/'rebuilt.onnx', x)
    assert got.shape == want.shape == (4, 5)
    assert np.abs(got - want).max() < 0.02 * np.abs(want).max()  # only the 8-bit rounding of the weights differs

def test_other_architecture_is_refused(tmp_path):
    _export(_net(5), tmp_path/'model.onnx', 24)
    wider = nn.Sequential(nn.Conv2d(3, 16, 3), nn.Conv2d(16, 8, 1), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 5))
    with pytest.raises(ValueError, match='same architecture'):
        requantize.rebuild_float(onnx.load(_export(wider.eval(), tmp_path/'wider.onnx', 24)), {}, 24)

ens_spec = importlib.util.spec_from_file_location('ensemble_onnx', Path(__file__).parents[1]/'tools'/'ensemble_onnx.py')
ensemble_onnx = importlib.util.module_from_spec(ens_spec); ens_spec.loader.exec_module(ensemble_onnx)

def _softmax(z): e = np.exp(z - z.max(1, keepdims=True)); return e / e.sum(1, keepdims=True)

def test_merged_networks_answer_the_mean_of_their_probabilities(tmp_path):
    "tools/ensemble_onnx.py: the softmax of the merged network is the mean of the two networks' softmaxes."
    x = np.random.default_rng(0).normal(size=(4, 3, 24, 24)).astype(np.float32)
    a = _export(_net(5), tmp_path/'a.onnx', 24)
    torch.manual_seed(1); other = _net(5)
    for p in other.parameters(): p.data.normal_()  # the same layers, other weights: another answer
    b = _export(other.eval(), tmp_path/'b.onnx', 24)
    onnx.save(ensemble_onnx.merge(onnx.load(a), onnx.load(b)), tmp_path/'mean.onnx')
    pa, pb, got = _softmax(_run(a, x)), _softmax(_run(b, x)), _softmax(_run(tmp_path/'mean.onnx', x))
    assert np.abs(pa - pb).max() > 0.05  # two different answers to average
    assert np.abs(got - (pa + pb) / 2).max() < 2e-3  # only the float16 rounding of the weights differs
    weights = [t for t in onnx.load(tmp_path/'mean.onnx').graph.initializer if np.prod(t.dims) > 16]
    assert weights and all(t.data_type == onnx.TensorProto.FLOAT16 for t in weights)

def test_merging_other_classes_is_refused(tmp_path):
    a, b = _export(_net(5), tmp_path/'a.onnx', 24), _export(_net(3), tmp_path/'b.onnx', 24)
    with pytest.raises(ValueError, match='same classes: 5 classes against 3'):
        ensemble_onnx.merge(onnx.load(a), onnx.load(b))
    renamed = onnx.load(b); renamed.graph.input[0].name = 'pixels'
    with pytest.raises(ValueError, match=r"same input: \['image'\] against \['pixels'\]"):
        ensemble_onnx.merge(onnx.load(a), renamed)

def _run_folder(d:Path, net:nn.Module, minutes:float, **cfg) -> Path:
    "A folder as `car-classifier train` writes it, around `net`: 5 classes of 24 px images."
    from PIL import Image
    from safetensors.numpy import save_file
    from car_classifier.core import ClassifierConfig
    (d/'examples').mkdir(parents=True)
    _export(net, d/'model.onnx', 24)
    ClassifierConfig('tiny', 'timm', [f'Make{i} Model Coupe 2012' for i in range(5)],
                     **dict(dict(input_size=24, item_size=24), **cfg)).to_json(d/'config.json')
    save_file({'1.weight': np.zeros((5, 16), np.float32)}, d/'model.safetensors')
    (d/'record.json').write_text(json.dumps(dict(minutes=minutes, phases=[dict(phase='unfrozen', values=[], run=d.name)])))
    (d/'history.csv').write_text('epoch,train_loss\n0,1.0\n'); (d/'training.png').write_bytes(b'png')
    Image.new('RGB', (40, 30), (200, 30, 30)).save(d/'examples'/'00_Make0 Model Coupe 2012.jpg')
    return d

def test_merged_model_folder_serves_the_mean(tmp_path):
    "tools/ensemble_onnx.py on two `train` folders: a folder CarClassifier serves, answering their mean probabilities."
    from PIL import Image
    from car_classifier.inference import CarClassifier
    torch.manual_seed(1); other = _net(5)
    for p in other.parameters(): p.data.normal_()
    a = _run_folder(tmp_path/'a', _net(5), 50.0, unknown_threshold=0.3)
    b = _run_folder(tmp_path/'b', other.eval(), 55.5, input_size=32)  # tuned apart: their own sizes and thresholds
    out = ensemble_onnx.model_folder(a, b, tmp_path/'pair')
    images = [Image.fromarray(np.random.default_rng(i).integers(0, 255, (60, 80, 3), np.uint8)) for i in range(3)]
    pa, got = (CarClassifier.from_pretrained(d).probabilities(images) for d in (a, out))
    b_served = CarClassifier.from_pretrained(b); b_served.cfg.input_size = 24  # the pair is served as `a` is
    pb = b_served.probabilities(images)
    assert np.abs(pa - pb).max() > 0.05 and np.abs(got - (pa + pb) / 2).max() < 2e-3
    record = json.loads((out/'record.json').read_text())
    assert (record['minutes'], [m['minutes'] for m in record['members']]) == (55.5, [50.0, 55.5])
    assert (record['phases'][0]['run'], record['members'][1]['phases'][0]['run']) == ('a', 'b')  # curves of both
    assert 'phases' not in record['members'][0]  # written once
    assert sorted(p.name for p in out.iterdir()) == ['config.json', 'examples', 'history.csv', 'model.onnx',
                                                     'model.safetensors', 'record.json', 'training.png']

def test_folders_trained_apart_are_refused(tmp_path):
    a = _run_folder(tmp_path/'a', _net(5), 50.0)
    b = _run_folder(tmp_path/'b', _net(5), 50.0, mean=[0.5, 0.5, 0.5], resize_method='crop')
    with pytest.raises(ValueError, match='these differ: mean, resize_method'):
        ensemble_onnx.model_folder(a, b, tmp_path/'pair')
    assert not (tmp_path/'pair').exists()  # nothing written

def test_train_pair_trains_merges_tunes_and_scores(tmp_path):
    "tools/train_pair.sh: two seeds on one validation split, merged, tuned on that split and scored on the test split."
    from car_classifier.data import sample_path
    from car_classifier.core import ClassifierConfig
    env = dict(os.environ, CC=str(Path(sys.executable).parent/'car-classifier'), PY=sys.executable)
    tiny = ['--recipe', 'sample', '--no-pretrained', '--size', '32', '--epochs', '1', '--bs', '8', '--lr-find-iters', '5',
            '--num-workers', '0']
    run = subprocess.run(['bash', str(Path(__file__).parents[1]/'tools'/'train_pair.sh'), str(sample_path()),
                          str(tmp_path/'p'), *tiny], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-1000:] + run.stderr[-2000:]
    pair = tmp_path/'p'/'pair'
    record = json.loads((pair/'record.json').read_text())
    assert [(m['seed'], m['split_seed']) for m in record['members']] == [(42, 42), (7, 42)]
    cfg = ClassifierConfig.from_json(pair/'config.json')
    assert f"Served at {cfg.input_size} px" in run.stdout  # `tune` chose the size and threshold of the pair
    assert 'top1_tta' in json.loads((pair/'report'/'metrics.json').read_text())
    assert len(onnx.load(pair/'model.onnx').graph.node) > 2 * len(onnx.load(tmp_path/'p'/'member0'/'model.onnx').graph.node)
