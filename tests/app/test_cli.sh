#!/bin/bash
# statewave command line: help/version, exit codes, placeholders, model lookup, install-app.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
require_built
make_tmp

run() { set +e; "$@" >"$TMP/o" 2>"$TMP/e"; RC=$?; set -e; }

run "$SW" --version
check "--version: exit 0, prints version $(sed -n 's/^#define SW_VERSION_STRING "\(.*\)"/\1/p' "$ROOT/dsp/statewave.h")" \
  bash -c "[ $RC = 0 ] && grep -q \"^statewave $(sed -n 's/^#define SW_VERSION_STRING "\(.*\)"/\1/p' "$ROOT/dsp/statewave.h")\" '$TMP/o'"
run "$SW" --help
check "--help: exit 0, lists the commands" bash -c "[ $RC = 0 ] && grep -q denoise '$TMP/o' && grep -q live '$TMP/o' && grep -q devices '$TMP/o'"
for c in denoise live devices generate synth transfer; do  # all have a Usage line
  run "$SW" $c --help
  check "$c --help: exit 0 with a Usage line on stdout" bash -c "[ $RC = 0 ] && grep -q '^Usage: statewave $c' '$TMP/o'"
done
run "$SW"
check "no command: exit 2" [ "$RC" = 2 ]
run "$SW" frobnicate
check "unknown command: exit 2 and names it" bash -c "[ $RC = 2 ] && grep -q frobnicate '$TMP/e'"
run "$SW" live --channels 3
check "live --channels 3: exit 2" [ "$RC" = 2 ]
run "$SW" live --rate 500
check "live --rate 500: exit 2" [ "$RC" = 2 ]
run "$SW" devices extra
check "devices with an argument: exit 2" [ "$RC" = 2 ]

# synth (the neural instrument; its own tests: tests/app/test_synth.sh): a missing MIDI file
# is a clear message, status 1, no output file.
set +e; (cd "$TMP" && "$SW" synth tune.mid -o syn.wav >o 2>e); RC=$?; set -e
check "synth on a missing MIDI file: exit 1, names it" \
  bash -c "[ $RC = 1 ] && grep -q \"tune.mid': No such file\" '$TMP/e'"
check "synth: no output written, stdout empty" bash -c "[ ! -e '$TMP/syn.wav' ] && [ ! -s '$TMP/o' ]"

