#!/bin/bash
# statewave transfer: timbre transfer of real monophonic recordings (sms-tools flute A4 and a
# sax phrase), checked from the outside:
#   - output: same rate and exactly the same number of samples as the input, mono, finite,
#     not silent
#   - aligned with the input (latency compensated): the f0 contours of a phrase line up
#     within +-15 ms (the pitch estimator itself is off by up to ~12 ms depending on the
#     signal; a missing or doubled compensation would be ~35 ms off)
#   - the output's f0 follows the input's (the same small YIN, tests/app/synth_check.py, on
#     both): median error < 50 cents, >= 60 % of the frames voiced in both within 50 cents
#   - other rates (22.05 and 44.1 kHz via sox) and a stereo input (mixed to mono)
#   - bad inputs (missing, corrupt, empty, a rate the instrument refuses) and outputs:
#     clear message, exit 1, nothing left behind
# Model: presets/instruments/flute.safetensors when it exists, else the DSP tests'
# random-weight tests/data/synth_test.safetensors (its timbre is noise, but its pitch must
# still be the input's: the synthesis is harmonic on the tracked f0).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
require_built
make_tmp
PY=/usr/bin/python3
CHK="$ROOT/tests/app/synth_check.py"
FLUTE="$SHARED/instruments/sms-tools/flute-A4.wav"
SAX="$SHARED/instruments/sms-tools/sax-phrase-short.wav"
if [ -n "${SW_SYNTH_MODEL:-}" ]; then
  MARGS=(--model "$SW_SYNTH_MODEL")
elif [ -f "$ROOT/presets/instruments/flute.safetensors" ]; then
  MARGS=(--timbre flute)
elif [ -f "$ROOT/tests/data/synth_test.safetensors" ]; then
  MARGS=(--model "$ROOT/tests/data/synth_test.safetensors")
else
  echo "FAIL: no instrument model (presets/instruments/flute.safetensors or tests/data/synth_test.safetensors)"
  exit 1
fi
echo "model: ${MARGS[*]}"
for f in "$FLUTE" "$SAX"; do [ -f "$f" ] || { echo "FAIL: $f missing (../shared/data)"; exit 1; }; done
cd "$TMP"
no_temps() { ! find "$TMP" -name '.*.tmp-*' 2>/dev/null | grep -q .; }

# run IN OUT [args]: transfer, then the checks on OUT against IN
run() {
  local in=$1 out=$2 what=$3
  shift 3
  "$SW" transfer "${MARGS[@]}" "$@" "$in" -o "$out" 2>"$out.err"
  sed 's/^/  | /' "$out.err"
  local ii io
  ii=$("$SFCHECK" info "$in"); io=$("$SFCHECK" info "$out")
  check "$what: $(field frames "$io") samples at $(field rate "$io") Hz = the input's $(field frames "$ii") at $(field rate "$ii") Hz, mono, finite, rms $(field rms "$io") > 0.003" \
    bash -c "[ '$(field frames "$io")' = '$(field frames "$ii")' ] && [ '$(field rate "$io")' = '$(field rate "$ii")' ] && [ '$(field channels "$io")' = 1 ] && [ '$(field finite "$io")' = 1 ] && awk -v r='$(field rms "$io")' 'BEGIN { exit !(r > 0.003) }'"
}

# ---------------------------------------------------------------- flute A4 --
run "$FLUTE" flute.wav "flute-A4.wav (44.1 kHz)" --reverb 0
check "summary: latency reported as compensated" grep -q 'latency [0-9]* samples .* compensated' flute.wav.err
out=$($PY "$CHK" f0track "$FLUTE" flute.wav 2>&1) && r=0 || r=1
echo "  | $out"
check "flute: output f0 tracks the input's" [ $r = 0 ]

# --------------------------------------------------------------- sax phrase --
run "$SAX" sax.wav "sax-phrase-short.wav" --reverb 0
out=$($PY "$CHK" f0track "$SAX" sax.wav 2>&1) && r=0 || r=1
echo "  | $out"
check "sax phrase (a melody): output f0 tracks the input's" [ $r = 0 ]
# Alignment: the lag that best lines up the two f0 contours (the note changes make it sharp; a
# missing latency compensation would show as ~+35 ms; YIN on a pitch step is itself up to ~12 ms
# off depending on the timbre, hence +-15 ms)
lag=$($PY "$CHK" f0lag "$SAX" sax.wav)
check "sax: output aligned with the input (latency compensated): f0 contours line up at $lag ms, within +-15 ms" \
  awk -v l="$lag" 'BEGIN { exit !(l >= -15 && l <= 15) }'
