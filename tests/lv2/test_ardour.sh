#!/bin/bash
# test_ardour.sh — Statewave Denoise in Ardour 7, headless (ardour7-lua, Dummy backend).
#
# tests/lv2/ardour_session.lua runs in three ardour7-lua processes (create / process /
# reload, see its header for why): a 48 kHz session with a mono track holding a real noisy
# dev-set recording (placeholder take + overwrite), the plugin inserted by URI with the
# "Podcast" preset (mix 1, limit 30 dB), rendered with Ardour's bounce-with-processing,
# saved, and reloaded in a new process. Checks:
#  1. Ardour reports the plugin's latency; preset values applied; after the reload the
#     plugin (same URI) is back, active, with the preset's control values
#  2. the dry render equals the recording (unity gain; the panner is not in the bounce path,
#     so no -3 dB pan law applies; Ardour's default 64-sample region fades are excluded)
#  3. the wet render is time-aligned with the input: Ardour compensated the plugin latency
#     (cross-correlation lag 0, not the plugin's L samples)
#  4. the wet render is denoised: SI-SDR vs the clean reference improves by >= MIN_SISDRI dB
#     and the energy in noise-only frames (clean reference digitally silent) drops by
#     >= MIN_NOISE_DROP dB — for the first render and for the one after the reload
#  5. with build/statewave present: the app with the same settings gives nearly the same
#     audio (>= 15 dB SNR; not bit-equal because Ardour ran the plugin on silence while
#     idle before the bounce, so its recurrent state differs from the app's fresh start)
# Run from the repo root after `make`. Takes ~15 s.
#
# Why bounce and not export (issue #5 says "export"): Ardour 7.3's export is not reliable
# here. Tried again on 2026-11-24 with ardour7-lua (Debian 7.3.0~ds0, Dummy backend), each
# variant run 4-5 times:
#  - Session:simple_export() with the stock "WAV @ session-rate" preset (75969a1c-...,
#    format "Wav (Tagged)": analyse=1, 16 bit, shaped dither), as in ../shared/notes:
#    the stock example (record, 3 exports, reload; eg-amp, not our plugin) crashed 3 of 5;
#  - a preset + format of our own in $XDG_CONFIG_HOME/ardour7/export (WAV 32-bit float,
#    session rate, analyse=false, normalize/loudness off, no dither, no tags, no
#    post-processing): 2-3 of 5 crashed; with the engine at 256-sample blocks
#    (AudioEngine:set_buffer_size) 1 of 5; reusing one SimpleExport object: 2 of 5;
#  - this test's own flow with that preset, rendering by export instead of bounce: the
#    phase with two exports crashed (SIGSEGV) in 3 of 4 runs.
# The crashes are glibc heap-corruption aborts/segfaults ("free(): invalid next size",
# "double free or corruption (!prev)", "munmap_chunk(): invalid pointer") seen in
# ~PortExportChannel when Lua collects the SimpleExport/ExportProfileManager, in
# ExportGraphBuilder::reset() called by ExportHandler::finish_timespan() on the freewheel
# process thread, and later in unrelated mallocs (Session::save_state, lilv). Under valgrind
# memcheck (threads serialised) the same script ran all 3 exports with no invalid read or
# write, so it looks like a thread race in Ardour's export teardown, independent of the
# plugin. ASan preloaded into luasession hung at start-up. Track:bounce_range (below) runs
# the same track processing with Ardour's latency compensation and has not crashed.
set -euo pipefail
cd "$(dirname "$0")/../.."

URI="https://statewave.dev/plugins/denoise#mono"
DEV=../shared/data/devset
CLIP=${CLIP:-016}              # 4.2 s, FSDD speaker theo in street noise at 5 dB SNR
MIN_SISDRI=${MIN_SISDRI:-3.0}
MIN_NOISE_DROP=${MIN_NOISE_DROP:-5.0}
PY=/usr/bin/python3
command -v ardour7-lua >/dev/null || { echo "FAIL: ardour7-lua not installed (make deps)"; exit 1; }
[ -f build/statewave.lv2/manifest.ttl ] || { echo "FAIL: build/statewave.lv2 not built (run make)"; exit 1; }

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
trap 'echo "FAIL: $0: command failed at line $LINENO"' ERR
mkdir "$tmp/lv2" "$tmp/out" "$tmp/xdg"
ln -s "$PWD/build/statewave.lv2" "$tmp/lv2/statewave.lv2"
L=$(build/tests/lv2/lv2_latency mono 48000)
sox -V1 "$DEV/noisy/$CLIP.flac" -e floating-point -b 32 "$tmp/take.wav"
N=$(soxi -V1 -s "$tmp/take.wav")

