#!/bin/bash
# statewave synth: MIDI files rendered to audio with the neural instrument, checked from the
# outside (sfcheck on the files libsndfile wrote, tests/app/synth_check.py for timing, with
# the MIDI times taken from mido, independently of libsmf):
#   - a real Nottingham melody to WAV and FLAC: same audio, finite, not silent, 48 kHz mono,
#     length = last event + a tail no longer than --tail; notes audible while held
#   - a generated file with a tempo change: every separated note starts sounding within one
#     control frame (4 ms) + one block of its note-on, never before (sample-accurate events)
#   - a real polyphonic piano file (7 tracks, pedal) with 16 voices; a 4-note chord is louder
#     with 16 voices than with 1 (polyphony, not stealing)
#   - sustain pedal holds a released note; without it the note stops
#   - --timbre list / --timbre NAME / $STATEWAVE_INSTRUMENTS; usage errors
#   - bad inputs: missing, corrupt, truncated, drums-only MIDI; unwritable, full and
#     non-regular outputs: clear message, exit 1, nothing left behind
# The model: the default timbre (presets/instruments/violin.safetensors) when it exists,
# else the DSP tests' random-weight model tests/data/synth_test.safetensors via --model.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
require_built
make_tmp
PY=/usr/bin/python3
CHK="$ROOT/tests/app/synth_check.py"
MELODY="$SHARED/midi/nottingham/melody/hpps11.mid"
PIANO="$SHARED/midi/piano/midis/Chopin/chpn-p10.mid"
if [ -n "${SW_SYNTH_MODEL:-}" ]; then  # override only to try a model before it ships
  MARGS=(--model "$SW_SYNTH_MODEL")
  echo "model: $SW_SYNTH_MODEL (\$SW_SYNTH_MODEL)"
elif [ -f "$ROOT/presets/instruments/violin.safetensors" ]; then
  MARGS=()
  echo "model: the default timbre, presets/instruments/violin.safetensors"
elif [ -f "$ROOT/tests/data/synth_test.safetensors" ]; then
  MARGS=(--model "$ROOT/tests/data/synth_test.safetensors")
  echo "model: tests/data/synth_test.safetensors (no presets/instruments/violin.safetensors yet)"
else
  echo "FAIL: no instrument model (presets/instruments/violin.safetensors or tests/data/synth_test.safetensors)"
  exit 1
fi
for f in "$MELODY" "$PIANO"; do [ -f "$f" ] || { echo "FAIL: $f missing (../shared/data)"; exit 1; }; done
cd "$TMP"
no_temps() { ! find "$TMP" -name '.*.tmp-*' 2>/dev/null | grep -q .; }
for k in timing sustain nosustain chord single drums short bend bendrange cc64_down cc64_up; do $PY "$CHK" mkmidi $k $k.mid >/dev/null; done

# ------------------------------------------------ a real melody, WAV and FLAC --
"$SW" synth "${MARGS[@]}" "$MELODY" -o mel.wav 2>mel.err
sed 's/^/  | /' mel.err
"$SW" synth -q "${MARGS[@]}" "$MELODY" -o mel.flac
iw=$("$SFCHECK" info mel.wav); if_=$("$SFCHECK" info mel.flac)
frames=$(field frames "$iw")
last=$($PY -c "import mido; print(mido.MidiFile('$MELODY').length)")
check "melody to WAV: 48000 Hz mono, finite, rms $(field rms "$iw") > 0.003" \
  bash -c "[ '$(field rate "$iw")' = 48000 ] && [ '$(field channels "$iw")' = 1 ] && [ '$(field finite "$iw")' = 1 ] && awk -v r='$(field rms "$iw")' 'BEGIN { exit !(r > 0.003) }'"
check "length $frames samples = last event ($last s) + tail in [0, 5 s] (default --tail 5)" \
  awk -v f="$frames" -v l="$last" 'BEGIN { t = f / 48000 - l; exit !(t >= 0 && t <= 5.0) }'
check "melody to FLAC: same length and level as the WAV ($(field frames "$if_") frames, rms $(field rms "$if_"))" \
  bash -c "[ '$(field frames "$if_")' = '$frames' ] && [ '$(field major "$if_")' = 0x170000 ] && awk -v a='$(field rms "$iw")' -v b='$(field rms "$if_")' 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d < 1e-4) }'"