run "$SAX" sax_rev.flac "sax to FLAC with the default reverb"

# ------------------------------------------------------ other rates, stereo --
sox "$FLUTE" -b 16 flute22.wav rate -v 22050
sox "$FLUTE" -b 24 -c 2 flute48st.wav rate -v 48000
sox "$SAX" -b 16 sax22.wav rate -v 22050
run sax22.wav sax22_out.wav "22.05 kHz input" --reverb 0
lag=$($PY "$CHK" f0lag sax22.wav sax22_out.wav)
check "22.05 kHz: aligned, f0 contours line up at $lag ms (+-15)" awk -v l="$lag" 'BEGIN { exit !(l >= -15 && l <= 15) }'
run flute22.wav flute22_out.wav "22.05 kHz flute" --reverb 0
out=$($PY "$CHK" f0track flute22.wav flute22_out.wav 2>&1) && r=0 || r=1
check "22.05 kHz flute: f0 tracks ($out)" [ $r = 0 ]
run flute48st.wav flute48_out.wav "48 kHz stereo 24-bit input (mixed to mono)" --reverb 0
check "48 kHz 24-bit input -> 24-bit output (input's sample format kept)" \
  bash -c "[ '$(field subtype "$("$SFCHECK" info flute48_out.wav)")' = 0x0003 ]"
run "$FLUTE" shifted.wav "--pitch-shift 12" --reverb 0 --pitch-shift 12
out=$($PY "$CHK" f0track "$FLUTE" shifted.wav 1200 2>&1) && r=0 || r=1
check "--pitch-shift 12: output f0 an octave above the input ($out)" [ $r = 0 ]

$PY -c "
import numpy as np
from scipy.io import wavfile
x = np.zeros(int(0.4 * 44100), np.float32); x[int(0.3 * 44100)] = 0.5
wavfile.write('click.wav', 44100, x)"
run "$SAX" sax_wet.wav "--reverb 1 --reverb-ir (a click at 0.3 s)" --reverb 1 --reverb-ir click.wav
# wet only through a click = the dry output delayed: the cross-correlation peak says by how much
lag=$("$SFCHECK" lag sax.wav sax_wet.wav 14000)
check "--reverb-ir click at 0.3 s, wet only: the output is the dry one $lag samples later (0.3 s = 13230 +- 2)" \
  awk -v l="$lag" 'BEGIN { exit !(l >= 13228 && l <= 13232) }'

# ------------------------------------------- DC, rumble and hum stay silent --
# The analysis high-passes its input (6th order, 30 Hz) and gates frames under -70 dBFS to the
# features of digital silence; the command flushes its latency with the input continued by
# point reflection (no step at the end). So an offset, a slow 5 Hz rumble at -40 dBFS peak and
# a -90 dBFS mains hum must come out below -90 dBFS (RMS and peak), with every shipped timbre.
$PY -c "
import numpy as np
from scipy.io import wavfile
fs = 44100; t = np.arange(3 * fs) / fs
sig = {'dc05': np.full(t.size, 0.05), 'dc01': np.full(t.size, 0.01), 'dcneg': np.full(t.size, -0.3),
       'rumble5': 0.01 * np.sin(2 * np.pi * 5 * t), 'rumble5c': 0.01 * np.cos(2 * np.pi * 5 * t + 0.3),
       'hum50': 10 ** (-90 / 20) * np.sin(2 * np.pi * 50 * t), 'hum60': 10 ** (-90 / 20) * np.sin(2 * np.pi * 60 * t)}
