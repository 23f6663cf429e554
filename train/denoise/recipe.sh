#!/bin/sh
# The recipe of presets/denoise.safetensors, one seeded command (run from the repository root on a
# machine with the project's packages, ../shared/data and, for a reasonable run time, a CUDA GPU):
#
#     train/denoise/recipe.sh [OUT]        # OUT defaults to out/denoise
#
# Stages (what was run for the shipped model; README "Denoiser: training" gives the times):
#   data    build/tools/opus2pcm (static Opus decoder) and build_data.py --seed 1: the two packs
#           (.devdata/denoise_pack.npz: 8 kHz corpora, festvox-ru, real noise; .devdata/
#           denoise_pack_opus.npz: speechocean762 wideband speech and moodist ambiences as Opus bytes)
#           with the leak check against both dev sets' MANIFESTs
#   ssm     train.py from scratch: S4D stack d 128, 5 blocks, N 16 (270k parameters, 287k MACs
#           per 5 ms frame), batch 128 x 3 s, lr 2e-3 cosine, SNR U(-5, 22) dB, loss -SI-SDR +
#           10 x multi-resolution log-magnitude L1, STEPS steps
#   gru     the baseline: train.py --arch gru (2 x GRU-140, 280k MACs per frame), the same data,
#           seed, batch, schedule and number of steps; PyTorch only, scored by eval_torch.py
#   export  presets/denoise.safetensors with golden vectors for tests/test_denoise.c
# On the accelerator the shipped run was split into <= 10-minute commands with --time-limit and
# --resume, which continue the same run (optimizer, data RNG and schedule are checkpointed); the
# two trainings ran side by side on one GPU. STEPS is the count that run fixed with --fit-seconds.
set -eu
OUT=${1:-out/denoise}
PY=${PYTHON:-/usr/bin/python3}
STEPS=${STEPS:-6000}
make build/tools/opus2pcm
$PY train/denoise/build_data.py --seed 1
COMMON="--seed 1 --batch 128 --lr 2e-3 --w-spec 1.0 --snr -5 22 --steps $STEPS"
$PY train/denoise/train.py $COMMON --d 128 --blocks 5 --n-state 16 --out "$OUT/ssm"
$PY train/denoise/train.py $COMMON --arch gru --gru-hidden 140 --gru-layers 2 --out "$OUT/gru"
$PY train/denoise/export.py --ckpt "$OUT/ssm/ckpt.pt" --out presets/denoise.safetensors
