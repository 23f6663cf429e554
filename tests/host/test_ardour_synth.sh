#!/bin/bash
# test_ardour_synth.sh — the Statewave neural instrument in Ardour 7, headless (ardour7-lua,
# Dummy backend), played from a MIDI region.
#
# tests/host/ardour_synth_session.lua runs in three ardour7-lua processes (create / process /
# reload, see its header): a 48 kHz session with a MIDI track holding a MIDI region with the
# score below (four notes, one of them a two-note chord, put in with Ardour's MidiModel
# note-diff commands), the instrument inserted by URI with a preset ("Cello – dry" when the
# cello model is shipped, else "Violin – dry") and its level set to -3 dB, rendered by
# an export of the session range (Ardour 7 cannot bounce a MIDI track through its instrument),
# saved, and reloaded in a new process. Checks:
#  1. the region holds the score; the preset's timbre and the level are the plugin's
#     parameters; after the reload the plugin (same URI) is back, active, with the same values
#  2. the render: finite, both channels equal (dual mono), exact silence before the first
#     note, which sounds within one control frame + one cycle of its time, sound during every note, near silence (< 5% of the notes' RMS) in the gaps
#     0.6 s after each release and after the last note
#  3. the render after the reload has the same envelope (20 ms RMS, correlation >= 0.98,
#     level within 1 dB): the session's plugin state came back
# Skipped (with the reason) when the bundle was built without trained timbre models (the
# plugin does not exist then). Run from the repo root after `make`. Takes ~20 s.
set -euo pipefail
cd "$(dirname "$0")/../.."

URI="https://statewave.dev/plugins/synth"
B=build/statewave.lv2
PY=/usr/bin/python3
SR=48000
NSAMP=$((6 * SR))
# on:off:key:velocity in samples at 48 kHz (120 BPM: a quarter note is 24000 samples)
NOTES="48000:72000:57:100,120000:144000:60:90,192000:216000:64:110,192000:216000:67:110"
command -v ardour7-lua >/dev/null || { echo "FAIL: ardour7-lua not installed (make deps)"; exit 1; }
[ -f $B/manifest.ttl ] || { echo "FAIL: $B not built (run make)"; exit 1; }
if [ ! -f $B/synth.ttl ]; then
    echo "SKIP: test_ardour_synth.sh: the bundle has no instrument (built without presets/instruments/*.safetensors)"
    exit 0
fi
if [ -f $B/instrument_cello.safetensors ] && [ -f $B/instrument-presets/cello-dry.ttl ]; then
    PRESET="Cello – dry"; TIMBRE=3
elif [ -f $B/instrument_violin.safetensors ] && [ -f $B/instrument-presets/violin-dry.ttl ]; then
    PRESET="Violin – dry"; TIMBRE=0
else
    PRESET=""; TIMBRE=$(sed -n 's/.*lv2:default \([0-9]*\) ;.*/\1/p' $B/synth.ttl | head -1)
fi

tmp=$(mktemp -d); trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
trap 'echo "FAIL: $0: command failed at line $LINENO"' ERR
mkdir -p "$tmp/lv2" "$tmp/out" "$tmp/xdg/ardour7/export"
ln -s "$PWD/$B" "$tmp/lv2/statewave.lv2"
# An export preset for 32-bit float WAV at the session rate, no dither, no normalisation
# (Ardour's "BWAV 32float Export" format; the stock "WAV @ session-rate" preset is 16-bit
# and dithers, which would hide exact silence), in the private config dir Ardour reads.
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

# Ardour 7.3's export sometimes corrupts the heap and Ardour dies of SIGABRT (glibc
# "munmap_chunk(): invalid pointer" / "free(): invalid pointer") or SIGSEGV (often no message),
# in the export, in the session save after it or at exit; tests/host/test_ardour.sh records the
# measurements (about 15 % of export attempts, also with no plugin in the session). A phase
# killed by one of those two signals with no FAIL of ours in its log is run again from a copy
# of the session taken before it, up to ATTEMPTS times in all, each rerun reported; any other
# failure fails at once.
ATTEMPTS=5
crash_reruns=0
for phase in create process reload; do
    t0=$(date +%s.%N)
    for attempt in $(seq $ATTEMPTS); do
        rc=0
        [ $phase = create ] || { rm -rf "$tmp/sess.bak"; cp -a "$tmp/sess" "$tmp/sess.bak"; }
        PHASE=$phase SESS_DIR="$tmp/sess" NSAMP=$NSAMP NOTES="$NOTES" OUT="$tmp/out" PLUGIN_URI="$URI" \
            PRESET="$PRESET" LEVEL=-3 LV2_PATH="$tmp/lv2" XDG_CONFIG_HOME="$tmp/xdg" \
            timeout 120 ardour7-lua tests/host/ardour_synth_session.lua > "$tmp/$phase.log" 2>&1 || rc=$?
        if [ $phase != create ] && [ $attempt -lt $ATTEMPTS ] && { [ $rc -eq 134 ] || [ $rc -eq 139 ]; } \
           && ! grep -q "^FAIL" "$tmp/$phase.log"; then
            msg=$(grep -m1 -E 'munmap_chunk|free\(\)|double free|corrupted|malloc' "$tmp/$phase.log" || true)
            echo "  phase $phase: ardour7-lua died (exit $rc${msg:+: $msg}); rerun $((attempt + 1)) of $ATTEMPTS"
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

