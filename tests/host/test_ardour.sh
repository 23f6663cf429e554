#!/bin/bash
# test_ardour.sh — Statewave Denoise in Ardour 7, headless (ardour7-lua, Dummy backend).
#
# tests/host/ardour_session.lua runs in four ardour7-lua processes (create / dry / process /
# reload, see its header for why): a 48 kHz session with a mono track holding a real noisy
# dev-set recording (placeholder take + overwrite); an export of the session (master bus)
# over the region without the plugin; the plugin inserted by URI with the "Podcast" preset
# (mix 1, limit 30 dB), exported, saved; the session reloaded in a new process and exported
# again. Exports: Session:simple_export with a preset of ours (written below into the private
# config dir) for Ardour's stock "BWAV 32float Export" format: 32-bit float, session rate,
# no dither, no analysis, no normalisation. Checks:
#  1. Ardour reports the plugin's latency; preset values applied; after the reload the
#     plugin (same URI) is back, active, with the preset's control values
#  2. every export is stereo with left == right and has the recording's length; the dry export
#     is the recording at exactly -3 dB (Ardour's centre pan law for a mono track) once the
#     gain ramp at the start of an export is over (2780 samples here; S0 = 4096 skipped)
#  3. the wet export is time-aligned with the input: Ardour compensated the plugin latency
#     (cross-correlation lag 0, not the plugin's L samples)
#  4. the wet export is denoised: SI-SDR vs the clean reference improves by >= MIN_SISDRI dB
#     and the energy in noise-only frames (clean reference digitally silent) drops by
#     >= MIN_NOISE_DROP dB — for the first export and for the one after the reload
#  5. with build/statewave present: the app with the same settings gives nearly the same
#     audio (>= 15 dB SNR; not bit-equal because Ardour ran the plugin on silence while
#     idle before the export, so its recurrent state differs from the app's fresh start)
# Run from the repo root after `make`. Takes ~25 s (~3 s more per rerun, see below).
#
# Export and Ardour 7.3's crashes (Debian 7.3.0~ds0, ardour7-lua, Dummy backend, 2 cores).
# Ardour's export corrupts the heap now and then: glibc aborts ("munmap_chunk(): invalid
# pointer", "double free or corruption (!prev)", "corrupted size vs. prev_size while
# consolidating", "malloc assertion failure in _int_malloc") or a bare SIGSEGV, in
# ~PortExportChannel, in ExportGraphBuilder::reset() on the freewheel thread, or later in an
# unrelated free (gdb: XMLTree::~XMLTree in the Session::save_state after the export). It is
# not the plugin: the "dry" phase, with no plugin on the session, crashes as often, and so
# did Ardour's stock eg-amp example; under valgrind memcheck (threads serialised) the same
# exports ran with no invalid access. Measured on 2026-11-24:
#  - earlier attempts, export instead of bounce (each 4-5 runs): stock "WAV @ session-rate"
#    preset (16 bit, dither, analysis), stock example with 3 exports: 3 of 5 runs crashed;
#    own float/no-analysis format: 2-3 of 5; with 256-sample engine blocks 1 of 5; one reused
#    SimpleExport 2 of 5; this test's old flow (dry + wet exports in one process): 3 of 4.
#  - what tests/host/test_ardour_synth.sh does differently, and this test now does too: ONE
#    export per ardour7-lua process (the dry render got a phase of its own), the preset for
#    the stock float format in the private XDG config dir, the region as the session range,
#    save + AudioEngine:stop + os.exit after it, and a bounded rerun of a phase that Ardour
#    killed with a signal. (Engine settings, time format and freewheel are the same as
#    before: defaults, samples, run_export's freewheel.)
#  - one export per process, phases run alone (from a saved session): dry 13 crashes in 174
#    runs, process 2 in 14, reload 1 in 10 (8%).
#  - whole test, one export per process, rerun policy below, 51 runs in 7 batches
#    (2026-11-24, 09:20-09:50 UTC; one batch with a busy loop on one of the 2 cores): 50
#    passed (this version: 25 of 25); the one failure was a crash after "PHASE dry OK" (at
#    exit), which an interim version did not rerun and this one does. 27 of the 179
#    export-phase attempts crashed (15%; per batch 0 of 24 to 9 of 33: the rate drifts):
#    of the 9 with a line-flushed log, 3 in the export, 4 in the save right after it, 2 at
#    exit after "PHASE ... OK" (the other 18 were logged before the Lua output was flushed
#    line by line); 19 of the 51 runs needed a rerun, 3 of the 153 phases needed their third
#    attempt, none crashed a third time.
# So with p = 0.15 crashes per attempt a run fails (some phase crashes 3 times) about
# 3 * p^3 = 1% of the time (0.3% at p = 0.1, 7% at p = 0.28); the reruns are printed, so a
# rising rate shows in the test's output. Track:bounce_range (what this test used before)
# never crashed, but is not an export.
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

