#!/bin/bash
# Two builds side by side on one machine, interleaved: the generator, the instrument and the
# denoiser of build A (e.g. a checkout of an older commit, built with `make`) against build B
# (default: this checkout's build/), on the same inputs.
#
#   bench/bench_side_by_side.sh A_ROOT [B_ROOT]      (from the repository root; not in `make bench`)
#
# A_ROOT / B_ROOT are repository roots whose build/ holds statewave, bench/bench_generate and
# bench/bench_synth. Each round runs every measure for A then B, or B then A (alternating, so that
# load drifting on a shared machine hits both alike):
#   generate   build/bench/bench_generate presets/generate.safetensors tests/data/gen_prompt_16k.wav 5
#              -> samples/s of "C net step only" and of "C render T=1 top_p=1" (this thread's CPU time)
#   synth      build/bench/bench_synth presets/instruments/violin.safetensors
#              -> 16 voices dry, CPU time / audio time (median of its 5 runs)
#   denoise    /usr/bin/time build/statewave denoise IN -o OUT -q on the 600 s 48 kHz file that
#              bench/bench_denoise.sh makes (build/bench/bench_10min_48k_mono.wav) -> user+sys s
# Reported per measure: median [min, max] over the rounds for A and B, and the ratio of medians.
# Environment: ROUNDS (default 5); B_GEN_MODEL, B_SYNTH_MODEL, B_DENOISE_MODEL: model files that build B
# runs instead of the presets (e.g. BF16 copies from train/quantize.py), A always runs the presets.
set -euo pipefail
cd "$(dirname "$0")/.."
A=${1:?usage: bench/bench_side_by_side.sh A_ROOT [B_ROOT]}
B=${2:-.}
ROUNDS=${ROUNDS:-5}
IN=build/bench/bench_10min_48k_mono.wav
[ -f "$IN" ] || { echo "bench_side_by_side: $IN missing: run bench/bench_denoise.sh once" >&2; exit 1; }
for r in "$A" "$B"; do
    for f in statewave bench/bench_generate bench/bench_synth; do
        [ -x "$r/build/$f" ] || { echo "bench_side_by_side: $r/build/$f missing (make in $r)" >&2; exit 1; }
    done
done
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

one() {   # one(ROOT, TAG): one round of every measure for that build, appended to $TMP/TAG.*
    local root=$1 tag=$2 out gen=presets/generate.safetensors synth=presets/instruments/violin.safetensors
    local den=()
    if [ "$tag" = b ]; then
        gen=${B_GEN_MODEL:-$gen}
        synth=${B_SYNTH_MODEL:-$synth}
        [ -n "${B_DENOISE_MODEL:-}" ] && den=(-m "$B_DENOISE_MODEL")
    fi
    out=$("$root/build/bench/bench_generate" "$gen" tests/data/gen_prompt_16k.wav 5)
    echo "$out" | awk '/C net step only/ {print $(NF-6)}' | head -1 >>"$TMP/$tag.gen_step"
    echo "$out" | awk '/C render T=1 top_p=1:/ {print $5}' | head -1 >>"$TMP/$tag.gen_render"
    out=$("$root/build/bench/bench_synth" "$synth")
    echo "$out" | awk '/ dry +voices/ {for (i = 1; i <= NF; i++) if ($i == "median") print $(i + 1)}' >>"$TMP/$tag.synth"
    /usr/bin/time -f "%U %S" -o "$TMP/t" "$root/build/statewave" denoise "$IN" -o "$TMP/out.wav" -q "${den[@]}"
    awk '{printf "%.2f\n", $1 + $2}' "$TMP/t" >>"$TMP/$tag.denoise"
}

for ((i = 0; i < ROUNDS; i++)); do
    if ((i % 2 == 0)); then one "$A" a; one "$B" b; else one "$B" b; one "$A" a; fi
    echo "round $((i + 1))/$ROUNDS done" >&2
done

stat() {   # median [min, max] of a file of numbers
    sort -g "$1" | awk '{v[NR] = $1} END {m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
        printf "%s [%s, %s]", m, v[1], v[NR]}'
}
med() { sort -g "$1" | awk '{v[NR] = $1} END {print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') ($(nproc) CPUs); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "A = $A, B = $B${B_GEN_MODEL:+ (generator $B_GEN_MODEL)}${B_SYNTH_MODEL:+ (instrument $B_SYNTH_MODEL)}${B_DENOISE_MODEL:+ (denoiser $B_DENOISE_MODEL)}, $ROUNDS interleaved rounds"
echo
echo "| measure | A: median [min, max] | B: median [min, max] | B / A |"
echo "|---|---|---|---:|"
for m in gen_step:"generator, net step only (samples/s)" gen_render:"generator, render T=1 (samples/s)" \
         synth:"instrument, 16 voices dry (CPU / audio time)" denoise:"denoiser, 600 s at 48 kHz (CPU s, user+sys)"; do
    k=${m%%:*}
    printf "| %s | %s | %s | %s |\n" "${m#*:}" "$(stat "$TMP/a.$k")" "$(stat "$TMP/b.$k")" \
        "$(awk -v a="$(med "$TMP/a.$k")" -v b="$(med "$TMP/b.$k")" 'BEGIN {printf "%.3f", b / a}')"
done