$PY - "$tmp" "$URI" "$NOTES" "$TIMBRE" "$NSAMP" <<'EOF'
import subprocess, sys
import numpy as np
tmp, uri, notes, timbre, nsamp = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5])
SR = 48000
fails = 0
def check(ok, msg):
    global fails
    print(("PASS: " if ok else "FAIL: ") + msg)
    fails += 0 if ok else 1
def params(phase, tag):
    for line in open(f"{tmp}/{phase}.log"):
        if line.startswith(f"PARAMS {tag} "):
            return dict(kv.split("=", 1) for kv in line.split()[2:])
    return {}
def rd(p):
    ch = int(subprocess.run(["soxi", "-V1", "-c", p], capture_output=True, text=True, check=True).stdout)
    raw = subprocess.run(["sox", "-V1", p, "-t", "f32", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.float32).astype(np.float64).reshape(-1, ch)
score = [tuple(map(int, n.split(":"))) for n in notes.split(",")]
nlog = sum(1 for l in open(f"{tmp}/create.log") if l.startswith("STEP note"))
check(nlog == len(score), f"the MIDI region holds the score's {len(score)} notes ({nlog})")
pb, pr = params("process", "before"), params("reload", "reloaded")
check(pb.get("uri") == uri and float(pb.get("timbre", -1)) == timbre and float(pb.get("level", 0)) == -3,
      f"preset timbre {timbre:g} and level -3 dB in Ardour: {pb}")
check(pr.get("uri") == uri and pr.get("active") == "true", f"after save/reload the plugin is back: {pr.get('uri')}, active={pr.get('active')}")
check(all(pr.get(k) == pb.get(k) for k in ("timbre", "harmonic_gain", "noise_gain", "pitch_shift", "reverb_mix", "level")),
      f"after reload the controls are the same: {pr}")

y, yr = rd(f"{tmp}/out/synth.wav"), rd(f"{tmp}/out/synth_reloaded.wav")
check(len(y) == len(yr) == nsamp, f"render lengths {len(y)}, {len(yr)} == {nsamp}")
check(np.all(np.isfinite(y)) and np.all(np.isfinite(yr)), "renders finite")
if y.shape[1] == 2:
    check(np.max(np.abs(y[:, 0] - y[:, 1])) == 0, "left == right (dual mono)")
x = y[:, 0]
first = min(s[0] for s in score)
check(np.max(np.abs(x[:first])) == 0, f"exact silence before the first note (peak {np.max(np.abs(x[:first])):.2g})")
nz = np.flatnonzero(x)
s0 = int(nz[0]) if len(nz) else -1
# Ardour runs the plugin in cycles of 1024 frames here and places MIDI events at their frame
# inside the cycle; the synth answers within one control frame (192 frames)
check(first <= s0 <= first + 192 + 1024, f"the first note sounds from frame {s0} (note-on at {first})")
def rms(a): return float(np.sqrt(np.mean(a * a))) if len(a) else 0.0
ons = sorted(set((s[0], s[1]) for s in score))
note_rms = [rms(x[on + SR // 50:off]) for on, off in ons]
print(f"  note RMS: {', '.join(f'{r:.4f}' for r in note_rms)}")
check(min(note_rms) > 1e-3, "every note sounds")
gaps = []
for i, (on, off) in enumerate(ons):
    end = ons[i + 1][0] - SR // 50 if i + 1 < len(ons) else nsamp
    gaps.append((off + int(0.6 * SR), end))
gap_rms = [rms(x[a:b]) for a, b in gaps]
print(f"  gap RMS (0.6 s after each release): {', '.join(f'{r:.2g}' for r in gap_rms)}")
check(max(gap_rms) < 0.05 * min(note_rms), "near silence between the notes and after the last one")
def env(a):
    m = len(a) // 960
    return np.sqrt(np.mean(a[:m * 960].reshape(m, 960) ** 2, axis=1))
e1, e2 = env(x), env(yr[:, 0])
c = float(np.corrcoef(e1, e2)[0, 1])
lvl = 20 * np.log10(rms(yr[:, 0]) / rms(x))
check(c >= 0.98 and abs(lvl) <= 1.0, f"render after reload: envelope correlation {c:.4f}, level {lvl:+.2f} dB")
sys.exit(1 if fails else 0)
EOF
echo "PASS: test_ardour_synth.sh"