# generate: the real generator with the shipped model (16 kHz mu-law piano).
GEN_MODEL="$ROOT/presets/generate.safetensors"
if [ -f "$GEN_MODEL" ]; then
  run "$SW" generate -s 1 --seed 7 -o "$TMP/g1.flac"
  i=$("$SFCHECK" info "$TMP/g1.flac" 2>/dev/null || true)
  check "generate -s 1: exit 0, 1 s of mono 16 kHz FLAC, finite, not silent ($i)" \
    bash -c "[ $RC = 0 ] && [ '$(field frames "$i")' = 16000 ] && [ '$(field rate "$i")' = 16000 ] && [ '$(field channels "$i")' = 1 ] && [ '$(field finite "$i")' = 1 ] && awk -v r='$(field rms "$i")' 'BEGIN { exit !(r > 0.001) }'"
  check "generate: default top-p is 1 (summary line and --help), --help warns that lower top-p may drift to silence" \
    bash -c "grep -q 'temperature 1, top-p 1;' '$TMP/e' && '$SW' generate --help | grep -q '(default 1 = no truncation)' && '$SW' generate --help | grep -q 'drift into digital silence'"
  # With top-p 0.98 or 0.95 the shipped model falls into digital silence within seconds
  # for many seeds (seeds 1 and 4 at 0.98 within 6 s); the default must keep playing.
  for sd in 1 4; do
    run "$SW" generate -q -s 6 --seed $sd -o "$TMP/long$sd.wav"
    r=$(sox "$TMP/long$sd.wav" -n trim 5 stat 2>&1 | sed -n 's/^RMS *amplitude: *//p')
    check "generate with the defaults keeps playing: seed $sd, RMS of second 6 = ${r:-?} > 0.01 (-40 dBFS)" \
      awk -v r="${r:-0}" 'BEGIN { exit !(r > 0.01) }'
  done
  run "$SW" generate -q -s 1 --seed 7 -o "$TMP/g2.flac"
  run "$SW" generate -q -s 1 --seed 8 -o "$TMP/g3.flac"
  check "generate: same seed -> identical file, other seed -> different audio" \
    bash -c "cmp -s '$TMP/g1.flac' '$TMP/g2.flac' && ! cmp -s '$TMP/g1.flac' '$TMP/g3.flac'"
  if [ -x "$ROOT/$BUILD/tools/gen_probe" ]; then
    "$ROOT/$BUILD/tools/gen_probe" render "$GEN_MODEL" 7 1.0 1.0 1 "$TMP/probe.wav" >/dev/null 2>&1
    s=$("$SFCHECK" sisdr "$TMP/probe.wav" "$TMP/g1.flac")
    check "generate (defaults) matches the engine's own probe tool at seed 7, temperature 1, top-p 1 (SI-SDR $s dB >= 60, 16-bit output)" \
      awk -v s="$s" 'BEGIN { exit !(s >= 60) }'
    run "$SW" generate -q -s 1 --seed 7 -t 0.9 -p 0.98 -o "$TMP/g98.wav"
    "$ROOT/$BUILD/tools/gen_probe" render "$GEN_MODEL" 7 0.9 0.98 1 "$TMP/probe98.wav" >/dev/null 2>&1
    s=$("$SFCHECK" sisdr "$TMP/probe98.wav" "$TMP/g98.wav")
    check "generate -t 0.9 -p 0.98 matches the probe tool with those settings (SI-SDR $s dB >= 60)" \
      awk -v s="$s" 'BEGIN { exit !(s >= 60) }'
  fi
  run "$SW" generate -q -s 0.5 --prompt "$SHARED/instruments/sms-tools/piano.wav" --prompt-seconds 1 -o "$TMP/gp.wav"
  check "generate --prompt: output = 1 s prompt (44.1 kHz resampled) + 0.5 s new = 24000 frames" \
    bash -c "[ $RC = 0 ] && [ \"\$('$SFCHECK' info '$TMP/gp.wav' | sed -n 's/.*frames=\([0-9]*\).*/\1/p')\" = 24000 ]"
  run "$SW" generate -q -s 1 --prompt "$TMP/nothere.wav" -o "$TMP/gx.wav"
  check "generate with a missing prompt: exit 1 naming it, no output" \
    bash -c "[ $RC = 1 ] && grep -q nothere.wav '$TMP/e' && [ ! -e '$TMP/gx.wav' ]"
  run "$SW" generate -q -s 1 --model "$MODEL" -o "$TMP/gy.wav"
  check "generate with the denoise model: exit 1, 'not a generate model'" \
    bash -c "[ $RC = 1 ] && grep -q 'not a generate model' '$TMP/e' && [ ! -e '$TMP/gy.wav' ]"
  run "$SW" generate -s 1; r1=$RC
  run "$SW" generate -o "$TMP/gz.wav" --top-p 0; r2=$RC
  run "$SW" generate --live -o "$TMP/gz.wav"; r3=$RC
  run "$SW" generate --device 0 -o "$TMP/gz.wav"; r4=$RC
  run "$SW" generate --live --rate 100; r5=$RC
  check "generate usage errors exit 2 (no -o, --top-p 0, --live with -o, --device without --live, --live --rate 100)" \
    [ "$r1$r2$r3$r4$r5" = 22222 ]
  check "no temp files left by generate" bash -c "! ls -A '$TMP' | grep -q tmp-"
else
  skip "generate: no presets/generate.safetensors"
fi

# ---------------------------------------------------------------- model lookup --
IN="$DEVSET/noisy/005.flac"
run env -u STATEWAVE_MODEL "$SW" denoise "$IN" -o "$TMP/m1.flac"
check "default model from the build tree (<exe>/../presets): used and named" \
  bash -c "[ $RC = 0 ] && grep -q '^model: $ROOT/presets/denoise.safetensors' '$TMP/e'"
run env STATEWAVE_MODEL="$TMP/nope.safetensors" "$SW" denoise "$IN" -o "$TMP/m2.flac"
check "\$STATEWAVE_MODEL is honoured (missing file: exit 1 naming it)" \
  bash -c "[ $RC = 1 ] && grep -q 'nope.safetensors' '$TMP/e' && grep -q STATEWAVE_MODEL '$TMP/e' && [ ! -e '$TMP/m2.flac' ]"
