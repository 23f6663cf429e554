#!/bin/bash
# test_jalv_generate.sh — the generator instrument as a JACK client in jalv, under
# `jackd -d dummy` (no sound card), played by a real JACK MIDI client.
#
#  - jalv instantiates https://statewave.dev/plugins/generate at the server rate (48 kHz,
#    256-frame periods); its ports appear: swgen:midi_in (JACK MIDI) and swgen:out (audio)
#  - build/tests/host/jack_note (tests/host/jack_note.c) sends a note-on to swgen:midi_in,
#    holds it 1.5 s and releases it, recording swgen:out frame-aligned with the events:
#    exact zeros before the note-on, finite and playing while held, exact zeros from
#    note-off + the 10 ms fade on. jack_rec records swgen:out at the same time: finite,
#    non-silent, silent at the end (it records 4 s, the note ends 2.1 s after jack_note starts).
#  - a second note with the same seed gives the same audio (a new phrase restarts the
#    model from the seed), although its events fall elsewhere in JACK's periods
#  - the latch control set through jalv's console ("set latch 1") plays with no MIDI;
#    "set latch 0" stops it (the recording is all zeros)
#  - jalv stops cleanly on SIGINT and the server survives
# Run from the repo root after `make`. Needs jackd2, jalv and the jackd2 example clients.
set -euo pipefail
cd "$(dirname "$0")/../.."

URI="https://statewave.dev/plugins/generate"
PY=/usr/bin/python3
NOTE=build/tests/host/jack_note
fails=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
for t in jackd jalv jack_lsp jack_rec jack_wait sox; do
    command -v $t >/dev/null || { echo "FAIL: $t not installed (make deps)"; exit 1; }
done
[ -f build/statewave.lv2/generate.ttl ] && [ -x "$NOTE" ] || { echo "FAIL: build/statewave.lv2 or $NOTE not built (run make)"; exit 1; }

