#!/bin/bash
# statewave generate --live through a real audio server with no hardware: jackd's dummy
# backend with monitor ports (-m: system:monitor_N carry what is written to
# system:playback_N) and PortAudio's JACK host API. jack_rec records the monitor ports
# while the app plays, so the test hears what the server really got:
#   - the recording holds the same piano that `statewave generate -o` renders offline for
#     that seed (found by its onset, SI-SDR against the offline file resampled to 48 kHz
#     by sox), both channels identical; any dropped, repeated or garbled block fails this
#   - the app's summary: frames ~ rate x seconds, model-rate samples ~ (frames played +
#     frames waiting in the render-ahead ring) / 3, RMS, no resampler error, end=seconds,
#     the rendering thread's load, and no xrun and no starved frame (app counts and
#     jackd's log; same 3-attempt + server-alone skip policy as test_live_jack.sh)
#   - at a 16 kHz server the rendered samples are played as they are (no resampler)
#   - SIGINT/SIGTERM stop it cleanly, a killed server ends it with exit 1, a status line
#     on a terminal, a prompt is primed, a rate the server does not run at is refused.
#
# Period: 1024 frames (21.3 ms). The generator renders on a thread of its own, 0.5 s ahead
# of the output (about a third to a half of a core in real time: render_load), so the
# callback only copies; a generator has no input to keep in step with, so neither the
# ring nor the period costs anything but start latency.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
require_built
make_tmp
command -v jack_rec >/dev/null || { echo "FAIL: jack_rec not installed (make deps: jackd2)"; exit 1; }
GEN_MODEL="$ROOT/presets/generate.safetensors"
[ -f "$GEN_MODEL" ] || { skip "generate --live: no presets/generate.safetensors"; finish; exit $?; }
RATE=48000
PERIOD=1024
SECONDS_RUN=4
SEED=3
source "$(dirname "$0")/jack_lib.sh"
RECPID=""
trap '[ -n "$RECPID" ] && kill $RECPID 2>/dev/null; stop_jackd; cleanup_tmp' EXIT

# Offline reference: the same seed and settings rendered to a file, resampled by sox.
"$SW" generate -q -s $((SECONDS_RUN + 2)) --seed $SEED -o "$TMP/ref16.wav"
sox "$TMP/ref16.wav" -b 32 -e floating-point "$TMP/ref48.wav" rate -v 48000

# play [app args...]: run generate --live on the running server while jack_rec records
# both monitor ports; outputs in $TMP/$TAG.{out,err,wav}, status in RC.
play() {
  jack_rec -f "$TMP/$TAG.wav" -d $((SECONDS_RUN + 2)) -b 16 system:monitor_1 system:monitor_2 \
    >"$TMP/$TAG.rec.log" 2>&1 &
  RECPID=$!
  sleep 0.5 # jack_rec connected before the app starts: the recording opens with silence
  set +e
  "$SW" generate --live --host-api JACK --frames $PERIOD --seed $SEED "$@" </dev/null \
    >"$TMP/$TAG.out" 2>"$TMP/$TAG.err"
  RC=$?
  wait $RECPID 2>/dev/null
  set -e
  RECPID=""
}