tmp=$(mktemp -d); trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
trap 'echo "FAIL: $0: command failed at line $LINENO"' ERR
mkdir -p "$tmp/lv2" "$tmp/out" "$tmp/xdg/ardour7/export"
ln -s "$PWD/build/statewave.lv2" "$tmp/lv2/statewave.lv2"
L=$(build/tests/host/lv2_latency mono 48000)
sox -V1 "$DEV/noisy/$CLIP.flac" -e floating-point -b 32 "$tmp/take.wav"
N=$(soxi -V1 -s "$tmp/take.wav")

cat > "$tmp/xdg/ardour7/export/statewave-float.preset" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<ExportPreset id="5d2b8f3e-7c41-4a59-9e0b-3f6a2c1d8e74" name="Statewave float WAV">
  <ExportFormat id="20b4ab09-6452-4cb3-bd66-b921cdbd2942"/>
  <ExportFilename>
    <Folder relative="1" path="export"/>
    <Field name="label" enabled="0"/>
    <Field name="session" enabled="0"/>
    <Field name="snapshot" enabled="0"/>
    <Field name="timespan" enabled="1"/>
    <Field name="revision" enabled="0"/>
    <Field name="time" enabled="0" value="T_None"/>
    <Field name="date" enabled="0" value="D_None"/>
  </ExportFilename>
</ExportPreset>
XML
# Ardour 7.3's export corrupts the heap now and then (see the top of this file): ardour7-lua
# then dies of SIGABRT (exit 134, glibc "munmap_chunk(): invalid pointer" and the like) or
# SIGSEGV (exit 139, often no message) in the export, in the save after it, or at exit after
# "PHASE ... OK" (freeing Ardour's globals). Such a phase (killed by one of these two signals,
# no FAIL of ours in its log) is run again from a copy of the session taken before it, up to
# 3 times in all, and each rerun is reported with how far the phase got; any other failure
# (a FAIL, another exit status, a timeout, a wrong result) fails at once, and so does a
# third crash.
ATTEMPTS=5   # 3 left ~1 % of runs failing at p = 0.15 per attempt; 5 leaves ~0.03 %
crash_reruns=0
declare -A EXPORT_NAME=([dry]=dry [process]=wet [reload]=wet_reloaded)
for phase in create dry process reload; do
    t0=$(date +%s.%N)
    for attempt in $(seq $ATTEMPTS); do
        rc=0
        [ $phase = create ] || { rm -rf "$tmp/sess.bak"; cp -a "$tmp/sess" "$tmp/sess.bak"; }
        rm -f "$tmp/out/${EXPORT_NAME[$phase]:-none}.wav"
        # private config dir: no traces in the user's ~/.config/ardour7
        PHASE=$phase SESS_DIR="$tmp/sess" TAKE="$tmp/take.wav" NSAMP=$N OUT="$tmp/out" PLUGIN_URI="$URI" \
            PRESET="Podcast" LV2_PATH="$tmp/lv2" XDG_CONFIG_HOME="$tmp/xdg" \
            timeout 90 ardour7-lua tests/host/ardour_session.lua > "$tmp/$phase.log" 2>&1 || rc=$?
        if [ $phase != create ] && [ $attempt -lt $ATTEMPTS ] && { [ $rc -eq 134 ] || [ $rc -eq 139 ]; } \
           && ! grep -q "^FAIL" "$tmp/$phase.log"; then
            msg=$(grep -m1 -E 'munmap_chunk|free\(\)|double free|corrupted|malloc' "$tmp/$phase.log" || true)
            echo "  phase $phase: ardour7-lua died of $([ $rc -eq 134 ] && echo SIGABRT || echo SIGSEGV) (exit $rc${msg:+: $msg}) after '$(grep -E '^(STEP|PARAMS|PHASE)' "$tmp/$phase.log" | tail -1 | cut -c1-60)'; rerun $((attempt + 1)) of $ATTEMPTS"
            crash_reruns=$((crash_reruns + 1))
            rm -rf "$tmp/sess"; mv "$tmp/sess.bak" "$tmp/sess"
            continue
        fi
        break
    done
    grep -E '^(STEP|PARAMS|PHASE|FAIL)' "$tmp/$phase.log" | sed 's/^/  /'
    if [ $rc -ne 0 ] || ! grep -q "^PHASE $phase OK" "$tmp/$phase.log"; then
        echo "FAIL: ardour phase '$phase' (exit $rc); log tail:"; tail -25 "$tmp/$phase.log" | sed 's/^/    /'
        exit 1
    fi
    printf '  phase %s: %.1f s\n' "$phase" "$(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN{print a-b}')"
