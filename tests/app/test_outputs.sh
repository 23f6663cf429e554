#!/bin/bash
# The output rule (app/outfile.h), for every command that writes a file (denoise, generate,
# synth, transfer) against every case: an output that is
#   - a directory, a FIFO, a character device (a node made here, never /dev/null itself),
#     a symbolic link to an unrelated file, a dangling symbolic link;
#   - any input of the command (audio input, prompt, MIDI file, impulse response, model) by
#     the same path, through a symbolic link, a hard link, or a linked folder;
#   - the model the command found by itself ($STATEWAVE_MODEL, $STATEWAVE_GENERATE_MODEL,
#     --timbre in $STATEWAVE_INSTRUMENTS: refused once it is known, before the output opens);
#   - (denoise) a link planted inside `-o DIR/` pointing out of DIR.
# Each must exit 1 with a message, leave the thing untouched (type, content, link target), and
# leave no temp file. Every file involved is a copy in a temp folder, so a broken rule could
# only ever damage those copies.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
require_built
make_tmp
cd "$TMP"
PY=/usr/bin/python3
SYNTH_MODEL="$ROOT/presets/instruments/violin.safetensors"
[ -f "$SYNTH_MODEL" ] || SYNTH_MODEL="$ROOT/tests/data/synth_test.safetensors"
GEN_MODEL="$ROOT/presets/generate.safetensors"
[ -f "$GEN_MODEL" ] || { echo "FAIL: $GEN_MODEL missing (it ships with the repo)"; exit 1; }

sox "$DEVSET/noisy/021.flac" -b 16 in.wav trim 0 0.5
sox -n -r 16000 -c 1 -b 16 prompt.wav synth 0.2 sine 220 vol 0.3
sox -n -r 48000 -c 1 -b 16 ir.wav synth 0.05 noise vol 0.1 fade 0 0.05 0.04
$PY "$ROOT/tests/app/synth_check.py" mkmidi short short.mid >/dev/null
cp "$MODEL" dn.safetensors
cp "$GEN_MODEL" gen.safetensors
cp "$SYNTH_MODEL" syn.safetensors
mkdir -p sub other inst envdir
cp syn.safetensors inst/mine.safetensors
cp dn.safetensors envdir/dn_env.safetensors
cp gen.safetensors envdir/gen_env.safetensors
echo "not to be touched" >other/victim.txt

no_temps() { ! find "$TMP" -name '.*.tmp-*' 2>/dev/null | grep -q .; }
# state PATH: type, link target and content of PATH, to compare before and after a run
state() {
  local p=$1
  if [ -L "$p" ]; then echo "link:$(readlink "$p"):$({ md5sum <"$p"; } 2>/dev/null | cut -c1-32)"
  elif [ -p "$p" ]; then echo fifo
  elif [ -c "$p" ]; then echo "char:$(stat -c %t:%T "$p")"
  elif [ -d "$p" ]; then echo "dir:$(ls -A "$p" | md5sum | cut -c1-32)"
  elif [ -f "$p" ]; then echo "file:$(md5sum <"$p" | cut -c1-32)"
  else echo none; fi
}

# cmd_args CMD OUT: the command line of CMD writing OUT, every input given explicitly
cmd_args() {
  case $1 in
    denoise)  echo "denoise -q --model dn.safetensors in.wav -o $2";;
    generate) echo "generate -q --model gen.safetensors -s 0.05 --prompt prompt.wav -o $2";;
    synth)    echo "synth -q --model syn.safetensors --reverb-ir ir.wav --tail 0 short.mid -o $2";;
    transfer) echo "transfer -q --model syn.safetensors --reverb-ir ir.wav in.wav -o $2";;
  esac
}
# the inputs of each command, one a line: "file:what the message calls it"
inputs_of() {
  case $1 in
    denoise)  printf '%s\n' "in.wav:input file" "dn.safetensors:model";;
    generate) printf '%s\n' "prompt.wav:prompt" "gen.safetensors:model";;
    synth)    printf '%s\n' "short.mid:input file" "ir.wav:reverb impulse response" "syn.safetensors:model";;
    transfer) printf '%s\n' "in.wav:input file" "ir.wav:reverb impulse response" "syn.safetensors:model";;
  esac
}

# refused DESC PATTERN WATCHED... -- ENV... -- ARGS...: run `statewave ARGS` (with ENV), expect exit 1,
# PATTERN in stderr, every WATCHED path in the same state as before, no temp file
refused() {
  local desc=$1 pat=$2; shift 2
  local watched=() envs=()
  while [ "$1" != -- ]; do watched+=("$1"); shift; done; shift
  while [ "$1" != -- ]; do envs+=("$1"); shift; done; shift
  local before=() w r
  for w in "${watched[@]}"; do before+=("$(state "$w")"); done
  set +e
  env "${envs[@]}" timeout 120 "$SW" "$@" </dev/null >out.txt 2>err.txt
  r=$?
  set -e
  local ok=1 i=0
  [ $r = 1 ] || { ok=0; echo "  | exit $r"; }
  grep -q -- "$pat" err.txt || { ok=0; echo "  | message lacks '$pat':"; sed 's/^/  |   /' err.txt; }
  for w in "${watched[@]}"; do
    local now; now=$(state "$w")
    [ "$now" = "${before[$i]}" ] || { ok=0; echo "  | $w changed: ${before[$i]} -> $now"; }
    i=$((i + 1))
  done
  no_temps || { ok=0; echo "  | temp file left"; find "$TMP" -name '.*.tmp-*' | sed 's/^/  |   /'; rm -f $(find "$TMP" -name '.*.tmp-*'); }
  check "$desc" [ $ok = 1 ]
}

