#!/bin/bash
# soak_instrument.sh [MINUTES] — the LV2 neural instrument in jalv under `jackd -d dummy -r 48000
# -p 256` for MINUTES (default 30), playing a dense MIDI loop: Liszt's Transcendental Etude no. 5
# from the piano MIDI set (4,441 notes in 196 s, 22.6 notes/s, with pedal), sent by
# build/tests/soak/soak_client through the project's MIDI reader, every pass ending with all notes
# off. Sampled every minute: jalv's resident memory and CPU per 256-frame period (its CPU time over
# the periods of the minute), xruns, the output's level and any non-finite sample. The criterion is
# no growth: memory and CPU per period of the last minutes against the first ones. Logs:
# build/soak/instrument/. Verdict: tests/soak/soak_report.py instrument.
# Not part of `make test` (`make soak-instrument`, `make soak`).
cd "$(dirname "$0")/../.."
source tests/soak/soak_lib.sh
MIN=${1:-30}
OUT=build/soak/instrument
rm -rf "$OUT"; mkdir -p "$OUT"
URI="https://statewave.dev/plugins/synth"
MIDI=../shared/data/midi/piano/midis/Liszt/liz_et_trans5.mid
[ -f "$MIDI" ] || { echo "FAIL: $MIDI missing (../shared/data)"; exit 1; }
[ -f build/statewave.lv2/synth.ttl ] || { echo "FAIL: the bundle has no instrument (no trained timbre)"; exit 1; }
export LV2_PATH="$PWD/build:/usr/lib/lv2"
echo "soak instrument: $MIN min of $MIDI looped"

WAITPORT=out_l
start_server sw-soak-syn 48000 256 "$OUT/jackd.log"
start_jalv sw-soak-syn swsyn "$OUT/jalv.log" "$URI"; JALV=$JALV_PID
JACK_DEFAULT_SERVER=sw-soak-syn $CLIENT -n soaksyn -t $((MIN * 60)) --midi "$MIDI" --to swsyn:midi_in \
  --from swsyn:out_l --from swsyn:out_r --watch $JALV >"$OUT/instrument.log" 2>"$OUT/instrument.err" & c=$!
PIDS+=($c)
r=0; wait $c || r=$?
echo "jackd XRun lines: $(xrun_lines "$OUT/jackd.log")" >"$OUT/xrun_lines.txt"
cleanup
[ $r = 0 ] || { echo "FAIL: soak client exit $r"; cat "$OUT/instrument.err"; exit 1; }
sed 's/^/  | /' "$OUT/instrument.err"
$REPORT instrument "$OUT/instrument.log" "$OUT/xrun_lines.txt"
