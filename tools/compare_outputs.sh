#!/bin/bash
# compare_outputs.sh [BASE_REV] — are the outputs of the current tree bit-identical to those of
# BASE_REV (default main)? For refactors that must not change the sound.
#
# Builds BASE_REV in a temporary git worktree under build/compare/ (removed at the end; KEEP=1
# keeps it for the next run) and the current tree, then runs the same inputs through both:
#   the command:  statewave denoise, generate (fixed seed), synth, transfer on presets/demo
#   the plugins:  denoise mono / stereo and transfer through lv2apply (no host features, the
#                 default model and timbre); through build/tools/lv2_render (a lilv host
#                 with a synchronous worker, built from the current tree and run against each
#                 tree's bundle): the instrument and the generator playing a fixed MIDI score,
#                 and engine swaps with their crossfades (the instrument's and the transfer's
#                 timbre control, a patch:Set to the denoiser) with control and bypass changes,
#                 at fixed and varying block sizes
# and cmps every pair (of a WAV, its format and sample data: libsndfile stamps float WAVs with
# the time of writing): one line per case, exit status 1 if any output differs or is missing.
# Every case is deterministic (fixed seeds, fixed block schedules, one thread per render).
# Run from anywhere; uses at most two make jobs, at low priority.
set -uo pipefail
unset STATEWAVE_GENERATE_MODEL STATEWAVE_TIMBRE STATEWAVE_INSTRUMENTS
cd "$(dirname "$0")/.."
root=$PWD
base_rev=${1:-main}
base_sha=$(git rev-parse --verify --quiet "$base_rev^{commit}") || { echo "compare_outputs.sh: no revision '$base_rev'" >&2; exit 2; }
work=$root/build/compare
base=$work/base
out=$work/out
mkdir -p "$work"
rm -rf "$out"
mkdir -p "$out/base" "$out/cur"

cleanup() {
    if [ "${KEEP:-0}" != 1 ] && [ -d "$base" ]; then
        git worktree remove --force "$base" >/dev/null 2>&1 || rm -rf "$base"
        git worktree prune
    fi
}
trap cleanup EXIT

if [ -d "$base" ] && [ "$(git -C "$base" rev-parse HEAD 2>/dev/null)" != "$base_sha" ]; then
    git worktree remove --force "$base" >/dev/null 2>&1 || rm -rf "$base"
    git worktree prune
fi
if [ ! -d "$base" ]; then
    git worktree add --detach --quiet "$base" "$base_sha" || exit 2
fi

build() { # DIR: the command and the bundle (and, in the current tree, the renderer)
    local extra=()
    [ "$1" = "$root" ] && extra=(build/tools/lv2_render)
    nice -n 10 make -C "$1" -j2 build/statewave lv2 "${extra[@]}" > "$work/make_$(basename "$1").log" 2>&1 ||
        { echo "compare_outputs.sh: building $1 failed (see $work/make_$(basename "$1").log)" >&2; exit 2; }
}
echo "building $base_rev ($base_sha) in $base"
build "$base"
echo "building the current tree"
build "$root"

demo=$root/presets/demo
# 32-bit float inputs, so that the outputs of denoise and transfer are float too (no rounding
# to 16 bits that could hide a difference)
f32=(-e floating-point -b 32)
sox "$demo/noisy_example.flac" "${f32[@]}" "$out/mono.wav" &&
    sox -M "$demo/noisy_example.flac" "$demo/clean_reference.flac" "${f32[@]}" "$out/stereo.wav" &&
    sox "$demo/sax_phrase_short.flac" "${f32[@]}" "$out/sax.wav" || exit 2
render=$root/build/tools/lv2_render
LV2=https://statewave.dev/plugins

# The audio of a file: for a WAV its "fmt " and "data" chunks (libsndfile writes a PEAK chunk
# with the time of writing into float WAVs), any other file as is.
audio_of() {
    python3 - "$1" "$2" <<'PY'
import struct, sys
src, dst = sys.argv[1], sys.argv[2]
b = open(src, "rb").read()
if b[:4] == b"RIFF" and b[8:12] == b"WAVE":
    keep, pos = [], 12
    while pos + 8 <= len(b):
        cid, size = b[pos:pos + 4], struct.unpack("<I", b[pos + 4:pos + 8])[0]
        if cid in (b"fmt ", b"data"):
            keep.append(cid + b[pos + 8:pos + 8 + size])
        pos += 8 + size + (size & 1)
    b = b"".join(keep)
open(dst, "wb").write(b)
PY
}

