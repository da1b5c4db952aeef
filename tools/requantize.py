"""Quantize a model folder's int8 network again, with 7-bit weights, when its float32 network is gone.

usage: python tools/requantize.py MODEL_DIR --graph OTHER/model.onnx --data DATA [--valid-pct 0.1] [--seed 42]
                                  [--float-out FLOAT.onnx]

`quantize_onnx` used to store weights in 8 bits. CPUs without VNNI (AVX2 only) overflow on those (see the export
notebook), and the shipped model had only its `model.int8.onnx`. This rebuilds its float32 network, then quantizes it
again as `quantize_onnx` now does, calibrated on the run's validation images as `save_classifier` does:
- the graph comes from `--graph`, the `model.onnx` of any export of the same architecture (class count and input size
  may differ: only the weights are taken from MODEL_DIR);
- every weight comes from MODEL_DIR's `model.int8.onnx`, dequantized (8 bits per output channel).
Measured on the shipped model: the rebuilt float32 network scores 84.8% on its validation split, where training
recorded 84.6% for the original."""
import argparse, shutil, tempfile
from dataclasses import replace
from pathlib import Path
import numpy as np, onnx
from onnx import numpy_helper

def dequantized(int8_model:onnx.ModelProto) -> dict:
    "Float arrays of every initializer of a QDQ model, under its float name (`w` for `w_quantized`)."
    arrays = {t.name: numpy_helper.to_array(t) for t in int8_model.graph.initializer}
    out = {k: v for k, v in arrays.items() if v.dtype == np.float32}
    for n in int8_model.graph.node:
        if n.op_type != 'DequantizeLinear' or not n.input[0].endswith('_quantized'): continue
        q, s = arrays[n.input[0]].astype(np.float64), arrays[n.input[1]].astype(np.float64)
        zp = arrays[n.input[2]].astype(np.float64) if len(n.input) > 2 and n.input[2] else np.zeros_like(s)
        axis = next((a.i for a in n.attribute if a.name == 'axis'), 1)
        if s.size > 1: shape = [1] * q.ndim; shape[axis] = -1; s, zp = s.reshape(shape), zp.reshape(shape)
        out[n.input[0].removesuffix('_quantized')] = ((q - zp) * s).astype(np.float32)
    return out

def rebuild_float(model:onnx.ModelProto, weights:dict, input_size:int) -> onnx.ModelProto:
    "`model` with its initializers replaced by `weights` (same names) and its shapes left for ONNX Runtime to infer."
    graph = model.graph
    missing = [t.name for t in graph.initializer if t.name not in weights]
    if missing: raise ValueError(f"{len(missing)} weights of the graph are not in the int8 model (e.g. {missing[:3]}): "
                                 "is --graph an export of the same architecture?")
    new = [numpy_helper.from_array(weights[t.name], t.name) for t in graph.initializer]
    del graph.initializer[:]; graph.initializer.extend(new)
    del graph.value_info[:]
    dims = graph.input[0].type.tensor_type.shape.dim
    dims[2].dim_value = dims[3].dim_value = input_size
    for o in graph.output:
        for i, d in enumerate(o.type.tensor_type.shape.dim):
            if i: d.dim_param = f'{o.name}_{i}'  # the class count and the feature map's size come from the weights
    onnx.checker.check_model(model)
    return model

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('model_dir'); p.add_argument('--graph', required=True); p.add_argument('--data', required=True)
    p.add_argument('--valid-pct', type=float, default=0.1); p.add_argument('--seed', type=int, default=42)
    p.add_argument('--float-out', help='keep the rebuilt float32 network here')
    a = p.parse_args()
    from car_classifier.core import ClassifierConfig
    from car_classifier.data import cars_dataloaders
    from car_classifier.export import quantize_onnx
    d = Path(a.model_dir)
    cfg = ClassifierConfig.from_json(d/'config.json')
    net = rebuild_float(onnx.load(a.graph), dequantized(onnx.load(d/'model.int8.onnx')), cfg.input_size)
    valid = cars_dataloaders(a.data, a.valid_pct, a.seed, num_workers=0).valid.items  # the split `train` made
    with tempfile.TemporaryDirectory() as tmp:
        replace(cfg, int8=False).to_json(f'{tmp}/config.json')  # quantize_onnx reads the float32 network
        onnx.save(net, f'{tmp}/model.onnx')
        if a.float_out: shutil.copy(f'{tmp}/model.onnx', a.float_out)
        shutil.copy(quantize_onnx(tmp, list(valid.fname)), d/'model.int8.onnx')
    print(f"wrote {d/'model.int8.onnx'}")

if __name__ == '__main__': main()