check "summary names the file, rate and notes" grep -q "mel.wav  \[.* s, 48000 Hz, mono, WAV.*notes, 16 voices" mel.err
out=$($PY "$CHK" notes mel.wav "$MELODY" 2>&1) && r=0 || r=1
echo "$out" | sed 's/^/  | /'
check "melody: notes audible while held" [ $r = 0 ]

# ------------------------------------- timing: note-on -> sound, tempo change --
"$SW" synth -q "${MARGS[@]}" --reverb 0 timing.mid -o timing.wav
# one control frame (4 ms) + one render block (1024 samples = 21.3 ms at 48 kHz)
tol=$(awk 'BEGIN { printf "%.2f", 4 + 1024 / 48 }')
out=$($PY "$CHK" onsets timing.wav timing.mid $tol 2>&1) && r=0 || r=1
echo "$out" | sed 's/^/  | /'
check "note-ons (120 -> 80 bpm tempo change half way) sound within $tol ms, never early" [ $r = 0 ]
"$SW" synth -q "${MARGS[@]}" --reverb 0 --rate 22050 timing.mid -o timing22.wav
out=$($PY "$CHK" onsets timing22.wav timing.mid $(awk 'BEGIN { printf "%.2f", 4 + 1024 / 22.05 }') 2>&1) && r=0 || r=1
check "--rate 22050: $(sed -n 's/^frames=\([0-9]*\).*rate=\([0-9]*\).*/\1 frames at \2 Hz/p' <<<"$("$SFCHECK" info timing22.wav)"), onsets on time" \
  bash -c "[ $r = 0 ] && [ '$(field rate "$("$SFCHECK" info timing22.wav)")' = 22050 ]"

# ----------------------------------------------- pitch, bend, bend range, shift --
# The instrument's oscillators run on the note's pitch: YIN on the output finds it.
pc() { local out; out=$($PY "$CHK" pitch "$@" 2>&1) && { echo "$out"; return 0; } || { echo "$out"; return 1; }; }
"$SW" synth -q "${MARGS[@]}" --reverb 0 single.mid -o single0.wav
"$SW" synth -q "${MARGS[@]}" --reverb 0 bend.mid -o bend.wav
"$SW" synth -q "${MARGS[@]}" --reverb 0 bendrange.mid -o bendrange.wav
"$SW" synth -q "${MARGS[@]}" --reverb 0 --pitch-shift -12 single.mid -o shift.wav
r=$(pc single0.wav 0.4 1.2 261.63) && ok=0 || ok=1
check "note 60 sounds at 261.63 Hz: $r" [ $ok = 0 ]
r=$(pc bend.wav 0.5 1.2 440) && ok=0 || ok=1
r2=$(pc bend.wav 1.4 2.2 493.88) && ok2=0 || ok2=1
check "pitch bend +8191 (default range +-2): 440 Hz -> 493.88 Hz: $r; then $r2" [ $ok = 0 -a $ok2 = 0 ]
r=$(pc bendrange.wav 1.4 2.2 622.25) && ok=0 || ok=1
check "RPN 0 bend range 12 semitones, bend +4096 = +6 semitones: 622.25 Hz: $r" [ $ok = 0 ]
r=$(pc shift.wav 0.4 1.2 130.81) && ok=0 || ok=1
check "--pitch-shift -12: note 60 at 130.81 Hz: $r" [ $ok = 0 ]
"$SW" synth -q "${MARGS[@]}" --reverb 0.5 single.mid -o rev.wav
t0=$($PY "$CHK" rms single0.wav 1.6 2.0 2>/dev/null || echo -400); t5=$($PY "$CHK" rms rev.wav 1.6 2.0)
check "--reverb 0.5 leaves a tail after the release (1.6-2.0 s: $t5 dBFS; dry: $t0 dBFS; >= 20 dB more)" \
  awk -v a="$t5" -v b="$t0" 'BEGIN { exit !(a - b >= 20) }'