# case NAME FILE COMMAND...: run COMMAND in each tree (output path $o), then compare
cases=0 fails=0
case_() {
    local name=$1 file=$2
    shift 2
    for side in base cur; do
        local dir=$base
        [ $side = cur ] && dir=$root
        rm -f "$out/$side/$file"
        (cd "$dir" && o=$out/$side/$file LV2_PATH=$dir/build eval "$*") > "$out/$side/$file.log" 2>&1
    done
    cases=$((cases + 1))
    if [ ! -s "$out/base/$file" ] || [ ! -s "$out/cur/$file" ]; then
        echo "FAIL $name: no output (logs in $out/base, $out/cur)"
        fails=$((fails + 1))
    elif audio_of "$out/base/$file" "$out/base/$file.audio" && audio_of "$out/cur/$file" "$out/cur/$file.audio" &&
        cmp -s "$out/base/$file.audio" "$out/cur/$file.audio"; then
        echo "same $name ($(stat -c %s "$out/cur/$file.audio") bytes of audio)"
    else
        echo "DIFF $name: $(cmp "$out/base/$file.audio" "$out/cur/$file.audio" 2>&1 | head -1)"
        fails=$((fails + 1))
    fi
}

case_ "statewave denoise noisy_example (float)" denoise.wav 'build/statewave denoise "$out/mono.wav" -o "$o"'
case_ "statewave denoise stereo" denoise2.wav 'build/statewave denoise "$out/stereo.wav" -o "$o"'
case_ "statewave generate --seed 5 -s 2" generate.wav 'build/statewave generate --seed 5 -s 2 -o "$o"'
case_ "statewave synth instrument_demo.mid (flute)" synth.wav 'build/statewave synth "$demo/instrument_demo.mid" -t flute -o "$o"'
case_ "statewave transfer sax_phrase_short (violin)" transfer.wav 'build/statewave transfer "$out/sax.wav" -t violin -o "$o"'
case_ "lv2apply denoise#mono" lv2_mono.wav 'lv2apply -i "$out/mono.wav" -o "$o" "$LV2/denoise#mono"'
case_ "lv2apply denoise#mono mix 0.5 limit 12" lv2_mono_mix.wav 'lv2apply -i "$out/mono.wav" -o "$o" -c mix 0.5 -c limit_db 12 "$LV2/denoise#mono"'
case_ "lv2apply denoise#stereo" lv2_stereo.wav 'lv2apply -i "$out/stereo.wav" -o "$o" "$LV2/denoise#stereo"'
case_ "lv2apply transfer (default timbre)" lv2_transfer.wav 'lv2apply -i "$out/sax.wav" -o "$o" "$LV2/transfer"'
case_ "lv2apply transfer (flute, level -6 dB)" lv2_transfer_flute.wav 'lv2apply -i "$out/sax.wav" -o "$o" -c timbre 1 -c level -6 "$LV2/transfer"'
case_ "lv2 synth 48 kHz, blocks of 256" lv2_synth.f32 '"$render" synth 48000 256 "$o"'
case_ "lv2 synth 44.1 kHz, varying blocks" lv2_synth_var.f32 '"$render" synth 44100 0 "$o"'
case_ "lv2 synth 48 kHz, timbre swaps (crossfades), varying blocks" lv2_synth_swap.f32 '"$render" synth-swap 48000 0 "$o"'
case_ "lv2 transfer 44.1 kHz, timbre swap + bypass, blocks of 256" lv2_transfer_swap.f32 '"$render" transfer 44100 256 "$o"'
case_ "lv2 transfer 48 kHz, timbre swap + bypass, varying blocks" lv2_transfer_swap_var.f32 '"$render" transfer 48000 0 "$o"'
case_ "lv2 denoise 48 kHz, model swap + mix/bypass, blocks of 256" lv2_denoise_swap.f32 '"$render" denoise 48000 256 "$o"'
case_ "lv2 denoise 44.1 kHz, model swap + mix/bypass, varying blocks" lv2_denoise_swap_var.f32 '"$render" denoise 44100 0 "$o"'
case_ "lv2 generate 48 kHz, blocks of 256" lv2_generate.f32 '"$render" generate 48000 256 "$o"'
case_ "lv2 generate 44.1 kHz, varying blocks" lv2_generate_var.f32 '"$render" generate 44100 0 "$o"'

echo "$((cases - fails)) of $cases cases identical to $base_rev"
[ $fails = 0 ]