# ------------------------------------------------ main run, --seconds 4 --
clean=0
for attempt in 1 2 3; do
  TAG=run$attempt
  start_jackd "$TMP/jackd.$attempt.log" -m
  play --seconds $SECONDS_RUN
  stop_jackd
  o="$TMP/$TAG.out"
  sed 's/^/  | /' "$o"
  if [ "$attempt" = 1 ]; then
    check "generate --live exits 0 after --seconds" [ "$RC" = 0 ]
    check "setup printed: JACK, 48000 Hz, $PERIOD frames, model resampled 16000 -> 48000 Hz, seed, top-p 1" \
      bash -c "grep -q '^generate: JACK.* 48000 Hz, $PERIOD frames per callback' '$o' && grep -q '^model: .*(16000 Hz, resampled to 48000 Hz' '$o' && grep -q '^settings: seed $SEED, temperature 1, top-p 1$' '$o'"
    frames=$(summary_field frames "$o"); gen=$(summary_field generated "$o")
    check "summary line parsed (end=$(summary_field end "$o"), src_errors=$(summary_field src_errors "$o"))" \
      [ -n "$frames" -a -n "$gen" -a "$(summary_field end "$o")" = seconds -a "$(summary_field src_errors "$o")" = 0 ]
    frames=${frames:-0}; gen=${gen:-0}
    want=$((RATE * SECONDS_RUN))
    check "audio flowed: $frames frames in ${SECONDS_RUN} s, ~ $want (0.9x..1.05x)" \
      awk -v f="$frames" -v w="$want" 'BEGIN { exit !(f >= 0.9 * w && f <= 1.05 * w) }'
    # rendered x 3 = frames played + frames in the ring, up to one unconverted chunk (512)
    # and what the converter holds
    buffered=$(summary_field buffered "$o"); buffered=${buffered:-0}
    check "model-rate samples rendered: $gen x 3 = $((gen * 3)) ~ $frames played + $buffered in the ring (0 .. 3 x 4608 more)" \
      awk -v g="$gen" -v f="$frames" -v b="$buffered" 'BEGIN { d = 3 * g - f - b; exit !(b > 0 && d >= 0 && d <= 3 * 4608) }'
    check "setup names the render-ahead ring: $(sed -n 's/^rendering: //p' "$o")" \
      grep -qE '^rendering: [0-9]+ ms ahead of the output \([0-9]+ frames\), thread at (SCHED_FIFO|normal priority)$' "$o"
    rms=$(summary_field rms_dbfs "$o"); peak=$(summary_field peak "$o")
    check "what was played is not silent: rms ${rms:-?} dBFS in (-40, -3), peak ${peak:-?} in (0.05, 1]" \
      awk -v r="${rms:--999}" -v p="${peak:-0}" 'BEGIN { exit !(r > -40 && r < -3 && p > 0.05 && p <= 1) }'
    load=$(summary_field render_load "$o"); dsp=$(summary_field dsp_load "$o")
    check "the rendering keeps up: render load ${load:-?} < 0.8 of a core; the callback only copies: DSP load ${dsp:-?} < 0.05 (max $(summary_field cb_max_ms "$o") ms per 21.3 ms period)" \
      awk -v l="${load:-9}" -v d="${dsp:-9}" 'BEGIN { exit !(l < 0.8 && d < 0.05) }'
    check "no host noise on stderr" bash -c "! grep -qiE 'cannot|alsa' '$TMP/$TAG.err'"
  fi
  xr=$(summary_field xruns "$o"); jx=$(xrun_lines "$TMP/jackd.$attempt.log"); sv=$(summary_field starved "$o")
  echo "  attempt $attempt: app xruns=${xr:-?}, starved frames=${sv:-?}, jackd XRun lines=$jx"
  if [ "$RC" = 0 ] && [ "${xr:-1}" = 0 ] && [ "${sv:-1}" = 0 ] && [ "$jx" = 0 ]; then clean=1; break; fi
done
# What the server got. Only a run without xruns can match sample for sample.
rec="$TMP/$TAG.wav"
i=$("$SFCHECK" info "$rec" 2>/dev/null || true)
m=$("$SFCHECK" match "$TMP/ref48.wav" "$rec" $((SECONDS_RUN - 1)) 2>"$TMP/match.err" || true)
s=$(field sisdr "$m")
d=$(sox "$rec" -n remix 1v1,2v-1 stat 2>&1 | sed -n 's/^Maximum amplitude: *//p')
if [ "$clean" = 1 ]; then
  pass "no xruns, nothing starved: app counts 0 and no XRun in jackd's log (attempt $attempt)"
  check "recorded from system:monitor_1/2: 2 channels at 48000 Hz, rms $(field rms "$i") > 0.01" \
    bash -c "[ '$(field channels "$i")' = 2 ] && [ '$(field rate "$i")' = 48000 ] && awk -v r='$(field rms "$i")' 'BEGIN { exit !(r > 0.01) }'"
  check "the server played seed $SEED's piano: recording vs offline 'generate -o' (sox-resampled), $((SECONDS_RUN - 1)) s from the onset at $(field offset "$m"): SI-SDR ${s:-?} dB >= 30" \
    awk -v s="${s:--99}" 'BEGIN { exit !(s >= 30) }'
  check "both channels carry the same signal (largest difference ${d:-?})" \
    awk -v d="${d:-1}" 'BEGIN { exit !(d == 0) }'
else
  if xrun_verdict "xrun-free check" $SECONDS_RUN "$TMP/jackd.3.log"; then
    skip "recording vs offline render (needs a run without xruns; SI-SDR ${s:-?} dB)"
  fi
fi