# A user impulse response: a single click 1.0 s in, wet only = the dry song 1.0 s later,
# kept to its end (the end-of-song silence must outlast the response's own gap).
$PY -c "
import numpy as np
from scipy.io import wavfile
x = np.zeros(int(1.2 * 48000), np.float32); x[48000] = 0.5
wavfile.write('click1s.wav', 48000, x)"
"$SW" synth -q "${MARGS[@]}" --reverb 1 --reverb-ir click1s.wav timing.mid -o wet.wav
lag=$($PY "$CHK" onsetlag timing.wav wet.wav)
fd=$(field frames "$("$SFCHECK" info timing.wav)"); fw=$(field frames "$("$SFCHECK" info wet.wav)")
check "--reverb-ir (a click at 1.0 s), --reverb 1: the song comes ${lag} ms later, and the output is $(( (fw - fd) / 48 )) ms longer (both 1000 +- 5)" \
  awk -v l="$lag" -v a="$fd" -v b="$fw" 'BEGIN { d = (b - a) / 48; exit !(l >= 995 && l <= 1005 && d >= 995 && d <= 1005) }'
sox -n -r 48000 -c 1 silent_ir.wav trim 0 0.1
set +e
"$SW" synth -q "${MARGS[@]}" --reverb-ir missing_ir.wav timing.mid -o ir1.wav 2>ir1.err; r1=$?
"$SW" synth -q "${MARGS[@]}" --reverb-ir silent_ir.wav timing.mid -o ir2.wav 2>ir2.err; r2=$?
set -e
check "missing / silent impulse response: exit 1 with the reason, no output" \
  bash -c "[ $r1 = 1 ] && grep -q \"impulse response 'missing_ir.wav'\" ir1.err && [ $r2 = 1 ] && grep -q 'rejected' ir2.err && [ ! -e ir1.wav ] && [ ! -e ir2.wav ]"

# ------------------------------------------------ polyphony: real piano file --
"$SW" synth "${MARGS[@]}" --voices 16 "$PIANO" -o piano.wav 2>piano.err
sed 's/^/  | /' piano.err
ip=$("$SFCHECK" info piano.wav)
plen=$($PY -c "import mido; print(mido.MidiFile('$PIANO').length)")
check "piano (7 tracks, pedal, up to $(sed -n 's/.*up to \([0-9]*\) notes at once.*/\1/p' piano.err) notes at once), 16 voices: finite, rms $(field rms "$ip") > 0.003, $(field frames "$ip") frames >= $plen s" \
  bash -c "[ '$(field finite "$ip")' = 1 ] && awk -v r='$(field rms "$ip")' -v f='$(field frames "$ip")' -v l='$plen' 'BEGIN { exit !(r > 0.003 && f / 48000 >= l) }'"
"$SW" synth -q "${MARGS[@]}" --reverb 0 --voices 16 chord.mid -o chord16.wav
"$SW" synth -q "${MARGS[@]}" --reverb 0 --voices 1 chord.mid -o chord1.wav
"$SW" synth -q "${MARGS[@]}" --reverb 0 --voices 16 single.mid -o single.wav
c16=$($PY "$CHK" rms chord16.wav 0.4 1.2); c1=$($PY "$CHK" rms chord1.wav 0.4 1.2); s1=$($PY "$CHK" rms single.wav 0.4 1.2)
check "4-note chord: 16 voices $c16 dBFS vs 1 voice $c1 dBFS (one note alone: $s1): >= 3 dB louder with 16" \
  awk -v a="$c16" -v b="$c1" 'BEGIN { exit !(a - b >= 3) }'

# ------------------------------------------------------------ sustain pedal --
"$SW" synth -q "${MARGS[@]}" --reverb 0 sustain.mid -o sus.wav
"$SW" synth -q "${MARGS[@]}" --reverb 0 nosustain.mid -o nosus.wav
a=$($PY "$CHK" rms sus.wav 0.8 1.9); b=$($PY "$CHK" rms nosus.wav 0.8 1.9)
n=$($PY "$CHK" rms sus.wav 0.2 0.35); e=$($PY "$CHK" rms sus.wav 2.3 2.5)
check "sustain pedal: key released at 0.35 s, pedal until 2.0 s: 0.8-1.9 s at $a dBFS (held note $n dBFS), without pedal $b dBFS (>= 30 dB quieter)" \
  awk -v a="$a" -v b="$b" 'BEGIN { exit !(a > -70 && a - b >= 30) }'
check "pedal up at 2.0 s releases it: 2.3-2.5 s at $e dBFS, >= 30 dB under the sustained part" \
  awk -v a="$a" -v e="$e" 'BEGIN { exit !(a - e >= 30) }'

