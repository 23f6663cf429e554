#!/bin/sh
# The composer and its baselines, trained side by side on one GPU (each its own process):
#
#     train/compose/gpu_train.sh OUT MINUTES [--resume]
#
# Needs .devdata_compose/compose_data.npz (train/compose/build_data.py). Each run writes
# OUT/<arch>/{ckpt.pt,results.json,log.jsonl} and the SSM runs OUT/<arch>/compose.safetensors;
# with --resume each continues its checkpoint up to MINUTES of training in all.
set -u
OUT=$1
MIN=$2
RES=${3:-}
PY=${PYTHON:-python3}
T=train/compose/train.py
mkdir -p "$OUT"
$PY $T --arch s4d --d 128 --blocks 4 --n 32 --amp --minutes "$MIN" $RES --out "$OUT/s4d" > "$OUT/s4d.log" 2>&1 &
$PY $T --arch lru --d 128 --blocks 4 --n 32 --amp --minutes "$MIN" $RES --out "$OUT/lru" > "$OUT/lru.log" 2>&1 &
$PY $T --arch mamba --d 128 --blocks 6 --n 16 --amp --minutes "$MIN" $RES --out "$OUT/mamba" > "$OUT/mamba.log" 2>&1 &
$PY $T --arch gru --d 128 --hidden 224 --layers 2 --minutes "$MIN" $RES --out "$OUT/gru" > "$OUT/gru.log" 2>&1 &
$PY $T --arch transformer --d 128 --layers 4 --heads 4 --ff 384 --amp --minutes "$MIN" $RES \
    --out "$OUT/transformer" > "$OUT/transformer.log" 2>&1 &
wait
grep -h RESULT "$OUT"/*.log
