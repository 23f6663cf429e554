#!/bin/bash
# statewave synth --live through a real audio server with no hardware: jackd's dummy backend
# with monitor ports (-m) and PortAudio's JACK host API; jack_rec records what the server got.
#   - a short MIDI phrase (melody, chord, pitch bend) plays to the end and exits 0 by itself
#     (end=song), every event applied, the summary's frames ~ the song's length
#   - the recording is the offline render of the same file (`synth -o` at 48 kHz; same
#     player code, same events, same warm-up): SI-SDR >= 30 dB from the first note on, both
#     channels identical — any dropped, repeated or misplaced block or event fails this
#   - no xrun caused by us: app count 0 and no XRun in jackd's log. Same policy as the other
#     live tests: up to 3 attempts; if all had xruns and jackd alone (no client) also logs
#     xruns, the machine is too loaded right now and the xrun check is skipped, with the load
#   - SIGINT stops it early (exit 0, end=signal); a killed server ends it (exit 1, device-lost)
# Period 1024 frames: playback of a file needs no low latency.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
require_built
make_tmp
command -v jack_rec >/dev/null || { echo "FAIL: jack_rec not installed (make deps: jackd2)"; exit 1; }
PY=/usr/bin/python3
CHK="$ROOT/tests/app/synth_check.py"
if [ -n "${SW_SYNTH_MODEL:-}" ]; then
  MARGS=(--model "$SW_SYNTH_MODEL")
elif [ -f "$ROOT/presets/instruments/violin.safetensors" ]; then
  MARGS=()
elif [ -f "$ROOT/tests/data/synth_test.safetensors" ]; then
  MARGS=(--model "$ROOT/tests/data/synth_test.safetensors")
else
  echo "FAIL: no instrument model"; exit 1
fi
# --harmonic-gain 0.4: the random test model starts notes at amplitude ~2; keep the recording
# (16-bit) and the reference below full scale so neither clips.
MARGS+=(--harmonic-gain 0.4)
RATE=48000
PERIOD=1024
source "$(dirname "$0")/jack_lib.sh"
RECPID=""
trap '[ -n "$RECPID" ] && kill $RECPID 2>/dev/null; stop_jackd; cleanup_tmp' EXIT
cd "$TMP"
$PY "$CHK" mkmidi short short.mid >/dev/null
# Offline reference at the server's rate, from the first note-on (0.25 s = sample 12000) on.
"$SW" synth -q "${MARGS[@]}" short.mid -o ref_full.wav
sox ref_full.wav -b 32 -e floating-point ref.wav trim 12000s
REF_S=$(awk -v f="$("$SFCHECK" info ref.wav | sed 's/.*frames=\([0-9]*\).*/\1/')" 'BEGIN { printf "%.2f", f / 48000 - 0.05 }')

play() { # TAG [app args]: jack_rec on both monitor ports while the app plays; RC = its status
  local tag=$1
  shift
  jack_rec -f "$tag.wav" -d 6 -b 16 system:monitor_1 system:monitor_2 >"$tag.rec.log" 2>&1 &
  RECPID=$!
  sleep 0.5
  set +e
  "$SW" synth "${MARGS[@]}" --live --host-api JACK --frames $PERIOD "$@" short.mid </dev/null >"$tag.out" 2>"$tag.err"
  RC=$?
  wait $RECPID 2>/dev/null
  set -e
  RECPID=""
}

