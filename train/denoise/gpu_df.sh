#!/bin/bash
# The v3 stage (deep filtering + learned gain floor, task_params version 2) on one GPU, in commands
# of at most 10 minutes with at most 64 MiB of working tree and carried files per command.
#
# The two training packs (.devdata/denoise_pack.npz 30 MB, .devdata/denoise_pack_opus.npz 70 MB) do
# not fit one command's carry, so they travel as three parts of about 33.5 MB and are put back
# together on the GPU machine, which keeps them while it stays warm (and its training run, so that
# the next command resumes it). The Opus speech is decoded there by the static build/tools/opus2pcm
# (the machine has no audio decoder), which travels too.
#
#   here:   train/denoise/gpu_df.sh split          .devdata/gpu_df/part_{0,1,2} and SHA256SUMS from the
#                                                  packs (run once; make build/tools/opus2pcm first)
#   there:  train/denoise/gpu_df.sh stage          copy the carried parts into $SW_DF_STAGE; put the packs
#                                                  back together once all three are there
#   there:  train/denoise/gpu_df.sh train [OPTIONS] [-- TRAIN.PY ARGS]
#                                                  stage what was carried, then train (or resume) for
#                                                  --time-budget seconds and copy checkpoint, model and
#                                                  log to $OUT
#   here:   train/denoise/gpu_df.sh smoke [DIR]    the train path on the CPU: tiny batch, 3 steps, then
#                                                  a resume to step 6 (default DIR out/gpu_df_smoke)
#
# A fresh machine, three commands in a row (it stays warm for only a short while between them):
#   1. carry .devdata/gpu_df/part_0 .devdata/gpu_df/SIZES .devdata/gpu_df/SHA256SUMS:   gpu_df.sh stage
#   2. the same with part_1:                                                            gpu_df.sh stage
#   3. the same with part_2, plus build/tools/opus2pcm (and .devdata/gpu_df/ckpt.pt to resume a run
#      whose machine was given back):                                    gpu_df.sh train --time-budget 480 ...
# Each carries about 34.5 MB besides the tree. While the machine stays warm, further `train`
# commands need nothing carried and resume where the last one stopped.
#
# train options:
#   --time-budget S   seconds of this command's training, data loading included (default 480; with
#                     staging, export and copying the command takes about S + 40 s)
#   --steps N         the whole run's length in steps (the learning-rate schedule's); recorded in the
#                     checkpoint, so later commands resume with it and recipe.sh can repeat it exactly
#   --total S         instead of --steps: the whole run's length in seconds; the first command
#                     measures its speed over steps 100-300 and fixes the step count from it
#                     (train.py --fit-seconds, written to steps.txt; default: --time-budget)
#   --large           the larger network, d 128 x 5 blocks (from scratch: no tensor of the shipped
#                     d 96 x 4 model fits it but the output biases); default d 96 x 4 from the shipped
#                     preset presets/denoise.safetensors (every tensor copied; the new phase-feature
#                     inputs and deep-filter outputs start at zero, so training starts from the
#                     shipped model's output)
#   --scratch         d 96 x 4 from scratch
#   --fresh           ignore a checkpoint on the machine or carried (start over)
# Resuming: a command resumes $SW_DF_STAGE/run/ckpt.pt (weights, optimizer, step count, RNG state)
# when the machine kept it; on a fresh machine it resumes .devdata/gpu_df/ckpt.pt when that is
# carried (copy the last command's $OUT/ckpt.pt there). The training settings (stage C's mixture
# recipe, batch 128 x 3 s, lr 6e-4 cosine, 40 DF bins x 3 taps, floor_max 0.3) are fixed below;
# arguments after -- go to train.py as well (e.g. -- --w-over 0.5).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-python3}
PARTS=.devdata/gpu_df
STAGE=${SW_DF_STAGE:-${TMPDIR:-/tmp}/sw_df}   # outside the tree: kept while the machine stays warm
NPARTS=3

