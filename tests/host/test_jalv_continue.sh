#!/bin/bash
# test_jalv_continue.sh — Statewave Continue as a JACK client in jalv, under `jackd -d dummy` (no
# sound card), played and recorded by a real JACK MIDI client.
#
#  - metadata: lv2info of the test bundle build/tests/host/continue.lv2 (mk/plugin.mk: the real
#    statewave.so and continue.ttl, the tiny random-weight test model as its default
#    compose.safetensors) shows a MIDI plugin with its ports; sord_validate passes on its TTLs; the
#    real bundle lists Continue exactly when it ships a trained presets/compose.safetensors
#  - jalv instantiates https://statewave.dev/plugins/continue (Wait 1 s, Bars 0 = until played)
#    at 48 kHz, 256-frame periods; its ports appear: swcont:midi_in and swcont:midi_out (JACK MIDI)
#  - build/tests/host/jack_midi (tests/host/jack_midi.c) starts the JACK transport, plays a
#    C major phrase into swcont:midi_in at exact frames, stays silent, plays one note again later,
#    stays silent again, stops the transport and plays a few notes while it is stopped; it
#    records everything coming out of swcont:midi_out and the transport changes, on JACK's frame
#    clock. The recording must show:
#      every played event passed through, in order;
#      generated notes after the phrase, none before its last event + Wait;
#      when the note is played again, a note-off for every sounding generated note at that very
#      frame, before the played note; nothing generated until it is released + Wait; then a new
#      continuation;
#      when the transport stops, every sounding generated note ended within two periods, and
#      nothing generated while it is stopped (also after the notes played then + Wait);
#      every generated note-on ended by a note-off, no note-off for a note it did not start
#  - jalv stops cleanly on SIGINT and the server survives
# Windows are seconds long and bounds are causal (the plugin's time can only lag JACK's when the
# dummy driver skips time under load), so load does not make it fail. The continuations last
# about 4.5 s and 7 s: in 5000 simulated runs of the test model with the phrase at other offsets
# (so other 10 ms roundings), the fewest note-ons were 2 in each, and at least 2 generated notes
# were sounding when the note is played again. Run from the repo root
# after `make`. Needs jackd2, jalv and the jackd2 example clients.
set -euo pipefail
cd "$(dirname "$0")/../.."

URI="https://statewave.dev/plugins/continue"
PY=/usr/bin/python3
TB=build/tests/host/continue.lv2
MIDI=build/tests/host/jack_midi
fails=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
for t in jackd jalv jack_lsp jack_wait lv2info lv2ls sord_validate; do
    command -v $t >/dev/null || { echo "FAIL: $t not installed (make deps)"; exit 1; }
done
[ -f $TB/manifest.ttl ] && [ -f $TB/statewave.so ] && [ -f $TB/compose.safetensors ] && [ -x "$MIDI" ] \
    || { echo "FAIL: $TB or $MIDI not built (run make)"; exit 1; }