tmp=$(mktemp -d)
JPID=""; JALV=""; RPID=""
cleanup() {
    exec 9>&- 2>/dev/null || true
    for p in $RPID $JALV; do kill -INT "$p" 2>/dev/null || true; done
    for p in $RPID $JALV; do wait "$p" 2>/dev/null || true; done
    if [ -n "$JPID" ]; then kill "$JPID" 2>/dev/null || true; wait "$JPID" 2>/dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'echo "FAIL: $0: command failed at line $LINENO"' ERR
mkdir "$tmp/lv2"; ln -s "$PWD/build/statewave.lv2" "$tmp/lv2/statewave.lv2"
export JACK_NO_START_SERVER=1
# A private, fixed server name (see test_jalv.sh: a fixed name cannot leak registry slots).
export JACK_DEFAULT_SERVER="statewave-lv2-gen-test"

jackd -n "$JACK_DEFAULT_SERVER" -d dummy -r 48000 -p 256 > "$tmp/jackd.log" 2>&1 & JPID=$!
jack_wait -w -t 10 > /dev/null 2>&1 || { echo "FAIL: jackd did not start"; cat "$tmp/jackd.log"; exit 1; }

mkfifo "$tmp/cmd"
LV2_PATH="$tmp/lv2" jalv -x -n swgen -c seed=5 "$URI" < "$tmp/cmd" > "$tmp/jalv.out" 2>&1 & JALV=$!
exec 9> "$tmp/cmd"
for _ in $(seq 50); do jack_lsp 2>/dev/null | grep -qx "swgen:out" && break; sleep 0.2; done
if jack_lsp -t swgen:midi_in 2>/dev/null | grep -q "midi" && jack_lsp | grep -qx "swgen:out"; then
    pass "jalv: instrument ports swgen:midi_in (JACK MIDI) and swgen:out exist"
else
    fail "jalv ports missing"; jack_lsp -t; cat "$tmp/jalv.out"; exit 1
fi

# 1. a real note-on / note-off from a JACK MIDI client, recorded frame-aligned by it and by jack_rec
jack_rec -f "$tmp/rec.wav" -d 4 swgen:out > "$tmp/rec.log" 2>&1 & RPID=$!
sleep 0.2
if ! "$NOTE" swgen:midi_in swgen:out 0.3 1.5 0.5 "$tmp/note1.f32" > "$tmp/note1.txt" 2> "$tmp/note1.err"; then
    fail "jack_note: $(cat "$tmp/note1.err")"
fi
wait $RPID || true; RPID=""
"$NOTE" swgen:midi_in swgen:out 0.3 1.5 0.5 "$tmp/note2.f32" > "$tmp/note2.txt" 2> "$tmp/note2.err" \
    || fail "jack_note (second note): $(cat "$tmp/note2.err")"

if $PY - "$tmp" <<'EOF'
import sys, subprocess, numpy as np
d = sys.argv[1]
def load(i):
    meta = open(f"{d}/note{i}.txt").read().split()
    kv = dict(zip(meta[0::2], map(int, meta[1::2])))
    return np.fromfile(f"{d}/note{i}.f32", np.float32).astype(np.float64), kv
y, kv = load(1)
rate, on, off = kv["rate"], kv["note_on"], kv["note_off"]
fade = round(0.010 * rate)
nz = np.nonzero(y)[0]
held = y[on:off]
w = rate // 20
win = [np.sqrt(np.mean(held[i:i + w] ** 2)) for i in range(0, len(held) - w + 1, w)]
frac = np.mean(np.array(win) > 1e-3)
print(f"  jack_note recording: {len(y)} frames, note-on {on}, note-off {off}; first non-zero {nz[0] if len(nz) else None},"
      f" last non-zero {nz[-1] if len(nz) else None}; RMS while held {np.sqrt(np.mean(held ** 2)):.4f},"
      f" {100 * frac:.0f}% of 50 ms windows playing")
ok = np.all(np.isfinite(y)) and len(nz) > 0
ok = ok and np.all(y[:on] == 0) and nz[0] < on + 64                  # starts at the note-on frame
ok = ok and frac > 0.9 and np.sqrt(np.mean(held ** 2)) > 0.01        # plays while held
ok = ok and np.all(y[off + fade:] == 0) and nz[-1] >= off - 1         # stops after the fade
sys.exit(0 if ok else 1)
EOF
then pass "MIDI note: silent until the note-on frame, playing while held, exact zeros from note-off + 10 ms"
else fail "MIDI note recording (jack_note)"; fi

if $PY - "$tmp/rec.wav" <<'EOF'
import sys, subprocess, numpy as np
raw = subprocess.run(["sox", "-V1", sys.argv[1], "-t", "f32", "-"], capture_output=True, check=True).stdout
y = np.frombuffer(raw, np.float32).astype(np.float64)
tail = y[-24000:]
print(f"  jack_rec: {len(y)} samples, peak {np.max(np.abs(y)):.4f}, RMS {np.sqrt(np.mean(y*y)):.4f}, last 0.5 s peak {np.max(np.abs(tail)):.2g}")
sys.exit(0 if len(y) >= 48000 * 3 and np.all(np.isfinite(y)) and np.max(np.abs(y)) > 1e-2 and np.all(tail == 0) else 1)
EOF
then pass "jack_rec of swgen:out: finite, non-silent during the note, silent after"
else fail "jack_rec recording of the note"; fi

if $PY - "$tmp" <<'EOF'
import sys, numpy as np
d = sys.argv[1]
a = np.fromfile(f"{d}/note1.f32", np.float32); b = np.fromfile(f"{d}/note2.f32", np.float32)
# Align on each recording's first sound: jack_note both drives and records swgen, a
# timeline and its count of recorded frames can drift apart by whole periods when the
# dummy driver skips time under load; the audio itself must still be identical.
sa = int(np.flatnonzero(a)[0]); sb = int(np.flatnonzero(b)[0])
# Compare the held part only (1.5 s minus 4 periods): the note-off can land a period apart.
n = min(len(a) - sa, len(b) - sb, int(1.5 * 48000) - 4 * 256)
diff = np.max(np.abs(a[sa:sa + n] - b[sb:sb + n]))
print(f"  second note, same seed: onsets {sa} / {sb}, max difference {diff:.3g} over {n} frames")
sys.exit(0 if diff < 1e-3 and np.max(np.abs(b)) > 1e-2 else 1)
EOF
then pass "a second note with the same seed plays the same audio"
elif grep -q "XRun" "$tmp/jackd.log"; then
    # A dropped JACK cycle shifts the stream mid-phrase; the exact same-seed check is done
    # without a server in tests/host/test_lv2_generate.c. Same skip policy as tests/app (xruns on a loaded VM).
    echo "SKIP: same-seed comparison: jackd logged $(grep -c XRun "$tmp/jackd.log") xrun(s) (load: $(cut -d' ' -f1-3 /proc/loadavg))"
else fail "second note differs from the first"; fi

# 2. latch through jalv's console, no MIDI
echo "set latch 1" >&9
sleep 0.3
jack_rec -f "$tmp/latch.wav" -d 2 swgen:out > "$tmp/rec2.log" 2>&1
echo "set latch 0" >&9
sleep 0.3
jack_rec -f "$tmp/off.wav" -d 1 swgen:out > "$tmp/rec3.log" 2>&1
if $PY - "$tmp/latch.wav" "$tmp/off.wav" <<'EOF'
import sys, subprocess, numpy as np
def rd(p):
    raw = subprocess.run(["sox", "-V1", p, "-t", "f32", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.float32).astype(np.float64)
y, z = rd(sys.argv[1]), rd(sys.argv[2])
print(f"  latch on: {len(y)} samples, RMS {np.sqrt(np.mean(y*y)):.4f}; latch off: {len(z)} samples, peak {np.max(np.abs(z)):.2g}")
sys.exit(0 if len(y) >= 48000 and np.all(np.isfinite(y)) and np.sqrt(np.mean(y*y)) > 0.01 and len(z) >= 24000 and np.all(z == 0) else 1)
EOF
then pass "jalv console 'set latch 1' plays without MIDI, 'set latch 0' silences it"
else fail "latch through jalv"; fi

kill -INT $JALV
rc=0; wait $JALV || rc=$?
JALV=""
if [ $rc -eq 0 ] || [ $rc -eq 130 ]; then pass "jalv stopped cleanly on SIGINT (exit $rc)"
else fail "jalv exit status $rc"; tail -20 "$tmp/jalv.out"; fi
kill -0 $JPID 2>/dev/null && pass "jackd still running" || fail "jackd died"

if [ $fails -ne 0 ]; then echo "FAIL: test_jalv_generate.sh: $fails failure(s)"; exit 1; fi
echo "PASS: test_jalv_generate.sh"
