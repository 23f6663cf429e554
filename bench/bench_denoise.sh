#!/bin/bash
# CPU cost of `statewave denoise` on 10 minutes of 48 kHz mono audio, next to an I/O floor.
#
#   bench/bench_denoise.sh            (run by `make bench`, from the repository root)
#
# Input: the 60 dev-set noisy clips (real speech + real noise, 373.5 s) concatenated twice and cut to
# exactly 600 s, 48 kHz mono 16-bit WAV, made once with sox into build/bench/ (benchmarking on the
# dev set is fine: this measures speed, not quality).
# Each round runs, side by side (interleaved so that machine load hits all alike):
#   sox         `sox IN OUT.wav`: plain decode + encode of the same file, the I/O floor
#   denoise     `build/statewave denoise IN -o OUT.wav -q`
#   denoise mix0  the same with `--mix 0` (output = delayed input; the engine still runs the
#               STFT and the network: dsp/engines/denoise.c has no mix-0 shortcut, and the table shows
#               whether the CPU time agrees)
# measured with /usr/bin/time -f "%U %S %e". Reported: median user+sys CPU seconds over the runs,
# the real-time factor RTF = CPU s / 600 s, and median wall seconds, as a markdown table.
#
# Environment: BENCH_RUNS (default 5), BENCH_MODEL (passed as --model; default: the app's own
# model lookup), STATEWAVE (default build/statewave), BENCH_DIR (default build/bench).
set -euo pipefail

cd "$(dirname "$0")/.."
RUNS=${BENCH_RUNS:-5}
SW=${STATEWAVE:-build/statewave}
DIR=${BENCH_DIR:-build/bench}
DEVSET=../shared/data/devset
DUR=600
IN=$DIR/bench_10min_48k_mono.wav

die() { echo "bench_denoise: $*" >&2; exit 1; }

[ -x /usr/bin/time ] || die "/usr/bin/time not found (Debian package 'time': apt-get install time)"
command -v sox >/dev/null || die "sox not found (make deps)"
[ -d "$DEVSET/noisy" ] || die "dev set not found at $DEVSET (expected ../shared next to the repository)"
case "$RUNS" in '' | *[!0-9]* | 0) die "BENCH_RUNS must be a positive integer, got '$RUNS'" ;; esac
if [ ! -x "$SW" ]; then
    die "$SW does not exist yet: build the app first (make), or set STATEWAVE=/path/to/statewave"
fi
MODEL_ARGS=()
[ -n "${BENCH_MODEL:-}" ] && MODEL_ARGS=(--model "$BENCH_MODEL")

mkdir -p "$DIR"

# ---- the 10-minute input (rebuilt when missing or not exactly 600 s at 48 kHz mono) ------------
want=$((DUR * 48000))
have=""
if [ -f "$IN" ]; then
    have=$(soxi -s "$IN" 2>/dev/null || true):$(soxi -r "$IN" 2>/dev/null || true):$(soxi -c "$IN" 2>/dev/null || true)
