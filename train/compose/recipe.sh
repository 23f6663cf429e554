#!/bin/sh
# The recipe of presets/compose.safetensors and of README's composer table, from a git clone with
# ../shared/data/midi (a CUDA GPU for the training rounds; each round's runs share one GPU):
#
#     train/compose/recipe.sh [OUT]        # OUT defaults to out/compose
#
#   data     build_data.py --seed 1: the by-piece split of 337 piano performances and 1,034
#            Nottingham tunes (duplicates grouped), training pieces at five tempo stretches
#   round 1  runs_round1.txt: S4D, LRU and Mamba stacks, the GRU and the Transformer, 7 min each
#   round 2  runs_round2.txt: the gated S4D block against round 1's block and the GRU
#   export   the round-2 SSM with the lower validation NLL -> presets/compose.safetensors
#   eval     make eval-compose (n-gram baseline, continuations through the C engine, cost per event)
# Every run checkpoints weights and optimizer state (OUT/<round>/<name>/ckpt.pt); running a round
# again with --resume continues it, so training can span several sittings.
set -eu
OUT=${1:-out/compose}
PY=${PYTHON:-/usr/bin/python3}
$PY train/compose/build_data.py --seed 1
PYTHON=$PY sh train/compose/gpu_train.sh train/compose/runs_round1.txt "$OUT/r1" 7
PYTHON=$PY sh train/compose/gpu_train.sh train/compose/runs_round2.txt "$OUT/r2" 7
best=$($PY -c "import json,sys; r=[json.load(open('$OUT/r2/%s/results.json' % n)) for n in ('s4d_gated','s4d')]; \
print(min(r, key=lambda x: x['val_nll'])['args']['out'])")
cp "$best/compose.safetensors" presets/compose.safetensors
make eval-compose
