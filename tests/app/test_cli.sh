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
for c in denoise live devices generate synth; do
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

# Placeholders: a clear message, status 1, no output file, whatever the arguments.
for c in generate synth; do
  set +e; (cd "$TMP" && "$SW" $c -o gen.wav --seconds 5 >o 2>e); RC=$?; set -e
  check "$c: exit 1 with 'not available in this build: no generator model shipped yet'" \
    bash -c "[ $RC = 1 ] && grep -q 'not available in this build: no generator model shipped yet' '$TMP/e'"
  check "$c: no output written, stdout empty" bash -c "[ ! -e '$TMP/gen.wav' ] && [ ! -s '$TMP/o' ]"
done

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
check "make install-app DESTDIR=...: binary in bin/, model in share/statewave/" \
  bash -c "[ $RC = 0 ] && [ -x '$TMP/dest$PREFIX_DIR/bin/statewave' ] && cmp -s '$MODEL' '$TMP/dest$PREFIX_DIR/share/statewave/denoise.safetensors'"

finish