split_packs() {
    [ -f .devdata/denoise_pack.npz ] && [ -f .devdata/denoise_pack_opus.npz ] ||
        { echo "gpu_df: .devdata/denoise_pack.npz and denoise_pack_opus.npz needed (train/denoise/build_data.py)"; exit 1; }
    mkdir -p "$PARTS"
    rm -f "$PARTS"/part_*
    local a b total per
    a=$(stat -c %s .devdata/denoise_pack.npz)
    b=$(stat -c %s .devdata/denoise_pack_opus.npz)
    total=$((a + b))
    per=$(( (total + NPARTS - 1) / NPARTS ))
    cat .devdata/denoise_pack.npz .devdata/denoise_pack_opus.npz | split -b "$per" -d -a 1 - "$PARTS/part_"
    (cd .devdata && sha256sum denoise_pack.npz denoise_pack_opus.npz) > "$PARTS/SHA256SUMS"
    echo "$a $b" > "$PARTS/SIZES"
    ls -l "$PARTS"
}

# Copies carried parts (and a carried checkpoint) into $STAGE; assembles the packs once all parts
# are there and their checksums match.
stage() {
    mkdir -p "$STAGE"
    for f in "$PARTS"/part_* "$PARTS"/SHA256SUMS "$PARTS"/SIZES; do
        [ -f "$f" ] && cp "$f" "$STAGE/"
    done
    [ -x build/tools/opus2pcm ] && { mkdir -p "$STAGE/bin"; cp build/tools/opus2pcm "$STAGE/bin/"; }
    if [ -f "$STAGE/denoise_pack.npz" ] && [ -f "$STAGE/denoise_pack_opus.npz" ]; then
        echo "gpu_df: packs already assembled in $STAGE"
        return
    fi
    local have=0
    for i in $(seq 0 $((NPARTS - 1))); do [ -f "$STAGE/part_$i" ] && have=$((have + 1)); done
    echo "gpu_df: $have of $NPARTS parts in $STAGE: $(cd "$STAGE" && ls part_* 2>/dev/null | tr '\n' ' ')"
    [ "$have" = "$NPARTS" ] && [ -f "$STAGE/SIZES" ] || return 0
    local a b
    read -r a b < "$STAGE/SIZES"
    cat "$STAGE"/part_? > "$STAGE/both.bin"
    head -c "$a" "$STAGE/both.bin" > "$STAGE/denoise_pack.npz"
    tail -c "$b" "$STAGE/both.bin" > "$STAGE/denoise_pack_opus.npz"
    rm -f "$STAGE/both.bin"
    (cd "$STAGE" && sha256sum -c SHA256SUMS) || { rm -f "$STAGE"/denoise_pack*.npz; echo "gpu_df: checksum mismatch"; exit 1; }
    rm -f "$STAGE"/part_?
    echo "gpu_df: packs assembled in $STAGE"
}