for phase in create process reload; do
    t0=$(date +%s.%N)
    rc=0
    # private config dir: no traces in the user's ~/.config/ardour7
    PHASE=$phase SESS_DIR="$tmp/sess" TAKE="$tmp/take.wav" NSAMP=$N OUT="$tmp/out" PLUGIN_URI="$URI" \
        PRESET="Podcast" LV2_PATH="$tmp/lv2" XDG_CONFIG_HOME="$tmp/xdg" \
        timeout 90 ardour7-lua tests/lv2/ardour_session.lua > "$tmp/$phase.log" 2>&1 || rc=$?
    grep -E '^(STEP|PARAMS|PHASE|FAIL)' "$tmp/$phase.log" | sed 's/^/  /'
    if [ $rc -ne 0 ] || ! grep -q "^PHASE $phase OK" "$tmp/$phase.log"; then
        echo "FAIL: ardour phase '$phase' (exit $rc); log tail:"; tail -25 "$tmp/$phase.log" | sed 's/^/    /'
        exit 1
    fi
    printf '  phase %s: %.1f s\n' "$phase" "$(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN{print a-b}')"
done

app=""
if [ -x build/statewave ]; then
    build/statewave denoise -q -m build/statewave.lv2/denoise.safetensors --mix 1 --limit-db 30 \
        "$tmp/take.wav" -o "$tmp/app.wav"
    app="$tmp/app.wav"
else
    echo "SKIP: app comparison: build/statewave does not exist yet"
fi

$PY - "$tmp" "$DEV/clean/$CLIP.flac" "$L" "$URI" "$MIN_SISDRI" "$MIN_NOISE_DROP" "$app" <<'EOF'
import re, subprocess, sys
import numpy as np
tmp, clean, L, uri, min_i, min_drop, app = sys.argv[1:8]
L, min_i, min_drop = int(L), float(min_i), float(min_drop)
fails = 0
def check(ok, msg):
    global fails
    print(("PASS: " if ok else "FAIL: ") + msg)
    fails += 0 if ok else 1
def rd(p):
    raw = subprocess.run(["sox", "-V1", p, "-t", "f32", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.float32).astype(np.float64)
def params(phase, tag):
    for line in open(f"{tmp}/{phase}.log"):
        if line.startswith(f"PARAMS {tag} "):
            return dict(kv.split("=", 1) for kv in line.split()[2:])
    return {}

pb, pr = params("process", "before"), params("reload", "reloaded")
check(pb.get("limit_db") == "30" and pb.get("mix") == "1" and pb.get("enabled") == "1",
      f"preset 'Podcast' applied in Ardour: {pb}")
check(pb.get("latency") == str(L), f"Ardour sees the latency port: {pb.get('latency')} == {L}")
check(pr.get("uri") == uri and pr.get("active") == "true", f"after save/close/reload the plugin is back: {pr.get('uri')}, active={pr.get('active')}")
check(all(pr.get(k) == pb.get(k) for k in ("enabled", "mix", "limit_db", "latency")),
      f"after reload the controls are the preset's: {pr}")

x, s = rd(f"{tmp}/take.wav"), rd(clean)
d, w, wr = rd(f"{tmp}/out/dry.wav"), rd(f"{tmp}/out/wet.wav"), rd(f"{tmp}/out/wet_reloaded.wav")
n = len(x)
check(len(d) == len(w) == len(wr) == n == len(s), f"render lengths {len(d)}, {len(w)}, {len(wr)} == {n}")
e = np.max(np.abs(d[64:n - 64] - x[64:n - 64]))
check(e <= 1e-6, f"dry render == the recording (unity gain, no pan law in the bounce path): max err {e:.2g}")

def xcorr_lag(a, b, maxlag):
    best, arg = -np.inf, None
    for lag in range(-maxlag, maxlag + 1):
        c = np.dot(a[lag:], b[:n - lag]) if lag >= 0 else np.dot(a[:lag], b[-lag:])
        if c > best: best, arg = c, lag
    return arg
lag = xcorr_lag(w, x, 2 * L)
check(lag == 0, f"wet render aligned with the input (lag {lag}; uncompensated would be {L}): Ardour compensated the latency")

def sisdr(est, ref):
    a = np.dot(est, ref) / np.dot(ref, ref); t = a * ref
    return 10 * np.log10(np.sum(t * t) / np.sum((est - t) ** 2))
F = 960  # 20 ms frames; noise-only = the clean reference is digitally silent
m = n // F
quiet = np.max(np.abs(s[:m * F].reshape(m, F)), axis=1) == 0
def noise_energy(v): return np.sum(v[:m * F].reshape(m, F)[quiet] ** 2)
base = sisdr(x, s)
for name, v in (("wet", w), ("wet_reloaded", wr)):
    gain = sisdr(v, s) - base
    drop = 10 * np.log10(noise_energy(x) / noise_energy(v))
    check(gain >= min_i, f"{name}: SI-SDR {base:.2f} -> {sisdr(v, s):.2f} dB (SI-SDRi {gain:+.2f} >= {min_i})")
    check(drop >= min_drop, f"{name}: noise-only energy ({quiet.sum()} frames of {m}) down {drop:.1f} dB (>= {min_drop})")
if app:
    a = rd(app)
    snr = 10 * np.log10(np.sum(a * a) / np.sum((w - a) ** 2))
    check(snr >= 15, f"Ardour wet vs `statewave denoise --mix 1 --limit-db 30`: {snr:.1f} dB SNR (>= 15)")
sys.exit(1 if fails else 0)
EOF
echo "PASS: test_ardour.sh"
