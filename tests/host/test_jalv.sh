#!/bin/bash
# test_jalv.sh — the plugin as a JACK client in jalv, under `jackd -d dummy` (no sound card).
#
#  - jalv instantiates the mono plugin at the server rate (48 kHz, 256-frame periods)
#  - its ports appear (jack_lsp) and JACK sees the plugin's latency on them (jalv forwards
#    the latency port to JACK port latencies: jack_lsp -l must show it)
#  - system:capture_1 and a tone source (jack_metro: the dummy driver's capture is silent)
#    -> plugin -> system:playback_1, recorded from the plugin output with jack_rec:
#    finite and not silent
#  - presets are listed and one is loaded through jalv's console (the control changes)
#  - jalv stops cleanly on SIGINT (no crash) and the server survives (xruns are not
#    checked: the dummy driver reports its own timer jitter as xruns)
# Run from the repo root after `make`. Needs jackd2, jalv and the jackd2 example clients.
set -euo pipefail
cd "$(dirname "$0")/../.."

MONO="https://statewave.dev/plugins/denoise#mono"
PY=/usr/bin/python3
fails=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
for t in jackd jalv jack_lsp jack_connect jack_rec jack_metro jack_wait; do
    command -v $t >/dev/null || { echo "FAIL: $t not installed (make deps)"; exit 1; }
done
[ -f build/statewave.lv2/manifest.ttl ] || { echo "FAIL: build/statewave.lv2 not built (run make)"; exit 1; }
L=$(build/tests/host/lv2_latency mono 48000)

tmp=$(mktemp -d)
JPID=""; JALV=""; MPID=""
cleanup() {
    exec 9>&- 2>/dev/null || true
    for p in $MPID $JALV; do kill -INT "$p" 2>/dev/null || true; done
    for p in $MPID $JALV; do wait "$p" 2>/dev/null || true; done
    if [ -n "$JPID" ]; then kill "$JPID" 2>/dev/null || true; wait "$JPID" 2>/dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'echo "FAIL: $0: command failed at line $LINENO"' ERR
mkdir "$tmp/lv2"; ln -s "$PWD/build/statewave.lv2" "$tmp/lv2/statewave.lv2"
export JACK_NO_START_SERVER=1
# A private, fixed server name: the jack_* tools and jalv talk only to our server, and a
# fixed name (not one per run) cannot leak slots of JACK's 8-name registry if a run is
# killed: the next run re-registers the same name.
export JACK_DEFAULT_SERVER="statewave-lv2-test"

jackd -n "$JACK_DEFAULT_SERVER" -d dummy -r 48000 -p 256 > "$tmp/jackd.log" 2>&1 & JPID=$!
jack_wait -w -t 10 > /dev/null 2>&1 || { echo "FAIL: jackd did not start"; cat "$tmp/jackd.log"; exit 1; }

# jalv reads console commands from stdin and exits on EOF: feed it from a fifo we hold open.
mkfifo "$tmp/cmd"
LV2_PATH="$tmp/lv2" jalv -x -n swdn -p -c limit_db=12 "$MONO" < "$tmp/cmd" > "$tmp/jalv.out" 2>&1 & JALV=$!
exec 9> "$tmp/cmd"
for _ in $(seq 50); do jack_lsp 2>/dev/null | grep -qx "swdn:out" && break; sleep 0.2; done
if jack_lsp | grep -qx "swdn:in" && jack_lsp | grep -qx "swdn:out"; then pass "jalv: plugin ports swdn:in / swdn:out exist"
else fail "jalv ports missing"; cat "$tmp/jalv.out"; exit 1; fi

jack_lsp -l swdn:out > "$tmp/lat"
if grep -q "\[ *$L *$L *\]" "$tmp/lat"; then pass "JACK port latency of swdn:out = $L frames (from the latency port)"
else fail "JACK latency of swdn:out is not $L: $(tr '\n' ' ' < "$tmp/lat")"; fi

jack_metro -n metro -b 240 -f 440 -A 0.5 -D 100 > "$tmp/metro.log" 2>&1 & MPID=$!
for _ in $(seq 50); do jack_lsp 2>/dev/null | grep -q "^metro:" && break; sleep 0.2; done
jack_connect system:capture_1 swdn:in
jack_connect "$(jack_lsp | grep '^metro:' | head -1)" swdn:in
jack_connect swdn:out system:playback_1
jack_lsp -c swdn:in > "$tmp/conn"
grep -q "system:capture_1" "$tmp/conn" && grep -q "metro:" "$tmp/conn" && pass "connected capture + tone -> plugin -> playback" \
    || fail "connections: $(tr '\n' ' ' < "$tmp/conn")"

jack_rec -f "$tmp/rec.wav" -d 3 swdn:out > "$tmp/rec.log" 2>&1
if $PY - "$tmp/rec.wav" <<'EOF'
import sys, subprocess, numpy as np
raw = subprocess.run(["sox", "-V1", sys.argv[1], "-t", "f32", "-"], capture_output=True, check=True).stdout
y = np.frombuffer(raw, np.float32).astype(np.float64)
print(f"  recorded {len(y)} samples, peak {np.max(np.abs(y)):.4f}, RMS {np.sqrt(np.mean(y*y)):.5f}")
sys.exit(0 if len(y) >= 48000 * 2 and np.all(np.isfinite(y)) and np.max(np.abs(y)) > 1e-3 else 1)
EOF
then pass "jack_rec of the plugin output: finite, non-silent"
else fail "recording of the plugin output"; fi

# presets through jalv's console: list, load "Podcast" (limit_db 30), print controls
echo "presets" >&9
echo "preset https://statewave.dev/plugins/denoise/presets#podcast" >&9
sleep 0.5
echo "controls" >&9
sleep 1
kill -INT $MPID; wait $MPID 2>/dev/null || true; MPID=""
kill -INT $JALV
rc=0; wait $JALV || rc=$?
JALV=""
if [ $rc -eq 0 ] || [ $rc -eq 130 ]; then pass "jalv stopped cleanly on SIGINT (exit $rc)"
else fail "jalv exit status $rc"; tail -20 "$tmp/jalv.out"; fi
kill -0 $JPID 2>/dev/null && pass "jackd still running" || fail "jackd died"
# jalv's stdout is a file, so it is flushed at exit: check the console session now
if grep -q "Podcast" "$tmp/jalv.out" && grep -q "Voice – gentle" "$tmp/jalv.out" && grep -q "limit_db = 30" "$tmp/jalv.out"
then pass "jalv lists the presets and loads 'Podcast' (limit_db 12 -> 30)"
else fail "jalv presets"; sed 's/^/    /' "$tmp/jalv.out" | tail -30; fi

if [ $fails -ne 0 ]; then echo "FAIL: test_jalv.sh: $fails failure(s)"; exit 1; fi
echo "PASS: test_jalv.sh"