run env STATEWAVE_MODEL="$TMP/nope.safetensors" "$SW" denoise --model "$MODEL" "$IN" -o "$TMP/m3.flac"
check "--model wins over \$STATEWAVE_MODEL" [ "$RC" = 0 ]
head -c 3000 /dev/urandom >"$TMP/bad.safetensors"
run "$SW" denoise --model "$TMP/bad.safetensors" "$IN" -o "$TMP/m4.flac"
check "corrupt --model: exit 1, names the file, no output" \
  bash -c "[ $RC = 1 ] && grep -q 'bad.safetensors' '$TMP/e' && [ ! -e '$TMP/m4.flac' ]"
run "$SW" live --model "$TMP/bad.safetensors" --seconds 1
check "live with a corrupt model: exit 1 before touching audio" bash -c "[ $RC = 1 ] && grep -q 'bad.safetensors' '$TMP/e'"
# A copy of the binary away from the tree, with no env: every candidate is named.
mkdir -p "$TMP/elsewhere/bin"
cp "$SW" "$TMP/elsewhere/bin/statewave"
DATADIR_MODEL=$("$SW" denoise --help | sed -n 's/^Installed model: //p')
check "denoise --help names the installed model path ($DATADIR_MODEL)" [ -n "$DATADIR_MODEL" ]
if [ -e "$DATADIR_MODEL" ]; then
  skip "no-model error: an installed model exists at $DATADIR_MODEL"
else
  run env -u STATEWAVE_MODEL "$TMP/elsewhere/bin/statewave" denoise "$IN" -o "$TMP/m5.flac"
  check "no model anywhere: exit 1, lists what was tried" \
    bash -c "[ $RC = 1 ] && grep -q 'no denoise model found' '$TMP/e' && grep -q 'elsewhere/bin/../presets/denoise.safetensors' '$TMP/e' && grep -q '$DATADIR_MODEL' '$TMP/e'"
fi

# ---------------------------------------------------------------- install-app --
set +e
make -s -C "$ROOT" install-app DESTDIR="$TMP/dest" >"$TMP/inst.log" 2>&1; RC=$?
set -e
PREFIX_DIR=$(dirname "$(dirname "$DATADIR_MODEL")")   # .../share/statewave -> prefix
PREFIX_DIR=$(dirname "$PREFIX_DIR")
check "make install-app DESTDIR=...: binary in bin/, models in share/statewave/" \
  bash -c "[ $RC = 0 ] && [ -x '$TMP/dest$PREFIX_DIR/bin/statewave' ] && cmp -s '$MODEL' '$TMP/dest$PREFIX_DIR/share/statewave/denoise.safetensors' && { [ ! -f '$ROOT/presets/generate.safetensors' ] || cmp -s '$ROOT/presets/generate.safetensors' '$TMP/dest$PREFIX_DIR/share/statewave/generate.safetensors'; }"

# ------------------------------------------- make install as a non-root user --
# A plain `make install` needs PREFIX (/usr/local) writable: as a normal user it stops before it
# installs anything and points to `make install-lv2`, which installs the plugins into that
# user's ~/.lv2 without root.
NB_OK=0
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && id nobody >/dev/null 2>&1 &&
   setpriv --reuid=nobody --regid=nogroup --clear-groups test -r "$ROOT/Makefile" -a -x "$ROOT/build"; then
  NB_OK=1
fi
if [ $NB_OK = 1 ]; then
  chmod 711 "$TMP"; mkdir "$TMP/nbhome"; chown nobody "$TMP/nbhome"
  asnobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME="$TMP/nbhome" "$@"; }
  set +e; asnobody make -s -C "$ROOT" install >"$TMP/nb1.log" 2>&1; RC=$?; set -e
  sed 's/^/  | /' "$TMP/nb1.log"
  check "make install as user nobody: fails (exit $RC) before installing anything, names make install-lv2" \
    bash -c "[ $RC != 0 ] && grep -q 'nothing was installed' '$TMP/nb1.log' && grep -q 'make install-lv2 .*$TMP/nbhome/.lv2' '$TMP/nb1.log' && [ -z \"\$(ls -A '$TMP/nbhome')\" ]"
  set +e; asnobody make -s -C "$ROOT" install-lv2 >"$TMP/nb2.log" 2>&1; RC=$?; set -e
  check "make install-lv2 as user nobody: exit $RC, the bundle in its ~/.lv2" \
    bash -c "[ $RC = 0 ] && [ -f '$TMP/nbhome/.lv2/statewave.lv2/manifest.ttl' ] && cmp -s '$ROOT/build/statewave.lv2/statewave.so' '$TMP/nbhome/.lv2/statewave.lv2/statewave.so'"
else
  skip "make install as a non-root user: needs root, setpriv and a user nobody that can read the tree"
fi

finish
