#!/bin/sh
# Render a generated example with the C engine and draw its spectrogram.
#   make build/tools/gen_probe && sh train/sashimi/make_example.sh [SEED] [TEMPERATURE] [TOP_P]
# Output: train/sashimi/results/example.wav (1 s held-out prompt + 4 s generated, 16 kHz float)
#         train/sashimi/results/example.png (white line: end of the prompt)
set -e
cd "$(dirname "$0")/../.."
seed=${1:-1}; temp=${2:-1.0}; top_p=${3:-1.0}
out=train/sashimi/results
build/tools/gen_probe render presets/generate.safetensors "$seed" "$temp" "$top_p" 4 \
    $out/example.wav tests/data/gen_prompt_16k.wav 1
/usr/bin/python3 -W ignore train/sashimi/spectrogram.py $out/example.wav $out/example.png --mark 1