fi
if [ "$have" != "$want:48000:1" ]; then
    clips=("$DEVSET"/noisy/*.flac)
    [ "${#clips[@]}" -eq 60 ] || die "expected 60 noisy dev clips in $DEVSET/noisy, found ${#clips[@]}"
    echo "bench_denoise: making $IN (60 dev-set noisy clips x2, cut to $DUR s)" >&2
    sox "${clips[@]}" "${clips[@]}" -b 16 "$IN.tmp.wav" trim 0 "${want}s"
    mv "$IN.tmp.wav" "$IN"
fi
[ "$(soxi -s "$IN")" = "$want" ] || die "$IN is not $want samples long"

# ---- the app must run (model found, file written) before anything is timed -------------------
if ! "$SW" denoise "${MODEL_ARGS[@]}" "$DEVSET/noisy/001.flac" -o "$DIR/check.wav" 2>"$DIR/check.err"; then
    cat "$DIR/check.err" >&2
    die "$SW denoise failed on a dev clip (see above); set BENCH_MODEL=FILE to bench a given model"
fi
MODEL=$(sed -n 's/^model: //p' "$DIR/check.err" | head -n 1)
rm -f "$DIR/check.wav" "$DIR/check.err"

# ---- timed runs ----------------------------------------------------------------------------
MA="${MODEL_ARGS[*]:+${MODEL_ARGS[*]} }"  # "--model FILE " or nothing, for display
cmds=("sox $IN $DIR/out_sox.wav"
      "$SW denoise $MA$IN -o $DIR/out_sw.wav -q"
      "$SW denoise $MA--mix 0 $IN -o $DIR/out_mix0.wav -q")
run_one() { # $1 = index; appends "cpu wall" to $DIR/t.$1
    local i=$1 tf="$DIR/time.out"
    case $i in
        0) /usr/bin/time -f "%U %S %e" -o "$tf" sox "$IN" "$DIR/out_sox.wav" ;;
        1) /usr/bin/time -f "%U %S %e" -o "$tf" "$SW" denoise "${MODEL_ARGS[@]}" "$IN" -o "$DIR/out_sw.wav" -q ;;
        2) /usr/bin/time -f "%U %S %e" -o "$tf" "$SW" denoise "${MODEL_ARGS[@]}" --mix 0 "$IN" -o "$DIR/out_mix0.wav" -q ;;
    esac || die "run failed: ${cmds[$i]}"
    # the last line of the -o file holds the format (earlier lines: "Command exited ..." notes)
    tail -n 1 "$tf" | awk '{ printf "%.3f %.3f\n", $1 + $2, $3 }' >>"$DIR/t.$i"
}
rm -f "$DIR"/t.0 "$DIR"/t.1 "$DIR"/t.2
load0=$(cut -d' ' -f1-3 /proc/loadavg)
for r in $(seq 1 "$RUNS"); do
    for i in 0 1 2; do run_one "$i"; done
    echo "bench_denoise: round $r/$RUNS done" >&2
done
load1=$(cut -d' ' -f1-3 /proc/loadavg)

# The outputs must be whole: 600 s at 48 kHz (a crash or truncation must not pass as "fast").
for f in out_sox out_sw out_mix0; do
    [ "$(soxi -s "$DIR/$f.wav")" = "$want" ] || die "$DIR/$f.wav is not $want samples long"
done

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

cpu_med=(); wall_med=(); cpu_min=(); cpu_max=()
for i in 0 1 2; do
    cpu_med[i]=$(cut -d' ' -f1 "$DIR/t.$i" | median)
    wall_med[i]=$(cut -d' ' -f2 "$DIR/t.$i" | median)
    cpu_min[i]=$(cut -d' ' -f1 "$DIR/t.$i" | sort -g | head -n 1)
    cpu_max[i]=$(cut -d' ' -f1 "$DIR/t.$i" | sort -g | tail -n 1)
done

cpu_name=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
echo
echo "## statewave denoise: CPU time on 600 s of 48 kHz mono audio"
echo
echo "Input: \`$IN\` (the 60 dev-set noisy clips twice, cut to 600 s; 16-bit WAV). Output: 16-bit WAV."
echo "Model: \`${MODEL:-?}\`. Machine: ${cpu_name:-unknown CPU}, $(nproc) cores; load average ${load0} before, ${load1} after."
echo "$RUNS rounds, each running the three commands one after another; \`/usr/bin/time -f \"%U %S %e\"\`."
echo
echo "| command | runs | CPU s (user+sys), median [min, max] | RTF (CPU s / 600 s) | wall s, median |"
echo "|---|---|---|---|---|"
for i in 0 1 2; do
    rtf=$(awk -v c="${cpu_med[i]}" -v d="$DUR" 'BEGIN { printf "%.4f", c / d }')
    echo "| \`${cmds[$i]}\` | $RUNS | ${cpu_med[i]} [${cpu_min[i]}, ${cpu_max[i]}] | $rtf | ${wall_med[i]} |"
done
echo
awk -v s="${cpu_med[1]}" -v f="${cpu_med[0]}" -v m="${cpu_med[2]}" -v d="$DUR" 'BEGIN {
    n = s - f
    printf "Denoising minus the sox I/O floor: %.2f CPU s, RTF %.4f", n, n / d
    if (n > 0) printf " (%.0fx faster than real time on one core)", d / n
    printf ".\n"
    r = (s > 0) ? m / s : 0
    verdict = "mix 0 is much cheaper: the engine skips work at mix 0."
    if (r > 0.8) verdict = "the network still runs at mix 0 (as dsp/engines/denoise.c says)."
    printf "--mix 0 costs %.0f%% of --mix 1: %s\n", 100 * r, verdict
}'
echo "For comparison (quoted, not measured by this script): RNNoise v0.1.1 (-O2) needs 9.2 CPU s for 600 s"
echo "of 48 kHz mono on one core of these machines, RTF 0.015 (../shared/notes/anchors.md)."
rm -f "$DIR/out_sox.wav" "$DIR/out_sw.wav" "$DIR/out_mix0.wav" "$DIR/time.out"
