#!/bin/bash
# soak_denoise.sh [MINUTES] — live denoising for MINUTES (default 60) in a real host: the LV2
# denoiser (mono) in jalv under `jackd -d dummy -r 48000 -p 256`, fed by build/tests/soak/soak_client
# with real noisy speech (ten dev-set clips, looped) and its output captured. Beside it, for the same
# minutes on the same machine, a second server runs the same graph with lv2-examples' eg-amp (a plain
# pass-through at 0 dB) instead: each server counts its own xruns (JACK's xrun callback and jackd's
# "XRun" log lines), so the denoiser's are counted against the pass-through's. Also sampled every
# minute: jalv's resident memory and CPU per 256-frame period, the output's level and any non-finite
# sample. Logs: build/soak/denoise/. Verdict and figures: tests/soak/soak_report.py denoise.
# Not part of `make test` (`make soak-denoise`, `make soak`).
cd "$(dirname "$0")/../.."
source tests/soak/soak_lib.sh
MIN=${1:-60}
OUT=build/soak/denoise
rm -rf "$OUT"; mkdir -p "$OUT"
DN_URI="https://statewave.dev/plugins/denoise#mono"
PT_URI="http://lv2plug.in/plugins/eg-amp"
export LV2_PATH="$PWD/build:/usr/lib/lv2"
DEV=../shared/data/devset/noisy
clips=$(ls "$DEV"/0[0-1][0-9].flac | head -10)
[ -n "$clips" ] || { echo "FAIL: no dev-set clips in $DEV"; exit 1; }
sox -V1 $clips -r 48000 -c 1 -b 32 -e floating-point "$OUT/input.wav"
echo "soak denoise: $MIN min; input $(soxi -V1 -D "$OUT/input.wav") s of noisy speech looped (10 dev-set clips)"

WAITPORT=out
start_server sw-soak-dn 48000 256 "$OUT/jackd_denoise.log"
start_server sw-soak-pt 48000 256 "$OUT/jackd_passthrough.log"
start_jalv sw-soak-dn swdn "$OUT/jalv_denoise.log" "$DN_URI"; DN_JALV=$JALV_PID
start_jalv sw-soak-pt swpt "$OUT/jalv_passthrough.log" "$PT_URI" -c gain=0; PT_JALV=$JALV_PID
JACK_DEFAULT_SERVER=sw-soak-dn $CLIENT -n soakdn -t $((MIN * 60)) --audio "$OUT/input.wav" \
  --to swdn:in --from swdn:out --watch $DN_JALV >"$OUT/denoise.log" 2>"$OUT/denoise.err" & c1=$!
JACK_DEFAULT_SERVER=sw-soak-pt $CLIENT -n soakpt -t $((MIN * 60)) --audio "$OUT/input.wav" \
  --to swpt:in --from swpt:out --watch $PT_JALV >"$OUT/passthrough.log" 2>"$OUT/passthrough.err" & c2=$!
PIDS+=($c1 $c2)
r1=0; r2=0
wait $c1 || r1=$?
wait $c2 || r2=$?
echo "jackd XRun lines: denoise $(xrun_lines "$OUT/jackd_denoise.log") passthrough $(xrun_lines "$OUT/jackd_passthrough.log")" \
  >"$OUT/xrun_lines.txt"
cleanup
[ $r1 = 0 ] && [ $r2 = 0 ] || { echo "FAIL: soak client exit $r1 / $r2"; cat "$OUT"/*.err; exit 1; }
$REPORT denoise "$OUT/denoise.log" "$OUT/passthrough.log" "$OUT/xrun_lines.txt"