clean=0
for attempt in 1 2 3; do
  TAG=run$attempt
  start_jackd "$TMP/jackd.$attempt.log" -m
  play $TAG
  stop_jackd
  o=$TAG.out
  sed 's/^/  | /' "$o"
  if [ "$attempt" = 1 ]; then
    check "synth --live plays the song and exits 0 by itself (end=$(summary_field end "$o"))" \
      bash -c "[ $RC = 0 ] && [ '$(summary_field end "$o")' = song ]"
    check "setup printed: JACK, 48000 Hz, $PERIOD frames, the timbre, the song" \
      bash -c "grep -q '^synth: JACK.* 48000 Hz, $PERIOD frames per callback' '$o' && grep -q '^model: .*timbre' '$o' && grep -q '^song: 8 notes' '$o'"
    ev=$(summary_field events "$o")
    check "every event applied: events=$ev" bash -c "[ '${ev%/*}' = '${ev#*/}' ] && [ -n '${ev%/*}' ]"
    fr=$(summary_field frames "$o")
    # the song: last event 2.25 s + release/tail (the end of the offline render) + drain
    want=$("$SFCHECK" info ref_full.wav | sed 's/.*frames=\([0-9]*\).*/\1/')
    check "frames played: ${fr:-?} >= the offline render's $want and < it + 1.5 s" \
      awk -v f="${fr:-0}" -v w="$want" 'BEGIN { exit !(f >= w && f < w + 1.5 * 48000) }'
    load=$(summary_field dsp_load "$o")
    check "the callback keeps up: DSP load ${load:-?} < 0.5 (mean $(summary_field cb_mean_ms "$o") ms, max $(summary_field cb_max_ms "$o") ms per 21.3 ms period)" \
      awk -v l="${load:-9}" 'BEGIN { exit !(l < 0.5) }'
    check "no host noise on stderr" bash -c "! grep -qiE 'cannot|alsa' '$TAG.err'"
  fi
  xr=$(summary_field xruns "$o"); jx=$(xrun_lines "$TMP/jackd.$attempt.log")
  echo "  attempt $attempt: app xruns=${xr:-?}, jackd XRun lines=$jx"
  if [ "$RC" = 0 ] && [ "${xr:-1}" = 0 ] && [ "$jx" = 0 ]; then clean=1; break; fi
done
rec=$TAG.wav
m=$("$SFCHECK" match ref.wav "$rec" "$REF_S" 2>match.err || true)
s=$(field sisdr "$m")
d=$(sox "$rec" -n remix 1v1,2v-1 stat 2>&1 | sed -n 's/^Maximum amplitude: *//p')
if [ "$clean" = 1 ]; then
  pass "no xruns: app count 0 and no XRun in jackd's log (attempt $attempt)"
  check "the server played the offline render: recording vs 'synth -o', $REF_S s from the first note (at $(field offset "$m")): SI-SDR ${s:-?} dB >= 30" \
    awk -v s="${s:--99}" 'BEGIN { exit !(s >= 30) }'
  check "both channels carry the same signal (largest difference ${d:-?})" awk -v d="${d:-1}" 'BEGIN { exit !(d == 0) }'
else
  if xrun_verdict "xrun-free check" 4 "$TMP/jackd.3.log"; then
    skip "recording vs offline render (needs a run without xruns; SI-SDR ${s:-?} dB)"
  fi
fi

# ------------------------------------------------------------ SIGINT, lost server --
start_jackd "$TMP/jackd.sig.log"
$PY "$CHK" mkmidi timing long.mid >/dev/null
"$SW" synth "${MARGS[@]}" --live --host-api JACK --frames $PERIOD long.mid </dev/null >sig.out 2>&1 &
pid=$!
sleep 1.5
kill -INT $pid
set +e; wait $pid; rc=$?; set -e
check "SIGINT during the song: exit 0, end=signal, some events still pending ($(summary_field events sig.out))" \
  bash -c "[ $rc = 0 ] && [ '$(summary_field end sig.out)' = signal ]"
script -qec "'$SW' synth ${MARGS[*]} --live --host-api JACK --frames $PERIOD short.mid" /dev/null </dev/null >tty.out 2>&1 || true
check "on a terminal: a status line with position, events, voices, xruns and RMS" \
  bash -c "grep -q \$'\r' tty.out && grep -qE 'events [0-9]+/18  voices +[0-9]+  xruns [0-9]+  rms' tty.out"
set +e
"$SW" synth "${MARGS[@]}" --live --host-api JACK --rate 44100 short.mid </dev/null >rate.out 2>rate.err; rc=$?
set -e
check "--rate 44100 on a 48000 Hz server: exit 1 with PortAudio's reason, no summary" \
  bash -c "[ $rc = 1 ] && grep -q 'cannot open output stream' rate.err && ! grep -q summary rate.out"
stop_jackd
start_jackd "$TMP/jackd.lost.log"
"$SW" synth "${MARGS[@]}" --live --host-api JACK --frames $PERIOD long.mid </dev/null >lost.out 2>lost.err &
pid=$!
sleep 1.5
kill_jackd_hard
for _ in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
if kill -0 $pid 2>/dev/null; then
  fail "server killed: statewave synth --live still running after 10 s"
  kill -KILL $pid; wait $pid 2>/dev/null || true
else
  set +e; wait $pid; rc=$?; set -e
  check "server killed: exit 1, end=device-lost, the error says why" \
    bash -c "[ $rc = 1 ] && grep -q 'end=device-lost' lost.out && grep -qE 'device|server' lost.err"
fi
reclaim_jackd_name "$TMP/jackd.reclaim.log"
finish
