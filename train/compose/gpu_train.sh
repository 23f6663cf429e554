#!/bin/sh
# Composer runs side by side on one GPU, each its own process:
#
#     train/compose/gpu_train.sh RUNS OUT MINUTES [--resume]
#
# RUNS: a file of "name train.py-arguments" lines (runs_round1.txt: the layer types and the
# baselines; runs_round2.txt: SSM block shapes). Needs .devdata_compose/compose_data.npz
# (build_data.py). Each run writes OUT/<name>/{ckpt.pt,results.json,log.jsonl} and, for SSMs,
# OUT/<name>/compose.safetensors; with --resume each continues its checkpoint up to MINUTES in all.
# The chunked selective scan keeps [batch, seq, d_inner, d_state] tensors per scan step, so the
# Mamba run uses batch 16 (about 20 GiB) for all five to fit on one 80 GiB GPU.
set -u
RUNS=$1
OUT=$2
MIN=$3
RES=${4:-}
PY=${PYTHON:-python3}
export PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True
mkdir -p "$OUT"
while read -r name args; do
    case "$name" in ''|'#'*) continue ;; esac
    # shellcheck disable=SC2086
    $PY train/compose/train.py $args --minutes "$MIN" $RES --out "$OUT/$name" > "$OUT/$name.log" 2>&1 &
done < "$RUNS"
wait
grep -h RESULT "$OUT"/*.log