done
echo "  Ardour crash reruns: $crash_reruns"

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

def rd_export(p):
    # the export is the stereo master bus; the mono track is panned to the centre
    ch = int(subprocess.run(["soxi", "-V1", "-c", p], capture_output=True, text=True, check=True).stdout)
    v = rd(p).reshape(-1, ch)
    check(ch == 2 and np.max(np.abs(v[:, 0] - v[:, 1])) == 0, f"{p.rsplit('/', 1)[1]}: {ch} channels, left == right")
    return v[:, 0]
x, s = rd(f"{tmp}/take.wav"), rd(clean)
d, w, wr = rd_export(f"{tmp}/out/dry.wav"), rd_export(f"{tmp}/out/wet.wav"), rd_export(f"{tmp}/out/wet_reloaded.wav")
n = len(x)
check(len(d) == len(w) == len(wr) == n == len(s), f"export lengths {len(d)}, {len(w)}, {len(wr)} == {n}")
# The export starts with Ardour's gain ramp (the master/panner gain glides up from 0 over
# ~3000 samples, 2780 measured): every comparison starts at S0. After it, the dry export is the
# recording times the centre pan law, exactly -3 dB (Ardour's default equal-power panner).
S0 = 4096
G = 10 ** (-3 / 20)
e = np.max(np.abs(d[S0:n - 64] - G * x[S0:n - 64]))
check(e <= 1e-6, f"dry export == the recording at -3 dB (centre pan law) from sample {S0}: max err {e:.2g}")
d, w, wr = d / G, w / G, wr / G

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
x, s, w, wr = x[S0:], s[S0:], w[S0:], wr[S0:]
F = 960  # 20 ms frames; noise-only = the clean reference is digitally silent
m = len(x) // F
quiet = np.max(np.abs(s[:m * F].reshape(m, F)), axis=1) == 0
def noise_energy(v): return np.sum(v[:m * F].reshape(m, F)[quiet] ** 2)
base = sisdr(x, s)
for name, v in (("wet", w), ("wet_reloaded", wr)):
    gain = sisdr(v, s) - base
    drop = 10 * np.log10(noise_energy(x) / noise_energy(v))
    check(gain >= min_i, f"{name}: SI-SDR {base:.2f} -> {sisdr(v, s):.2f} dB (SI-SDRi {gain:+.2f} >= {min_i})")
    check(drop >= min_drop, f"{name}: noise-only energy ({quiet.sum()} frames of {m}) down {drop:.1f} dB (>= {min_drop})")
if app:
    a = rd(app)[S0:]
    snr = 10 * np.log10(np.sum(a * a) / np.sum((w - a) ** 2))
    check(snr >= 15, f"Ardour wet vs `statewave denoise --mix 1 --limit-db 30`: {snr:.1f} dB SNR (>= 15)")
sys.exit(1 if fails else 0)
EOF
echo "PASS: test_ardour.sh"
