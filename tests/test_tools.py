"""tools/requantize.py: the float32 network it rebuilds from an int8 one answers as the original float32 network does.
tools/ensemble_onnx.py: two networks merged answer the mean of their probabilities."""
import importlib.util
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