have_mknod=0
if mknod node_probe c 1 3 2>/dev/null; then have_mknod=1; rm -f node_probe; fi

for cmd in denoise generate synth transfer; do
  # ------------------------------------------------ not a place to write --
  mkdir -p adir && touch adir/keep
  if [ $cmd = denoise ]; then  # -o DIR means "into DIR": there, the name it derives is a directory
    mkdir -p adir/in_clean.wav
    refused "$cmd: -o DIR/ whose derived output name is a directory" "is a directory" adir/in_clean.wav -- -- \
      $(cmd_args $cmd adir/)
  else
    refused "$cmd: -o a directory" "is a directory" adir -- -- $(cmd_args $cmd adir)
  fi
  mkfifo afifo
  refused "$cmd: -o a FIFO (no reader: a write would hang; refused at once, still a FIFO)" \
    "not a regular file" afifo -- -- $(cmd_args $cmd afifo)
  rm -f afifo
  if [ $have_mknod = 1 ]; then
    mknod achar c 1 3   # a null device node of our own in the temp folder
    refused "$cmd: -o a character device (node still there, still 1:3)" "not a regular file" achar -- -- \
      $(cmd_args $cmd achar)
    rm -f achar
  else
    skip "$cmd: -o a character device (mknod not permitted here)"
  fi
  ln -sf other/victim.txt alink.wav
  refused "$cmd: -o a symbolic link to an unrelated file (link and file untouched)" "symbolic link" \
    alink.wav other/victim.txt -- -- $(cmd_args $cmd alink.wav)
  ln -sf other/not_there.wav dangling.wav
  refused "$cmd: -o a dangling symbolic link (nothing created at its target)" "symbolic link" \
    dangling.wav other/not_there.wav -- -- $(cmd_args $cmd dangling.wav)
  rm -f alink.wav dangling.wav

  # ---------------------------------------------------- any of its inputs --
  mapfile -t specs < <(inputs_of $cmd)
  for spec in "${specs[@]}"; do
    f=${spec%%:*}; what=${spec#*:}
    refused "$cmd: -o its $what ($f) itself" "it is the $what '$f'" "$f" -- -- $(cmd_args $cmd "$f")
    ln -sf "$f" "lnk_$f"
    refused "$cmd: -o a symbolic link to its $what" "symbolic link to the $what '$f'" "lnk_$f" "$f" -- -- \
      $(cmd_args $cmd "lnk_$f")
    ln -f "$f" "hard_$f"
    refused "$cmd: -o a hard link of its $what" "it is the $what '$f'" "hard_$f" "$f" -- -- \
      $(cmd_args $cmd "hard_$f")
    ln -sfn .. sub/up
    refused "$cmd: -o its $what reached through a linked folder (sub/up/$f)" "it is the $what '$f'" "$f" -- -- \
      $(cmd_args $cmd "sub/up/$f")
    rm -f "lnk_$f" "hard_$f" sub/up
  done
done

# ------------------------------------- the model a command found by itself --
refused "denoise: -o the model found through \$STATEWAVE_MODEL" "it is the model" envdir/dn_env.safetensors -- \
  STATEWAVE_MODEL="$TMP/envdir/dn_env.safetensors" -- denoise -q in.wav -o envdir/dn_env.safetensors
refused "generate: -o the model found through \$STATEWAVE_GENERATE_MODEL" "it is the model" envdir/gen_env.safetensors -- \
  STATEWAVE_GENERATE_MODEL="$TMP/envdir/gen_env.safetensors" -- generate -q -s 0.05 -o envdir/gen_env.safetensors
refused "synth: -o the timbre model found by --timbre" "it is the model" inst/mine.safetensors -- \
  STATEWAVE_INSTRUMENTS="$TMP/inst" -- synth -q --timbre mine --tail 0 short.mid -o inst/mine.safetensors
refused "transfer: -o the timbre model found by --timbre" "it is the model" inst/mine.safetensors -- \
  STATEWAVE_INSTRUMENTS="$TMP/inst" -- transfer -q --timbre mine in.wav -o inst/mine.safetensors

# ------------------------------------------- denoise: links inside -o DIR/ --
mkdir -p outdir
ln -sf ../other/victim.txt outdir/in_clean.wav
refused "denoise -o DIR/: a link planted in DIR is not followed out of it (victim untouched)" "symbolic link" \
  outdir/in_clean.wav other/victim.txt -- -- denoise -q --model dn.safetensors in.wav -o outdir/
rm -f outdir/in_clean.wav
# and the same folder, clean, works (the rule refuses only what it must)
"$SW" denoise -q --model dn.safetensors in.wav -o outdir/
check "denoise -o DIR/ with nothing in the way writes DIR/in_clean.wav" [ -f outdir/in_clean.wav ]
for cmd in generate synth transfer; do
  "$SW" $(cmd_args $cmd "ok_$cmd.wav") </dev/null
  check "$cmd writes a plain new file (ok_$cmd.wav)" [ -f "ok_$cmd.wav" ]
  "$SW" $(cmd_args $cmd "ok_$cmd.wav") </dev/null
  check "$cmd replaces its own earlier regular output" [ -f "ok_$cmd.wav" ]
done
check "no temp files anywhere" no_temps
finish
