#!/usr/bin/env bash
# Train two networks side by side, one CPU core each, and merge them into one model that averages their answers.
# Tried on the whole dataset (110 minutes): the pair did not beat the shipped model, which is a single run (README).
#
# usage: bash tools/train_pair.sh DATA OUT [car-classifier train options...]
#   e.g. bash tools/train_pair.sh stanford-cars-224 runs/pair --weights efficientnet_lite0_in1k.safetensors \
#            --valid-pct 0.1 --budget 115
#
# On a CPU, two single-threaded runs train about twice as many images a second as one run on two threads (measured on
# 2 cores: 45 and 51 images/s at 128 px each, against 60 for one run), so the pair costs the wall time of one run. The
# two runs differ in their seed (42 and 7: the head's initialisation and the batches' order) and share the validation
# split (--split-seed 42), so that `tune` can choose the pair's size and threshold on images neither was trained on.
# Writes OUT/member0, OUT/member1 (each a `train` folder, with its log beside it), and OUT/pair: the merged model,
# tuned, with its test-split report in OUT/pair/report. Give --resume to continue both after an interruption.
set -euo pipefail
[ $# -ge 2 ] || { sed -n '5,7p' "$0"; exit 2; }
DATA=$1; OUT=$2; shift 2
CC=${CC:-car-classifier}; PY=${PY:-python}
HERE=$(cd "$(dirname "$0")" && pwd)
CORES=$(nproc)
pin() { if command -v taskset > /dev/null; then taskset -c "$1" "${@:2}"; else "${@:2}"; fi; }
mkdir -p "$OUT"
pids=()
for i in 0 1; do
  seed=$([ $i = 0 ] && echo 42 || echo 7)
  OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 pin $((i % CORES)) "$CC" train --data "$DATA" --seed $seed --split-seed 42 \
    --out "$OUT/member$i" "$@" > "$OUT/member$i.log" 2>&1 &
  pids+=($!)
done
status=0
for i in 0 1; do wait "${pids[$i]}" || { echo "member$i failed: see $OUT/member$i.log" >&2; status=1; }; done
[ $status = 0 ] || exit 1
rm -rf "$OUT/pair"
"$PY" "$HERE/ensemble_onnx.py" "$OUT/member0" "$OUT/member1" "$OUT/pair"
"$CC" tune --model "$OUT/pair" --data "$DATA"  # the split and the recipe come from the pair's record.json
"$CC" evaluate --model "$OUT/pair" --data "$DATA" --out "$OUT/pair/report" --tta
