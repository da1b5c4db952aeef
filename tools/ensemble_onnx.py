"""Merge two car_classifier ONNX networks into one that answers the mean of their probabilities, weights in float16.

usage: python tools/ensemble_onnx.py A/model.onnx B/model.onnx OUT.onnx   (one network)
       python tools/ensemble_onnx.py RUN_A RUN_B OUT_DIR                     (a model folder, from two `train` folders)

Two networks trained apart make different mistakes, and the mean of their probabilities is usually right more often
than either. The merged graph takes the same `image` input and runs both. Its `logits` output is the log of the mean of
the two softmaxes, so the softmax `CarClassifier` applies gives the mean probabilities exactly; `features` (for
Grad-CAM) are the first network's. Weights of more than 16 values are stored in float16, each behind a Cast that ONNX
Runtime folds when it loads the model: half the bytes on disk, float32 when it runs.

Measured on 2026-11-28 (2 cores), the shipped model merged with a 1 + 25-epoch run of the same recipe: 87.8% on the
validation split (86.2% sharpened), against 84.7% and 85.7% for each alone; 18.3 MB, against 19.1 MB for each in
float32. Not shipped: the two runs took 174 minutes, over the 120 allowed. Two runs trained side by side instead
(tools/train_pair.sh, 110 minutes) scored 86.1% and 78.0% (lr_find chose a learning rate half as high for the second);
merged, 86.4%: an average gains little over its stronger member when the other is much weaker.

Given two folders written by `car-classifier train` (trained alike: their config.json may differ only in what `tune`
chose), it writes a model folder: the merged model.onnx, and the first run's config, weights (model.safetensors, so
PyTorch serves the first network alone), history and examples; record.json is the first run's with both runs in
`members`, and `minutes` the longer run's (they ran side by side). Run `car-classifier tune` on it next."""
import argparse, json, shutil
from pathlib import Path
import numpy as np, onnx
from onnx import TensorProto, helper, numpy_helper

def member(m:onnx.ModelProto, prefix:str) -> tuple[list, list]:
    "The nodes and initializers of `m` with every name but the input's prefixed; large weights in float16."
    inputs = {i.name for i in m.graph.input}
    name = lambda n: n if n in inputs or not n else prefix + n
    casts, inits, nodes = [], [], []
    for t in m.graph.initializer:
        a = numpy_helper.to_array(t)
        if a.dtype == np.float32 and a.size > 16:
            inits.append(numpy_helper.from_array(a.astype(np.float16), name(t.name) + '_fp16'))
            casts.append(helper.make_node('Cast', [name(t.name) + '_fp16'], [name(t.name)], to=TensorProto.FLOAT))
        else: inits.append(numpy_helper.from_array(a, name(t.name)))
    for n in m.graph.node:
        copy = onnx.NodeProto(); copy.CopyFrom(n); copy.name = prefix + n.name
        del copy.input[:], copy.output[:]
        copy.input.extend(name(i) for i in n.input); copy.output.extend(name(o) for o in n.output)
        nodes.append(copy)
    return casts + nodes, inits

def _classes(m:onnx.ModelProto) -> int:
    return next(o for o in m.graph.output if o.name == 'logits').type.tensor_type.shape.dim[1].dim_value

def merge(a:onnx.ModelProto, b:onnx.ModelProto) -> onnx.ModelProto:
    "One model answering log(mean(softmax(a), softmax(b))) as `logits`, and `a`'s `features` when it has them."
    inputs = [[i.name for i in m.graph.input] for m in (a, b)]
    if inputs[0] != inputs[1]:
        raise ValueError(f"The two networks must take the same input: {inputs[0]} against {inputs[1]}")
    if _classes(a) != _classes(b):
        raise ValueError(f"The two networks must answer the same classes: {_classes(a)} classes against {_classes(b)}")
    (na, ia), (nb, ib) = member(a, 'a/'), member(b, 'b/')
    tail = [helper.make_node('Softmax', ['a/logits'], ['a/p'], axis=1),
            helper.make_node('Softmax', ['b/logits'], ['b/p'], axis=1),
            helper.make_node('Add', ['a/p', 'b/p'], ['sum']), helper.make_node('Mul', ['sum', 'half'], ['mean']),
            helper.make_node('Log', ['mean'], ['logits'])]
    outputs = [o for o in a.graph.output if o.name == 'logits']
    if any(o.name == 'features' for o in a.graph.output):
        tail.append(helper.make_node('Identity', ['a/features'], ['features']))
        outputs += [o for o in a.graph.output if o.name == 'features']
    half = numpy_helper.from_array(np.array(0.5, np.float32), 'half')
    g = helper.make_graph(na + nb + tail, 'mean_of_two', list(a.graph.input), outputs, ia + ib + [half])
    m = helper.make_model(g, opset_imports=a.opset_import); m.ir_version = a.ir_version
    onnx.checker.check_model(m)
    return m

TUNED = {'input_size', 'unknown_threshold', 'make_threshold', 'temperature', 'calibration',
         'int8'}  # chosen after training (by tune), for each network; again for the pair
KEPT = ('config.json', 'model.safetensors', 'history.csv', 'training.png')  # the first run's, for PyTorch and Grad-CAM

def model_folder(a:Path, b:Path, out:Path) -> Path:
    "A model folder from two `train` folders: the merged `model.onnx`, and `a`'s head, config, history and examples."
    a, b, out = Path(a), Path(b), Path(out)
    ca, cb = (json.loads((d/'config.json').read_text()) for d in (a, b))
    differ = sorted(k for k in ca.keys() | cb.keys() if k not in TUNED and ca.get(k) != cb.get(k))
    if differ: raise ValueError(f"{a} and {b} must be trained alike to be averaged; these differ: {', '.join(differ)}")
    out.mkdir(parents=True, exist_ok=True)
    for f in KEPT: shutil.copy(a/f, out/f)
    shutil.copytree(a/'examples', out/'examples', dirs_exist_ok=True)
    onnx.save(merge(onnx.load(a/'model.onnx'), onnx.load(b/'model.onnx')), out/'model.onnx')
    ra, rb = (json.loads((d/'record.json').read_text()) for d in (a, b))
    members = [dict(folder=str(a), **{k: v for k, v in ra.items() if k != 'phases'}),  # its phases are the record's
               dict(folder=str(b), **rb)]
    record = dict(ra, minutes=max(ra['minutes'], rb['minutes']), members=members)  # side by side: the longer run
    (out/'record.json').write_text(json.dumps(record, indent=1))
    return out

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('a', help='model.onnx, or a folder written by `car-classifier train`')
    p.add_argument('b', help='the same for the second network'); p.add_argument('out', help='OUT.onnx, or a new folder')
    args = p.parse_args()
    if Path(args.a).is_dir():
        out = model_folder(args.a, args.b, args.out)
        print(f"{out}: model.onnx {(out/'model.onnx').stat().st_size / 2**20:.1f} MB; choose its size and unknown "
              f"threshold with `car-classifier tune --model {out} --data DATA`")
    else:
        onnx.save(merge(onnx.load(args.a), onnx.load(args.b)), args.out)
        print(f"{args.out}: {Path(args.out).stat().st_size / 2**20:.1f} MB")