for k, v in sig.items(): wavfile.write(k + '.wav', fs, v.astype(np.float32))"
models=()
for m in "$ROOT"/presets/instruments/*.safetensors; do [ -f "$m" ] && models+=("$m"); done
[ ${#models[@]} -gt 0 ] || models=("$ROOT/tests/data/synth_test.safetensors")
for m in "${models[@]}"; do
  worst=-1000; what=""
  for f in dc05 dc01 dcneg rumble5 rumble5c hum50 hum60; do
    "$SW" transfer -q --model "$m" "$f.wav" -o "q_$f.wav"
    i=$("$SFCHECK" info "q_$f.wav")
    db=$(awk -v p="$(field peak "$i")" -v r="$(field rms "$i")" \
      'BEGIN { m = (p + 0 > r + 0) ? p + 0 : r + 0; if (m > 0) printf("%.1f", 20 * log(m) / log(10)); else printf("<-120") }')
    [ -n "$db" ] || db=0  # no measure: fail
    what="$what $f:$db"
    worst=$(awk -v a="$worst" -v b="${db#<}" 'BEGIN { print ((b + 0 > a + 0) ? b : a) }')
  done
  check "$(basename "$m" .safetensors): DC 0.05/0.01/-0.3, 5 Hz at -40 dBFS (2 phases), 50/60 Hz hum at -90 dBFS -> peak/RMS dBFS:$what (all < -90)" \
    awk -v w="$worst" 'BEGIN { exit !(w < -90) }'
done

# --------------------------------------------------------------- bad inputs --
$PY -c "open('corrupt.wav', 'w').write('not audio at all\\n' * 1250)"  # fixed garbage: random bytes may pass as MPEG frames
sox -n -r 44100 -c 1 -b 16 empty.wav trim 0 0
sox "$FLUTE" -r 4000 low.wav
set +e
"$SW" transfer -q "${MARGS[@]}" missing.wav -o m.wav 2>e1.txt; r1=$?
"$SW" transfer -q "${MARGS[@]}" corrupt.wav -o c.wav 2>e2.txt; r2=$?
"$SW" transfer -q "${MARGS[@]}" empty.wav -o e.wav 2>e3.txt; r3=$?
"$SW" transfer -q "${MARGS[@]}" low.wav -o l.wav 2>e4.txt; r4=$?
mkfifo fifo_out   # a FIFO stands for a device (tests/app/test_outputs.sh has both)
timeout 60 "$SW" transfer -q "${MARGS[@]}" "$FLUTE" -o fifo_out 2>e5.txt; r5=$?
"$SW" transfer -q "${MARGS[@]}" "$FLUTE" -o nodir/x.wav 2>e6.txt; r6=$?
cp "$FLUTE" same.wav; md5=$(md5sum same.wav)
"$SW" transfer -q "${MARGS[@]}" same.wav -o same.wav 2>e7.txt; r7=$?
set -e
cat e1.txt e2.txt e3.txt e4.txt | sed 's/^/  | /'
check "missing input: exit 1, 'No such file'" bash -c "[ $r1 = 1 ] && grep -q \"missing.wav.*No such file\" e1.txt"
check "corrupt input: exit 1, names it" bash -c "[ $r2 = 1 ] && grep -q \"cannot read 'corrupt.wav'\" e2.txt"
check "empty input: exit 1, 'empty'" bash -c "[ $r3 = 1 ] && grep -q 'empty.wav.*empty' e3.txt"
check "4 kHz input: exit 1, the instrument's reason for the rate" bash -c "[ $r4 = 1 ] && grep -q 'low.wav.*4000 Hz' e4.txt"
check "-o a FIFO refused, FIFO untouched" bash -c "[ $r5 = 1 ] && [ -p fifo_out ] && grep -q 'not a regular file' e5.txt"
check "missing output folder: exit 1" bash -c "[ $r6 = 1 ] && grep -q nodir e6.txt"
check "output = input refused, input unchanged" bash -c "[ $r7 = 1 ] && grep -q 'is the input file' e7.txt && [ \"\$(md5sum same.wav)\" = '$md5' ]"
check "no output for any bad input" bash -c "! ls m.wav c.wav e.wav l.wav 2>/dev/null | grep -q ."
mkdir full
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=64k tmpfs full 2>/dev/null; then
  set +e; "$SW" transfer -q "${MARGS[@]}" "$SAX" -o full/x.flac 2>e8.txt; r8=$?; set -e
  check "full disk: exit 1, 'No space left', nothing left behind" \
    bash -c "[ $r8 = 1 ] && grep -q 'No space left' e8.txt && [ -z \"\$(ls -A full)\" ]"
  umount full
else
  skip "full disk: needs root to mount a 64 KiB tmpfs"
fi
set +e
"$SW" transfer "$FLUTE" >/dev/null 2>u1.txt; u1=$?
"$SW" transfer -o x.wav >/dev/null 2>u2.txt; u2=$?
"$SW" transfer "$FLUTE" -o x.wav --noise-gain 9 >/dev/null 2>u3.txt; u3=$?
set -e
check "usage errors (no -o, no input, --noise-gain 9): exit 2" bash -c "[ $u1 = 2 ] && [ $u2 = 2 ] && [ $u3 = 2 ]"
"$SW" transfer --help >help.txt
check "--help says what it does and lists every option" \
  bash -c "grep -q 'Timbre transfer' help.txt && for o in --timbre --model --harmonic-gain --noise-gain --pitch-shift --reverb --reverb-ir --format; do grep -q -- \"\$o\" help.txt || exit 1; done"
check "no temp files left" no_temps
finish
