#!/bin/bash
# soak_generate.sh [MINUTES] — MINUTES (default 30) of `statewave generate --live` (the shipped
# piano model, seed 1, temperature 1, top-p 1) under `jackd -d dummy -r 48000 -p 1024 -m`, its
# output recorded from the server's monitor port by build/tests/soak/soak_client (float WAV), which
# also samples the app's memory and CPU per period every minute. Then, per minute of the recording
# (tests/soak/soak_report.py generate): level (RMS dBFS), longest run of digital silence, spectral
# centroid and flatness (20 Hz - 8 kHz, the model's band): no collapse means every minute stays in
# range (the level within 12 dB of the run's median and above -45 dBFS, no silence run of 1 s or more,
# the tone within a factor 1.6 of the median centroid and flatness below 0.3: not noise).
# Logs: build/soak/generate/ (the recording is ~350 MB for 30 min).
# Not part of `make test` (`make soak-generate`, `make soak`).
cd "$(dirname "$0")/../.."
source tests/soak/soak_lib.sh
MIN=${1:-30}
OUT=build/soak/generate
rm -rf "$OUT"; mkdir -p "$OUT"
[ -x build/statewave ] && [ -f presets/generate.safetensors ] || { echo "FAIL: build/statewave or presets/generate.safetensors missing"; exit 1; }
echo "soak generate: $MIN min of generate --live"

start_server sw-soak-gen 48000 1024 "$OUT/jackd.log" -m
# the app runs 20 s longer than the recording, which starts once the app's ports are connected
JACK_DEFAULT_SERVER=sw-soak-gen build/statewave generate --live --host-api JACK --frames 1024 --seed 1 \
  --seconds $((MIN * 60 + 20)) </dev/null >"$OUT/app.out" 2>"$OUT/app.err" & APP=$!
PIDS+=($APP)
for i in $(seq 300); do
  JACK_DEFAULT_SERVER=sw-soak-gen jack_lsp -c >"$OUT/ports" 2>/dev/null || true
  grep -q '^ *PortAudio' "$OUT/ports" && break  # the app's output is connected to system:playback
  kill -0 $APP 2>/dev/null || { echo "FAIL: generate --live ended early"; cat "$OUT/app.err"; exit 1; }
  sleep 0.2
done
JACK_DEFAULT_SERVER=sw-soak-gen $CLIENT -n soakgen -t $((MIN * 60)) --from system:monitor_1 \
  --record "$OUT/generated.wav" --watch $APP >"$OUT/generate.log" 2>"$OUT/generate.err" & c=$!
PIDS+=($c)
r=0; wait $c || r=$?
ra=0; wait $APP || ra=$?
echo "jackd XRun lines: $(xrun_lines "$OUT/jackd.log")" >"$OUT/xrun_lines.txt"
cleanup
sed 's/^/  | /' "$OUT/app.out"
[ $r = 0 ] && [ $ra = 0 ] || { echo "FAIL: soak client exit $r, generate exit $ra"; cat "$OUT/generate.err" "$OUT/app.err"; exit 1; }
$REPORT generate "$OUT/generate.log" "$OUT/generated.wav" "$OUT/app.out" "$OUT/xrun_lines.txt"
