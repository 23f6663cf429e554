#!/bin/bash
# Audio inputs that cannot lie (app/audioin.h), in every command that reads audio:
#   - a FLAC whose header (STREAMINFO total samples) claims far more frames than it holds gives
#     output only as long as its real audio: denoise, transfer, generate --prompt; as an impulse
#     response (synth and transfer --reverb-ir) it gives the very output of the honest file;
#   - a header that claims more than the cap of a streamed input (24 h: denoise, transfer) is
#     refused at once with a message naming the cap (a prompt or impulse response is read and
#     measured instead: the lying files above);
#   - data that really is longer than the cap, in a FLAC whose header does not say its length,
#     is refused too (prompt 601 s, impulse response 61 s: the same reader code as the 24 h cap,
#     at a size a test can make), while --prompt-seconds takes the start of a long prompt.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
require_built
make_tmp
cd "$TMP"
PY=/usr/bin/python3
SYN=(--model "$ROOT/tests/data/synth_test.safetensors")
[ -f "$ROOT/presets/instruments/violin.safetensors" ] && SYN=(--model "$ROOT/presets/instruments/violin.safetensors")
$PY "$ROOT/tests/app/synth_check.py" mkmidi short short.mid >/dev/null
no_temps() { ! find "$TMP" -name '.*.tmp-*' 2>/dev/null | grep -q .; }
frames() { field frames "$("$SFCHECK" info "$1")"; }

# patch IN OUT TOTAL: copy the FLAC IN with its STREAMINFO total-samples field set to TOTAL
patch() {
  $PY - "$@" <<'EOF'
import struct, sys
src, dst, total = sys.argv[1], sys.argv[2], int(sys.argv[3])
b = bytearray(open(src, 'rb').read())
assert b[:4] == b'fLaC' and (b[4] & 0x7F) == 0, 'first metadata block must be STREAMINFO'
v = struct.unpack('>Q', bytes(b[18:26]))[0]          # rate:20 ch:3 bps:5 total:36
b[18:26] = struct.pack('>Q', (v & ~((1 << 36) - 1)) | total)
open(dst, 'wb').write(bytes(b))
EOF
}

# ------------------------------------------- a header claiming 2097 s, 0.5 s real --
sox "$DEVSET/noisy/021.flac" -r 16000 -c 1 -b 16 real.flac trim 0 0.5      # 8000 frames, ~12 KB
patch real.flac lying.flac 33554432                                         # claims 2097 s
check "the lying FLAC holds 8000 frames (sfcheck reads them), its header says 33554432" [ "$(frames lying.flac)" = 8000 ]
"$SW" denoise -q lying.flac -o dn.wav 2>dn.err
check "denoise: output as long as the real audio ($(frames dn.wav) frames = 8000) and a warning" \
  bash -c "[ '$(frames dn.wav)' = 8000 ] && grep -q 'header says 33554432 frames but 8000' dn.err"
"$SW" transfer -q "${SYN[@]}" lying.flac -o tr.wav 2>tr.err
check "transfer: output as long as the real audio ($(frames tr.wav) frames = 8000, not 2097 s) and a warning" \
  bash -c "[ '$(frames tr.wav)' = 8000 ] && grep -q 'header says 33554432 frames but 8000' tr.err"
"$SW" generate -q -s 0.1 --prompt lying.flac -o gen.wav
check "generate --prompt: output = 0.5 s real prompt + 0.1 s new ($(frames gen.wav) frames = 9600)" \
  [ "$(frames gen.wav)" = 9600 ]
"$SW" generate -q -s 0.1 --prompt lying.flac --prompt-seconds 0.2 -o gen2.wav
check "generate --prompt-seconds 0.2: 0.2 s of that prompt + 0.1 s new ($(frames gen2.wav) frames = 4800)" \
  [ "$(frames gen2.wav)" = 4800 ]
sox -n -r 16000 -c 1 -b 16 ir.flac synth 0.3 noise vol 0.2 fade 0 0.3 0.25
patch ir.flac ir_lying.flac 33554432                                       # claims 2097 s
for cmd in synth transfer; do
  if [ $cmd = synth ]; then args=(--tail 1 short.mid); else args=(real.flac); fi
  "$SW" $cmd -q "${SYN[@]}" --reverb 0.5 --reverb-ir ir.flac "${args[@]}" -o ${cmd}_ir.wav
  "$SW" $cmd -q "${SYN[@]}" --reverb 0.5 --reverb-ir ir_lying.flac "${args[@]}" -o ${cmd}_irl.wav
  check "$cmd --reverb-ir: an impulse response claiming 2097 s (0.3 s real) gives the honest file's output" \
    cmp -s ${cmd}_ir.wav ${cmd}_irl.wav
done

# ------------------------------------------ headers claiming more than the cap --
# Streamed inputs (denoise, transfer) are refused at once: hours of work would end in a refusal.
patch real.flac day.flac $((16000 * 3600 * 25))                              # claims 25 h
set +e
"$SW" denoise -q day.flac -o d1.wav 2>c1.err; c1=$?
"$SW" transfer -q "${SYN[@]}" day.flac -o d2.wav 2>c2.err; c2=$?
set -e
cat c1.err c2.err | sed 's/^/  | /'
check "denoise: a header claiming 25 h is refused, naming the 24 h cap" bash -c "[ $c1 = 1 ] && grep -q 'day.flac.*more than the 24 h' c1.err"
check "transfer: a header claiming 25 h is refused, naming the 24 h cap" bash -c "[ $c2 = 1 ] && grep -q 'day.flac.*more than the 24 h' c2.err"
check "nothing written for a refused input" bash -c "! ls d1.wav d2.wav 2>/dev/null | grep -q ."

# -------------------------------------------- data really longer than the cap --
# FLAC with total samples 0 ("unknown" in STREAMINFO): only reading can find the length.
sox -n -r 8000 -c 1 -b 16 p601.flac synth 601 sine 220 vol 0.1
sox -n -r 8000 -c 1 -b 16 i61.flac synth 61 noise vol 0.01
patch p601.flac prompt601.flac 0
patch i61.flac ir61.flac 0
set +e
"$SW" generate -q -s 0.1 --prompt prompt601.flac -o l1.wav 2>l1.err; l1=$?
"$SW" transfer -q "${SYN[@]}" --reverb-ir ir61.flac real.flac -o l2.wav 2>l2.err; l2=$?
set -e
cat l1.err l2.err | sed 's/^/  | /'
check "generate: a prompt of 601 s (length not in its header) is refused (10 min cap)" \
  bash -c "[ $l1 = 1 ] && grep -q 'prompt601.flac.*longer than the 10 min' l1.err && [ ! -e l1.wav ]"
check "transfer: an impulse response of 61 s (length not in its header) is refused (60 s cap)" \
  bash -c "[ $l2 = 1 ] && grep -q 'ir61.flac.*longer than the 60 s' l2.err && [ ! -e l2.wav ]"
check "no temp files left" no_temps
finish
