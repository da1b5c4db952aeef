"tools/requantize.py: the float32 network it rebuilds from an int8 one answers as the original float32 network does."
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