train() {
    local budget=480 total="" steps="" large=0 scratch=0 fresh=0
    while [ $# -gt 0 ]; do
        case "$1" in
            --time-budget) budget=$2; shift 2 ;;
            --total) total=$2; shift 2 ;;
            --steps) steps=$2; shift 2 ;;
            --large) large=1; shift ;;
            --scratch) scratch=1; shift ;;
            --fresh) fresh=1; shift ;;
            --) shift; break ;;
            *) echo "gpu_df train: unknown option $1"; exit 2 ;;
        esac
    done
    total=${total:-$budget}
    stage
    [ -f "$STAGE/denoise_pack.npz" ] || { echo "gpu_df: the packs are not all here yet (stage the other parts first)"; exit 1; }
    [ -x "$STAGE/bin/opus2pcm" ] || { echo "gpu_df: carry build/tools/opus2pcm (static; make build/tools/opus2pcm)"; exit 1; }
    export OPUS2PCM="$STAGE/bin/opus2pcm"   # opus_io.py's decoder
    local run="$STAGE/run"
    [ "$fresh" = 1 ] && rm -rf "$run"
    mkdir -p "$run"
    if [ "$fresh" = 0 ] && [ -f "$PARTS/ckpt.pt" ]; then
        # a carried checkpoint wins over the machine's only when it is further on
        local sc sm
        sc=$($PY -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['step'])" "$PARTS/ckpt.pt")
        sm=-1
        [ -f "$run/ckpt.pt" ] && sm=$($PY -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['step'])" "$run/ckpt.pt")
        if [ "$sc" -gt "$sm" ]; then cp "$PARTS/ckpt.pt" "$run/ckpt.pt"; echo "gpu_df: carried checkpoint, step $sc"; fi
    fi
    local start=()
    if [ -f "$run/ckpt.pt" ]; then
        start=(--resume "$run/ckpt.pt")
        # the network's size comes from the checkpoint being resumed
        local d
        d=$($PY -c "import torch,sys; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['config']['layers'][0]['d_out'])" "$run/ckpt.pt")
        if [ "$d" = 128 ]; then large=1; else large=0; fi
    elif [ "$large" = 0 ] && [ "$scratch" = 0 ]; then
        start=(--init-from presets/denoise.safetensors --init-partial)
    fi
    local len=(--steps 100000 --fit-seconds "$total")
    if [ -n "$steps" ]; then len=(--steps "$steps"); fi
    local net=(--d 96 --blocks 4 --n-state 16) lr=6e-4
    if [ "$large" = 1 ]; then net=(--d 128 --blocks 5 --n-state 16); fi
    if [ "$large" = 1 ] || [ "$scratch" = 1 ]; then lr=2e-3; fi   # stage A's from-scratch rate
    echo "gpu_df: ${net[*]} ${start[*]} budget ${budget}s"
    set +e
    PYTHONUNBUFFERED=1 $PY train/denoise/train.py --seed 21 --batch 128 --seconds 3 --lr "$lr" \
        --w-spec 1.0 --snr -5 22 --clean-frac 0.08 --narrow-wide-frac 0.6 \
        --df-bins 40 --df-order 3 --floor-max 0.3 "${net[@]}" "${len[@]}" \
        --pack "$STAGE/denoise_pack.npz" --time-limit "$budget" --val-every 250 \
        "${start[@]}" --out "$run" "$@" 2>&1 | tee -a "$run/train.log"
    local rc=${PIPESTATUS[0]}
    set -e
    if [ -n "${OUT:-}" ]; then
        for f in ckpt.pt denoise.safetensors train.log steps.txt; do
            [ -f "$run/$f" ] && cp "$run/$f" "$OUT/"
        done
        ls -l "$OUT"
    fi
    return "$rc"
}

smoke() {
    local out=${1:-out/gpu_df_smoke}
    PY=${PYTHON:-/usr/bin/python3}
    rm -rf "$out"
    mkdir -p "$out"
    PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1 $PY train/denoise/train.py --seed 21 --batch 2 --seconds 1 --lr 6e-4 \
        --df-bins 40 --df-order 3 --floor-max 0.3 --d 96 --blocks 4 --n-state 16 --steps 6 --stop-at 3 \
        --val-every 3 --init-from presets/denoise.safetensors --init-partial --device cpu --out "$out"
    PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1 $PY train/denoise/train.py --seed 21 --batch 2 --seconds 1 --lr 6e-4 \
        --df-bins 40 --df-order 3 --floor-max 0.3 --d 96 --blocks 4 --n-state 16 --steps 6 \
        --val-every 3 --resume "$out/ckpt.pt" --device cpu --out "$out"
    ls -l "$out"
}

case "${1:-}" in
    split) split_packs ;;
    stage) stage ;;
    train) shift; train "$@" ;;
    smoke) shift; smoke "$@" ;;
    *) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 2 ;;
esac