# --------------------------------------------- 16 kHz server: no resampler --
RATE=16000
TAG=r16
start_jackd "$TMP/jackd.r16.log" -m
play --seconds 2
stop_jackd
m=$("$SFCHECK" match "$TMP/ref16.wav" "$TMP/r16.wav" 1 2>/dev/null || true)
s=$(field sisdr "$m"); xr=$(summary_field xruns "$TMP/r16.out")
if [ "${xr:-1}" = 0 ] && [ "$(xrun_lines "$TMP/jackd.r16.log")" = 0 ]; then
  check "16 kHz server: played as is (no resampler), recording = offline render (SI-SDR ${s:-?} dB >= 60, 16-bit)" \
    bash -c "[ $RC = 0 ] && grep -q '^model: .*(16000 Hz, played as is)' '$TMP/r16.out' && awk -v s='${s:--99}' 'BEGIN { exit !(s >= 60) }'"
else
  check "16 kHz server: exit 0, played as is (xruns in this run: no sample match)" \
    bash -c "[ $RC = 0 ] && grep -q '^model: .*(16000 Hz, played as is)' '$TMP/r16.out'"
fi
RATE=48000

# ------------------------------------------------------ signals, terminal --
start_jackd "$TMP/jackd.sig.log"
for sig in INT TERM; do
  "$SW" generate --live --host-api JACK --frames $PERIOD </dev/null >"$TMP/sig.$sig.out" 2>&1 &
  pid=$!
  # Playing starts once the model is loaded and the ring filled (longer on a loaded
  # machine): wait for the setup lines, then play for 1 s.
  for _ in $(seq 200); do grep -q '^latency:' "$TMP/sig.$sig.out" && break; sleep 0.1; done
  sleep 1
  kill -$sig $pid
  t0=$(date +%s.%N)
  set +e; wait $pid; rc=$?; set -e
  dt=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
  fr=$(summary_field frames "$TMP/sig.$sig.out")
  check "SIG$sig (no --seconds: runs until a signal): exit 0 in ${dt} s, end=signal, ${fr:-0} frames" \
    bash -c "[ $rc = 0 ] && [ \"$(summary_field end "$TMP/sig.$sig.out")\" = signal ] && [ ${fr:-0} -gt $((RATE / 2)) ] && awk -v d=$dt 'BEGIN { exit !(d < 3) }'"
done
script -qec "'$SW' generate --live --host-api JACK --frames $PERIOD --seconds 2" /dev/null </dev/null >"$TMP/tty.out" 2>&1 || true
check "on a terminal: status line with frames, seconds generated, xruns and RMS" \
  bash -c "grep -q \$'\r' '$TMP/tty.out' && grep -qE 'frames  [0-9.]+ s generated  xruns [0-9]+  rms -?[0-9.]+ dBFS' '$TMP/tty.out'"
set +e
"$SW" generate --live --host-api JACK --frames $PERIOD --seconds 1 \
  --prompt "$SHARED/instruments/sms-tools/piano.wav" --prompt-seconds 1 </dev/null >"$TMP/pr.out" 2>&1
rc=$?
"$SW" generate --live --host-api JACK --rate 44100 --seconds 1 </dev/null >"$TMP/rate.out" 2>"$TMP/rate.err"
rc2=$?
set -e
check "--prompt with --live: primed (settings say so), exit 0, end=seconds" \
  bash -c "[ $rc = 0 ] && grep -q '^settings: .*after a 1.00 s prompt' '$TMP/pr.out' && grep -q 'end=seconds' '$TMP/pr.out'"
check "--rate 44100 on a 48000 Hz server: exit 1 with PortAudio's reason, no summary" \
  bash -c "[ $rc2 = 1 ] && grep -q 'cannot open output stream' '$TMP/rate.err' && ! grep -q summary '$TMP/rate.out'"
stop_jackd

# ------------------------------------------------- the server disappears --
start_jackd "$TMP/jackd.lost.log"
"$SW" generate --live --host-api JACK --frames $PERIOD </dev/null >"$TMP/lost.out" 2>"$TMP/lost.err" &
pid=$!
sleep 2
kill_jackd_hard
t0=$(date +%s.%N)
for _ in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
if kill -0 $pid 2>/dev/null; then
  fail "server killed: statewave generate --live still running after 10 s"
  kill -KILL $pid; wait $pid 2>/dev/null || true
else
  set +e; wait $pid; rc=$?; set -e
  dt=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  sed 's/^/  | /' "$TMP/lost.err" | head -3
  check "server killed: exit 1 after ${dt} s, summary end=device-lost, error says why" \
    bash -c "[ $rc = 1 ] && grep -q 'end=device-lost' '$TMP/lost.out' && grep -qE 'device|server' '$TMP/lost.err'"
fi
reclaim_jackd_name "$TMP/jackd.reclaim.log"

finish