tmp=$(mktemp -d)
JPID=""; JALV=""
cleanup() {
    exec 9>&- 2>/dev/null || true
    [ -n "$JALV" ] && { kill -INT "$JALV" 2>/dev/null || true; wait "$JALV" 2>/dev/null || true; }
    if [ -n "$JPID" ]; then kill "$JPID" 2>/dev/null || true; wait "$JPID" 2>/dev/null || true; fi
    [ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'echo "FAIL: $0: command failed at line $LINENO"' ERR
mkdir "$tmp/lv2"; ln -s "$PWD/$TB" "$tmp/lv2/continue.lv2"

# 0. metadata
info=$(LV2_PATH="$tmp/lv2:/usr/lib/lv2" lv2info "$URI" 2>/dev/null || true)
ok=1
grep -q "Class: *MIDI Plugin" <<< "$info" || { ok=0; echo "  class MIDI Plugin missing"; }
grep -q "Required Features: *http://lv2plug.in/ns/ext/urid#map" <<< "$info" || { ok=0; echo "  urid:map not required"; }
for sym in midi_in midi_out notify enabled wait trigger bars temperature top_p seed key_lock low high max_voices \
           density transport active key; do
    grep -q "Symbol: *$sym\$" <<< "$info" || { ok=0; echo "  port $sym missing"; }
done
if [ $ok = 1 ]; then pass "lv2info: MIDI plugin, urid:map, the 18 ports"
else fail "lv2info of $URI"; fi
mapfile -t spec < <(dpkg -L lv2-dev 2>/dev/null | grep '^/usr/lib/lv2/.*\.ttl$' || true)
if [ ${#spec[@]} -lt 40 ]; then
    fail "lv2-dev spec files not found (${#spec[@]}); install lv2-dev (make deps)"
elif out=$(sord_validate "${spec[@]}" $TB/*.ttl 2>&1) && grep -q "Found 0 errors" <<< "$out"; then
    pass "sord_validate of continue.ttl and its manifest: $(grep Found <<< "$out")"
else fail "sord_validate"; echo "$out" | head -20; fi
listed=$(LV2_PATH="$PWD/build" lv2ls 2>/dev/null | grep -cxF "$URI" || true)
if [ -f presets/compose.safetensors ]; then want=1; else want=0; fi
if [ "$listed" = "$want" ]; then
    pass "build/statewave.lv2 lists Continue $want time(s): presets/compose.safetensors $([ $want = 1 ] && echo present || echo absent)"
else fail "build/statewave.lv2 lists Continue $listed time(s), want $want"; fi

export JACK_NO_START_SERVER=1
# A private, fixed server name (see test_jalv.sh: a fixed name cannot leak registry slots).
export JACK_DEFAULT_SERVER="statewave-lv2-continue-test"
jackd -n "$JACK_DEFAULT_SERVER" -d dummy -r 48000 -p 256 > "$tmp/jackd.log" 2>&1 & JPID=$!
jack_wait -w -t 10 > /dev/null 2>&1 || { echo "FAIL: jackd did not start"; cat "$tmp/jackd.log"; exit 1; }

mkfifo "$tmp/cmd"
LV2_PATH="$tmp/lv2" jalv -x -n swcont -c wait=1 -c bars=0 "$URI" < "$tmp/cmd" > "$tmp/jalv.out" 2>&1 & JALV=$!
exec 9> "$tmp/cmd"
for _ in $(seq 50); do jack_lsp 2>/dev/null | grep -qx "swcont:midi_out" && break; sleep 0.2; done
if jack_lsp -t swcont:midi_in 2>/dev/null | grep -q "midi" && jack_lsp -t swcont:midi_out 2>/dev/null | grep -q "midi"; then
    pass "jalv: ports swcont:midi_in and swcont:midi_out (JACK MIDI) exist"
else
    fail "jalv ports missing"; jack_lsp -t; cat "$tmp/jalv.out"; exit 1
fi

# The score (seconds from the recording's first frame). Played velocities are odd: the composer's
# velocities are 4 b + 2, so a played note can never be mistaken for a generated one.
$PY - > "$tmp/score.txt" <<'EOF'
ev = [(0.2, "transport 1")]
for i, p in enumerate([60, 64, 67, 72, 67, 64, 62, 65, 69, 71, 67, 60]):   # C major, ends at 3.45 s
    t = 0.5 + 0.25 * i
    ev += [(t, "0x90 %d 91" % p), (t + 0.2, "0x80 %d 0" % p)]
ev += [(9.0, "0x90 64 101"), (9.3, "0x80 64 0")]                         # played again
ev += [(17.5, "transport 0")]
for i, p in enumerate([62, 65, 69]):                                      # while stopped
    t = 18.0 + 0.25 * i
    ev += [(t, "0x90 %d 91" % p), (t + 0.2, "0x80 %d 0" % p)]
for t, e in sorted(ev, key=lambda x: x[0]):
    print("%.3f %s" % (t, e))
EOF
if "$MIDI" swcont:midi_in swcont:midi_out "$tmp/score.txt" 21.0 "$tmp/rec.txt" 2> "$tmp/midi.err"; then
    pass "jack_midi: played $(grep -c . "$tmp/score.txt") score lines and recorded $(($(wc -l < "$tmp/rec.txt") - 1)) events"
else
    fail "jack_midi: $(cat "$tmp/midi.err")"
fi

if [ -s "$tmp/rec.txt" ] && $PY - "$tmp" <<'EOF'
import sys
d = sys.argv[1]
lines = open(d + "/rec.txt").read().split("\n")
head = lines[0].split()
rate = int(head[1])
P = 256
rec = []          # (frame, bytes) MIDI; transport changes apart
xport = []        # (frame, state)
for ln in lines[1:]:
    f = ln.split()
    if not f:
        continue
    if f[1] == "T":
        xport.append((int(f[0]), int(f[2])))
    else:
        rec.append((int(f[0]), tuple(int(x) for x in f[1:])))
score = []
for ln in open(d + "/score.txt"):
    f = ln.split()
    if f[1] != "transport":
        score.append((round(float(f[0]) * rate), tuple(int(x, 0) for x in f[1:])))
fails = []
def check(ok, msg):
    print(("  ok   " if ok else "  FAIL ") + msg)
    if not ok:
        fails.append(msg)

# played events: found in order, at their frame or later (a late period writes them at its start)
used = [False] * len(rec)
played_at = []
j = 0
for at, b in score:
    k = j
    while k < len(rec) and not (rec[k][1] == b and rec[k][0] >= at):
        k += 1
    if k < len(rec):
        used[k] = True
        played_at.append(rec[k][0])
        j = k + 1
    else:
        played_at.append(None)
n_found = sum(x is not None for x in played_at)
check(n_found == len(score), "%d of %d played events passed through, in order" % (n_found, len(score)))
if n_found != len(score):
    sys.exit(1)
gen = [(i, f, b) for i, (f, b) in enumerate(rec) if not used[i]]
ons = lambda lo, hi: [g for g in gen if lo <= g[1] < hi and g[2][0] & 0xF0 == 0x90]

# every generated note-on ends; no note-off for a note it did not start; nothing else of its own
sounding, paired, before = {}, True, {}
for i, f, b in gen:
    key = (b[0] & 15, b[1])
    if b[0] & 0xF0 == 0x90 and b[2] > 0:
        paired &= key not in sounding
        sounding[key] = f
    elif b[0] & 0xF0 == 0x80:
        paired &= key in sounding
        sounding.pop(key, None)
    else:
        paired = False
n_on = sum(1 for g in gen if g[2][0] & 0xF0 == 0x90)
check(paired and not sounding, "%d generated note-ons, each ended by its note-off; %d left sounding" % (n_on, len(sounding)))

def sounding_before(frame):
    s = {}
    for i, f, b in gen:
        if f >= frame:
            break
        key = (b[0] & 15, b[1])
        if b[0] & 0xF0 == 0x90:
            s[key] = f
        else:
            s.pop(key, None)
    return s

phrase_end = played_at[23]                     # the phrase's last note-off
again_on, again_off = played_at[24], played_at[25]
wait = rate                                    # Wait = 1 s
first = ons(0, again_on)
check(len(first) >= 1 and first[0][1] >= phrase_end + wait - P,
      "first continuation: %d note-ons, the first %.3f s after the phrase's end (Wait 1 s)"
      % (len(first), (first[0][1] - phrase_end) / rate if first else -1))
# at the played note-on: the sounding generated notes end at its frame, before it in the stream
s = sounding_before(again_on)
offs = [g for g in gen if g[1] == again_on and g[2][0] & 0xF0 == 0x80 and g[0] < rec.index((again_on, score[24][1]))]
check(len(s) >= 1 and sorted((g[2][0] & 15, g[2][1]) for g in offs) == sorted(s),
      "played again with %d generated notes sounding: %d note-offs at that frame, before the played note"
      % (len(s), len(offs)))
quiet = [g for g in gen if again_on < g[1] < again_off + wait - P]
check(not quiet, "nothing generated from the played note until its release + Wait (%d events)" % len(quiet))
stop = [f for f, st in xport if st == 0]
start = [f for f, st in xport if st == 1]
check(len(start) >= 1 and len(stop) >= 1 and start[0] < phrase_end < stop[-1],
      "transport changes seen: started at %s, stopped at %s" % (start[:1], stop[-1:]))
if not stop:
    sys.exit(1)
S = stop[-1]
second = ons(again_off + wait - P, S)
check(len(second) >= 1, "second continuation after the release + Wait: %d note-ons" % len(second))
s = sounding_before(S)
ended = {(g[2][0] & 15, g[2][1]) for g in gen if S <= g[1] <= S + 2 * P and g[2][0] & 0xF0 == 0x80}
check(set(s) <= ended, "transport stop with %d generated notes sounding: all ended within two periods" % len(s))
late = [g for g in gen if g[1] > S + 2 * P]
check(not late, "nothing generated while stopped, also after playing and Wait (%d events)" % len(late))
sys.exit(1 if fails else 0)
EOF
then pass "recorded MIDI: passthrough, continuation after Wait, note-offs when played again, transport stop"
else
    fail "recorded MIDI out of swcont (see above)"
    if grep -q "XRun" "$tmp/jackd.log"; then
        echo "  (jackd logged $(grep -c XRun "$tmp/jackd.log") xrun(s); load $(cut -d' ' -f1-3 /proc/loadavg))"
    fi
fi

kill -INT $JALV
rc=0; wait $JALV || rc=$?
JALV=""
if [ $rc -eq 0 ] || [ $rc -eq 130 ]; then pass "jalv stopped cleanly on SIGINT (exit $rc)"
else fail "jalv exit status $rc"; tail -20 "$tmp/jalv.out"; fi
kill -0 $JPID 2>/dev/null && pass "jackd still running" || fail "jackd died"

if [ $fails -ne 0 ]; then echo "FAIL: test_jalv_continue.sh: $fails failure(s)"; exit 1; fi
echo "PASS: test_jalv_continue.sh"