# ---------------------------------------------------------------- timbres --
"$SW" synth --timbre list >list.txt
sed 's/^/  | /' list.txt
if [ -f "$ROOT/presets/instruments/violin.safetensors" ]; then
  check "--timbre list: violin marked default" grep -q "violin .*\[default\]" list.txt
else
  check "--timbre list: exit 0 and a header" grep -q "^Timbres" list.txt
fi
# Every shipped timbre (those --timbre list finds) plays note 60 at its pitch, and they differ.
timbres=$(sed -n 's/^  \([A-Za-z0-9_-]*\) .*\.safetensors (.*/\1/p' list.txt)
prev=""
for t in $timbres; do
  "$SW" synth -q --timbre "$t" --reverb 0 single.mid -o "tim_$t.wav"
  r=$(pc "tim_$t.wav" 0.4 1.2 261.63) && ok=0 || ok=1
  i=$("$SFCHECK" info "tim_$t.wav")
  check "timbre $t: finite, rms $(field rms "$i") > 0.003, note 60 at $r" \
    bash -c "[ $ok = 0 ] && [ '$(field finite "$i")' = 1 ] && awk -v r='$(field rms "$i")' 'BEGIN { exit !(r > 0.003) }'"
  if [ -n "$prev" ]; then
    sd=$($PY "$CHK" sisdr "tim_$prev.wav" "tim_$t.wav" 0.25 1.25)
    check "timbre $t differs from $prev (SI-SDR of one against the other over the note: $sd dB < 10)" awk -v s="$sd" 'BEGIN { exit !(s < 10) }'
  fi
  prev=$t
done
[ -n "$timbres" ] || skip "no shipped timbres to try (presets/instruments empty)"
mkdir -p inst
for m in "${SW_SYNTH_MODEL:-}" "$ROOT/tests/data/synth_test.safetensors" "$ROOT/presets/instruments/violin.safetensors"; do
  [ -n "$m" ] && [ -f "$m" ] && { cp "$m" inst/mytest.safetensors; break; }
done
head -c 3000 /dev/urandom >inst/broken.safetensors
STATEWAVE_INSTRUMENTS="$TMP/inst" "$SW" synth --timbre list >list2.txt
check "\$STATEWAVE_INSTRUMENTS: lists its models, a broken one marked UNUSABLE" \
  bash -c "grep -q '^  mytest ' list2.txt && grep -q 'broken .*UNUSABLE' list2.txt"
set +e
STATEWAVE_INSTRUMENTS="$TMP/inst" "$SW" synth -q --timbre mytest short.mid -o t1.wav 2>t1.err; r1=$?
"$SW" synth -q --timbre nosuchtimbre short.mid -o t2.wav 2>t2.err; r2=$?
STATEWAVE_INSTRUMENTS="$TMP/inst" "$SW" synth -q --timbre broken short.mid -o t3.wav 2>t3.err; r3=$?
"$SW" synth -q --model "$MODEL" short.mid -o t4.wav 2>t4.err; r4=$?
set -e
check "--timbre NAME from \$STATEWAVE_INSTRUMENTS renders" bash -c "[ $r1 = 0 ] && [ -f t1.wav ]"
check "unknown timbre: exit 1, says what was tried and lists the timbres" \
  bash -c "[ $r2 = 1 ] && grep -q \"no model for timbre 'nosuchtimbre'\" t2.err && grep -q 'Tried:' t2.err && grep -q 'Available timbres' t2.err && [ ! -e t2.wav ]"
check "broken timbre model: exit 1 with the loader's reason, no fallback" bash -c "[ $r3 = 1 ] && grep -q 'cannot load model' t3.err && [ ! -e t3.wav ]"
check "a denoise model as --model: exit 1, 'not an instrument model'" bash -c "[ $r4 = 1 ] && grep -q 'not an instrument model' t4.err"

# Names with terminal controls (a model's own timbre name, a model file's name, --timbre) are
# printed escaped: no raw ESC/BEL reaches the terminal, whatever the file says.
$PY - inst/mytest.safetensors evil.safetensors <<'PYEOF'
import json, struct, sys
b = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', b[:8])[0]
h = json.loads(b[8:8 + n])
cfg = json.loads(h['__metadata__']['config'])
cfg.setdefault('task_params', {})['timbre'] = 'red\x1b[31m\x07\u202e'
h['__metadata__']['config'] = json.dumps(cfg)
t = json.dumps(h).encode()
t += b' ' * (-len(t) % 8)
open(sys.argv[2], 'wb').write(struct.pack('<Q', len(t)) + t + b[8 + n:])
PYEOF
mkdir -p inst_esc; cp evil.safetensors "inst_esc/esc$(printf '\033')[2Jname.safetensors"
sox -n -r 16000 -c 1 -b 16 sine16k.wav synth 0.5 sine 440 vol 0.3 2>/dev/null
set +e
"$SW" synth --model evil.safetensors short.mid -o e1.wav 2>e1.err; re1=$?
"$SW" transfer --model evil.safetensors sine16k.wav -o e2.wav 2>e2.err; re2=$?
STATEWAVE_INSTRUMENTS="$TMP/inst_esc" "$SW" synth --timbre list >e3.txt 2>&1; re3=$?
"$SW" synth --timbre "no$(printf '\033')]0;title$(printf '\007')such" short.mid -o e4.wav 2>e4.err; re4=$?
set -e
# "clean" when a file holds no raw ESC, BEL or RIGHT-TO-LEFT OVERRIDE (U+202E)
clean() { if LC_ALL=C grep -q "$(printf '[\033\007]')" "$1" || LC_ALL=C grep -q "$(printf '\342\200\256')" "$1"; then echo raw; else echo clean; fi; }
c1=$(clean e1.err); c2=$(clean e2.err); c3=$(clean e3.txt); c4=$(clean e4.err)
check "synth: the model's timbre name with ESC/BEL/RLO shown escaped (exit $re1, $c1)" \
  bash -c "[ $re1 = 0 ] && [ $c1 = clean ] && grep -qF 'timbre \"red\\x1B[31m\\x07\\u202E\"' e1.err"
check "transfer: the same name shown escaped (exit $re2, $c2)" \
  bash -c "[ $re2 = 0 ] && [ $c2 = clean ] && grep -qF 'timbre \"red\\x1B[31m\\x07\\u202E\"' e2.err"
check "--timbre list: a model file named with ESC listed escaped, and its timbre name too (exit $re3, $c3)" \
  bash -c "[ $re3 = 0 ] && [ $c3 = clean ] && grep -qF 'esc\\x1B[2Jname' e3.txt && grep -qF 'red\\x1B[31m' e3.txt"
check "--timbre with ESC and BEL: exit 1, the name escaped in the error ($c4)" \
  bash -c "[ $re4 = 1 ] && [ $c4 = clean ] && grep -qF \"no model for timbre 'no\\x1B]0;title\\x07such'\" e4.err"

# -------------------------------------------------------------- bad inputs --
head -c 4000 /dev/urandom >corrupt.mid
head -c 40 "$MELODY" >truncated.mid
printf 'MThd\x00\x00\x00\x06\x00\x01\x00\x05\x01\xe0MTrk\x7f\xff\xff\xff' >badtrack.mid
set +e
"$SW" synth -q "${MARGS[@]}" missing.mid -o m.wav 2>e1.txt; r1=$?
"$SW" synth -q "${MARGS[@]}" corrupt.mid -o c.wav 2>e2.txt; r2=$?
"$SW" synth -q "${MARGS[@]}" truncated.mid -o tr.wav 2>e3.txt; r3=$?
"$SW" synth -q "${MARGS[@]}" badtrack.mid -o bt.wav 2>e4.txt; r4=$?
"$SW" synth -q "${MARGS[@]}" drums.mid -o dr.wav 2>e5.txt; r5=$?
set -e
cat e1.txt e2.txt e3.txt e4.txt e5.txt | sed 's/^/  | /'
check "missing MIDI: exit 1, names it, 'No such file'" bash -c "[ $r1 = 1 ] && grep -q \"missing.mid.*No such file\" e1.txt"
check "random bytes as MIDI: exit 1, 'not a Standard MIDI File'" bash -c "[ $r2 = 1 ] && grep -q \"corrupt.mid.*not a Standard MIDI File\" e2.txt"
check "truncated MIDI: exit 1, 'truncated file?'" bash -c "[ $r3 = 1 ] && grep -q 'truncated.mid.*truncated file?' e3.txt"
check "MIDI whose track claims 2 GB: exit 1" bash -c "[ $r4 = 1 ] && grep -q 'badtrack.mid.*claims' e4.txt"
# Damaged copies of the real piano file, the same 80 on every run (seeded): 40 cut at a length,
# 40 with 3 bytes overwritten. Each must end with exit 0 (still a valid song) or 1 (a message),
# never a crash. Then the regression cases: a file with an escaped (0xF7) event, on which the
# earlier reader (libsmf 1.3) aborted (exit 134, "expected_sysex_length: Assertion 'status ==
# 0xF0'"), and a file whose tracks lack End-of-Track (as real files often do): both must play.
$PY - "$PIANO" <<'PYEOF'
import random, sys
src = open(sys.argv[1], 'rb').read()
rng = random.Random(16)
for i in range(40):
    open(f'fz_cut{i:02d}.mid', 'wb').write(src[:rng.randrange(len(src))])
    b = bytearray(src)
    for _ in range(3):
        b[rng.randrange(len(b))] = rng.randrange(256)
    open(f'fz_byte{i:02d}.mid', 'wb').write(bytes(b))
PYEOF
crashes=0; n0=0; n1=0
for f in fz_cut*.mid fz_byte*.mid; do
  set +e; "$SW" synth -q "${MARGS[@]}" --rate 8000 --tail 0 --voices 4 $f -o fz.wav 2>fz.err; r=$?; set -e
  case $r in
    0) n0=$((n0 + 1));;
    1) n1=$((n1 + 1)); grep -q "cannot play MIDI file '$f': ." fz.err || { crashes=$((crashes + 1)); echo "  exit 1 without a reason on $f"; };;
    *) crashes=$((crashes + 1))  # keep the file for a look (the temp folder goes away)
       cp $f "${TMPDIR:-/tmp}/sw-synth-crash-$$-$crashes.mid"
       echo "  exit $r on ${TMPDIR:-/tmp}/sw-synth-crash-$$-$crashes.mid";;
  esac
done
check "80 damaged copies of the piano file (seeded): no crash ($n0 played, $n1 refused with a message, $crashes crashed)" [ $crashes = 0 ]
rm -f fz_*.mid
CORPUS="$ROOT/tests/fuzz/corpus/midi"
set +e
"$SW" synth -q "${MARGS[@]}" --rate 8000 --tail 0 "$CORPUS/regress_libsmf_escape_f7.mid" -o f7.wav 2>f7.err; r1=$?
"$SW" synth "${MARGS[@]}" --rate 8000 --tail 0 "$CORPUS/no_end_of_track.mid" -o noeot.wav 2>noeot.err; r2=$?
set -e
check "regression: escaped (0xF7) event, on which libsmf aborted: plays (exit $r1), 2 notes" \
  bash -c "[ $r1 = 0 ] && [ -f f7.wav ]"
check "tracks without End-of-Track: play (exit $r2), all 4 notes, last event at 1.75 s" \
  bash -c "[ $r2 = 0 ] && grep -q '4 notes.*last event at 1.75 s' noeot.err"
# the song lasts to its last message, even one the instrument drops (a pedal lift with the pedal
# up): the summary says 1.00 s and the render is at least that long
for k in cc64_down cc64_up; do
  set +e; "$SW" synth "${MARGS[@]}" --rate 8000 $k.mid -o $k.wav 2>$k.err; r=$?; set -e
  sed 's/^/  | /' $k.err
  kf=$(field frames "$("$SFCHECK" info $k.wav 2>/dev/null)")
  check "note 0-0.25 s + CC64 ${k#cc64_} at 1 s: exit $r, 'last event at 1.00 s', render ${kf:-0} >= 8000 samples" \
    bash -c "[ $r = 0 ] && grep -q 'last event at 1.00 s' $k.err && [ '${kf:-0}' -ge 8000 ]"
done
check "drums only (channel 10): exit 1, 'no notes to play'" bash -c "[ $r5 = 1 ] && grep -q 'no notes to play (4 on channel 10' e5.txt"
check "no output for any bad input" bash -c "! ls m.wav c.wav tr.wav bt.wav dr.wav 2>/dev/null | grep -q ."
check "no temp file left" no_temps

# ------------------------------------------------------------- bad outputs --
set +e
"$SW" synth -q "${MARGS[@]}" short.mid -o nodir/x.wav 2>o1.txt; r1=$?
mkfifo fifo_out   # a FIFO stands for a device (tests/app/test_outputs.sh has both)
timeout 60 "$SW" synth -q "${MARGS[@]}" short.mid -o fifo_out 2>o2.txt; r2=$?
"$SW" synth -q "${MARGS[@]}" short.mid -o short.mid 2>o3.txt; r3=$?
mkdir -p adir
"$SW" synth -q "${MARGS[@]}" short.mid -o adir 2>o4.txt; r4=$?
set -e
check "output in a missing folder: exit 1, names the folder" bash -c "[ $r1 = 1 ] && grep -q \"cannot create output in 'nodir'\" o1.txt"
check "-o a FIFO refused (not a regular file), FIFO untouched" bash -c "[ $r2 = 1 ] && [ -p fifo_out ] && grep -q 'not a regular file' o2.txt"
check "-o the MIDI file itself refused, file unchanged" bash -c "[ $r3 = 1 ] && grep -q 'is the input file' o3.txt && $PY -c \"import mido; mido.MidiFile('short.mid')\""
check "-o a directory refused" bash -c "[ $r4 = 1 ] && grep -q 'is a directory' o4.txt"
mkdir ro full
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=1m,ro tmpfs ro 2>/dev/null; then
  set +e; "$SW" synth -q "${MARGS[@]}" short.mid -o ro/x.wav 2>o5.txt; r5=$?; set -e
  check "read-only folder: exit 1, says why, nothing created" bash -c "[ $r5 = 1 ] && grep -q 'Read-only' o5.txt && [ -z \"\$(ls -A ro)\" ]"
  umount ro
else
  skip "read-only folder: needs root to mount a read-only tmpfs"
fi
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=64k tmpfs full 2>/dev/null; then
  for ext in wav flac; do
    set +e; "$SW" synth -q "${MARGS[@]}" "$MELODY" -o full/mel.$ext 2>o6.txt; r6=$?; set -e
    check "full disk ($ext, 15 s of 24-bit audio into 64 KiB): exit 1, 'No space left', nothing left behind" \
      bash -c "[ $r6 = 1 ] && grep -q 'No space left' o6.txt && [ -z \"\$(ls -A full)\" ]"
  done
  umount full
else
  skip "full disk: needs root to mount a 64 KiB tmpfs"
fi

# ---------------------------------------------------------- usage errors --
u() { set +e; "$SW" synth "$@" >/dev/null 2>u.err; local r=$?; set -e; echo $r; }
check "no MIDI file: exit 2" [ "$(u -o x.wav)" = 2 ]
check "no -o and no --live: exit 2" [ "$(u short.mid)" = 2 ]
check "--voices 0 / 65: exit 2, names the option" bash -c "[ $(u short.mid -o x.wav --voices 0) = 2 ] && grep -q -- '--voices' u.err && [ $(u short.mid -o x.wav --voices 65) = 2 ]"
check "--reverb 1.5, --pitch-shift 30, --harmonic-gain -1, --rate 1000: exit 2" \
  bash -c "[ $(u short.mid -o x.wav --reverb 1.5) = 2 ] && [ $(u short.mid -o x.wav --pitch-shift 30) = 2 ] && [ $(u short.mid -o x.wav --harmonic-gain -1) = 2 ] && [ $(u short.mid -o x.wav --rate 1000) = 2 ]"
check "--live with -o: exit 2; --device without --live: exit 2" \
  bash -c "[ $(u short.mid --live -o x.wav) = 2 ] && [ $(u short.mid -o x.wav --device 0) = 2 ]"
check "--model and --timbre together: exit 2" [ "$(u short.mid -o x.wav --model a --timbre b)" = 2 ]
"$SW" synth --help >help.txt
check "--help describes the command and every option" \
  bash -c "grep -q 'MIDI' help.txt && for o in --timbre --model --rate --voices --harmonic-gain --noise-gain --pitch-shift --reverb --reverb-ir --tail --live --device --frames; do grep -q -- \"\$o\" help.txt || exit 1; done"
check "no temp files left anywhere" no_temps

finish
