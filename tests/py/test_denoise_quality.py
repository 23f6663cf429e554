#!/usr/bin/python3
"""Quality tests of the shipped denoiser on real speech (run by `make test`, from the repo root).

    tests/py/test_denoise_quality.py [--model presets/denoise.safetensors] [--app build/statewave]

build/statewave denoise with the shipped model, on the two dev sets (../shared/data/devset and
../shared/data/devset-wb; evaluation data, never training data). Three checks that a denoiser which
muffles speech or clips word onsets fails:

  wideband  clean wideband speech in (6 devset-wb clean clips, 6 speakers: girl, boy, women, men):
            the output's level is within WIDEBAND_TOL_DB of the input in every band 0-1, 1-2, 2-4,
            4-6, 6-8 kHz (devset-wb README "Band-level measure", over the speech-active frames), per
            clip. A calibration row must fail it: the same clips low-passed at 4 kHz.
  no_worse  every clip of both sets (108): the output is not worse than the noisy input, per clip,
            on SI-SDR and STOI against the clean reference (thresholds below).
  onsets    word onsets in babble keep their level: devset-wb clean sentences and their noisy mixes
            with the reserved crowded-bar and cafe recordings at 0, 5 and 10 dB SNR; onsets found
            in the clean reference; the output's level in the 50 ms after each onset against the
            clean level there.

Thresholds are calibrated on RNNoise 0.2 (@jitsi/rnnoise-wasm 0.2.1, bit-identical to the
devset-wb/rnnoise_v0.2 files; see train/anchors/): it passes all three with margin. The onset test
also scores the shipped rnnoise_v0.2 files and fails if they do not pass (a guard on the detector).
Deterministic (no randomness); about 30 s on 2 cores.
"""

import argparse
import concurrent.futures
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

import numpy as np
from scipy.signal import butter, sosfiltfilt

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "train"))
import metrics as M  # noqa: E402

DATA = os.path.join(REPO, "..", "shared", "data")
DEVSET = os.path.join(DATA, "devset")
DEVSET_WB = os.path.join(DATA, "devset-wb")
FS = 48000

# wideband: one clip per speaker: 001 boy (0075), 004 girl (8063), 003 and 020 women (2380, 2427),
# 005 and 018 men (2252, 1099). RNNoise 0.2 on these clean clips: largest |band level| 0.17 dB.
WIDEBAND_CLIPS = ("001", "003", "004", "005", "018", "020")
WIDEBAND_TOL_DB = 1.0

# no_worse: SI-SDR(out) >= min(SI-SDR(noisy), NO_WORSE_SISDR_CAP_DB): never below the input, except
# that an input already above the cap (the 15-20 dB clips, where any mask-based denoiser trades a
# little speech distortion for the noise it removes) only has to keep the output above the cap.
# STOI(out) >= STOI(noisy) - NO_WORSE_STOI_TOL. RNNoise 0.2 on all 108 clips: smallest SI-SDR
# margin +0.33 dB (devset 020, 5 dB), largest STOI drop 0.090 (devset 040, rain at -5 dB). The strict
# reading (no drop at all) fails RNNoise 0.2 itself on 16 clips for SI-SDR (all at 15-20 dB) and on
# 17 for STOI.
NO_WORSE_SISDR_CAP_DB = 13.0
NO_WORSE_STOI_TOL = 0.10
# Known failures of the shipped model, listed so that they stay visible without hiding a new one:
# these checks may fail only on these clips, and only down to these floors (the shipped model's
# values minus 0.4 dB / 0.02); any other failing clip or check, or a clip below its floor, fails
# the test. Both are devset clips at -5 dB SNR: 026 (festvox-ru, dishes: out -5.20 dB / STOI 0.471
# against noisy -4.97 / 0.670) and 051 (asterisk, 8 kHz speech: STOI 0.462 against 0.594).
# README "Speech denoiser" lists them as open.
KNOWN_WORSE = {("devset/026", "si_sdr"): -5.60, ("devset/026", "stoi"): 0.451,
               ("devset/051", "stoi"): 0.442}

# onsets: crowded-bar 024/043/040 and cafe 021/006/014 at 0/5/10 dB. Onset detector on the clean
# reference: frame energy over 10 ms, hop 5 ms; a low-energy stretch is >= 50 ms of frames at least
# ONSET_LOW_DB below the loudest frame; an onset is the first frame after such a stretch when the
# energy then rises >= 15 dB above the stretch's level within 50 ms. Level = energy over the
# 50 ms from the onset frame's start. Pass: |median (output - clean)| <= ONSET_MEDIAN_DB and the
# 10th percentile >= -ONSET_P10_DB (no large share of onsets clipped). RNNoise 0.2 (24 onsets):
# median -0.5 dB, 10th percentile -2.1 dB.
ONSET_CLIPS = ("024", "043", "040", "021", "006", "014")
ONSET_FRAME, ONSET_HOP = 480, 240
ONSET_LOW_DB = 30.0
ONSET_STRETCH = 10      # frames (50 ms) of low energy before an onset
ONSET_RISE_DB = 15.0
ONSET_WITHIN = 10       # frames (50 ms) for the rise
ONSET_WINDOW = 2400     # samples (50 ms) of level measured after the onset
ONSET_MEDIAN_DB = 3.0
ONSET_P10_DB = 6.0

_results = []


def case(fn):
    _results.append(fn)
    return fn


def clip_ids(devset):
    with open(os.path.join(devset, "MANIFEST.tsv"), encoding="utf-8") as f:
        rows = [ln.rstrip("\n").split("\t") for ln in f if ln.strip() and not ln.startswith("#")]
    head = rows[0]
    return [dict(zip(head, r)) for r in rows[1:]]


def denoise(inputs, outdir, jobs=2):
    """Run the app on [(input path, output name)]: jobs processes, each with a share of the files."""
    def one(chunk):
        for src, name in chunk:
            dst = os.path.join(outdir, name)
            p = subprocess.run([ARGS.app, "denoise", "-q", "--model", ARGS.model, src, "-o", dst],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
            if p.returncode != 0 or not os.path.isfile(dst):
                raise RuntimeError(f"statewave denoise {src} failed (exit {p.returncode}): {p.stderr[-500:]}")
    chunks = [inputs[i::jobs] for i in range(jobs)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as ex:
        list(ex.map(one, chunks))


def aligned(ref, path):
    y, fy = M.read_audio(path)
    assert fy == FS, (path, fy)
    return M.align(ref, y, FS)[0]


# --------------------------------------------------------------------------------------------
# Clean wideband speech in: every band kept within 1 dB
# --------------------------------------------------------------------------------------------

@case
def wideband_clean_speech_kept():
    with tempfile.TemporaryDirectory() as d:
        denoise([(os.path.join(DEVSET_WB, "clean", c + ".flac"), c + ".wav") for c in WIDEBAND_CLIPS], d)
        sos = butter(8, 4000, fs=FS, output="sos")
        bad = []
        print("    clip  " + "  ".join(f"{b:>8}" for b in M.BAND_NAMES) + "   (output - clean input, dB)")
        for cid in WIDEBAND_CLIPS:
            x, _ = M.read_audio(os.path.join(DEVSET_WB, "clean", cid + ".flac"))
            dd = M.band_level_diff(x, aligned(x, os.path.join(d, cid + ".wav")), FS)
            lp = M.band_level_diff(x, sosfiltfilt(sos, x), FS)
            # Calibration: speech low-passed at 4 kHz must fail the same test (the measure bites).
            assert max(abs(v) for v in lp) > 10 * WIDEBAND_TOL_DB, (cid, lp)
            print(f"    {cid}   " + "  ".join(f"{v:+8.2f}" for v in dd))
            bad += [f"{cid} {M.BAND_NAMES[b]} {v:+.2f} dB" for b, v in enumerate(dd) if abs(v) > WIDEBAND_TOL_DB]
        assert not bad, (f"{len(bad)} band levels off by more than {WIDEBAND_TOL_DB} dB: " + ", ".join(bad))


# --------------------------------------------------------------------------------------------
# No clip worse than its noisy input (both sets, every clip)
# --------------------------------------------------------------------------------------------

def _score_pair(task):
    tag, cid, clean_path, noisy_path, out_path = task
    x, _ = M.read_audio(clean_path)
    res = {}
    for name, p in (("noisy", noisy_path), ("out", out_path)):
        y = aligned(x, p)
        res[name] = (M.si_sdr(x, y), M.stoi(x, y, FS))
    return tag, cid, res


@case
def no_clip_worse_than_noisy():
    with tempfile.TemporaryDirectory() as d:
        tasks, inputs = [], []
        for tag, devset in (("devset", DEVSET), ("devset-wb", DEVSET_WB)):
            for row in clip_ids(devset):
                cid = row["id"]
                noisy = os.path.join(devset, "noisy", cid + ".flac")
                name = f"{tag}_{cid}.wav"
                inputs.append((noisy, name))
                tasks.append((tag, cid, os.path.join(devset, "clean", cid + ".flac"), noisy,
                              os.path.join(d, name)))
        assert len(tasks) == 108, len(tasks)
        denoise(inputs, d)
        with multiprocessing.get_context("fork").Pool(2) as pool:
            done = pool.map(_score_pair, tasks, chunksize=2)
    bad, known = [], []
    worst_sdr, worst_stoi = (np.inf, None), (np.inf, None)
    below = {"si_sdr": 0, "stoi": 0}
    for tag, cid, r in done:
        (sn, tn), (so, to) = r["noisy"], r["out"]
        m_sdr = so - min(sn, NO_WORSE_SISDR_CAP_DB)
        m_stoi = to - (tn - NO_WORSE_STOI_TOL)
        below["si_sdr"] += so < sn
        below["stoi"] += to < tn
        worst_sdr = min(worst_sdr, (m_sdr, f"{tag}/{cid}"))
        worst_stoi = min(worst_stoi, (m_stoi, f"{tag}/{cid}"))
        for check, margin, value, msg in (
                ("si_sdr", m_sdr, so, f"SI-SDR {so:.2f} < min(noisy {sn:.2f}, {NO_WORSE_SISDR_CAP_DB:g})"),
                ("stoi", m_stoi, to, f"STOI {to:.3f} < noisy {tn:.3f} - {NO_WORSE_STOI_TOL:g}")):
            if margin >= 0:
                continue
            floor = KNOWN_WORSE.get((f"{tag}/{cid}", check))
            if floor is not None and value >= floor:
                known.append(f"{tag}/{cid} {msg} (known, floor {floor:g})")
            else:
                bad.append(f"{tag}/{cid} {msg}" + (f", below its known floor {floor:g}" if floor is not None else ""))
    print(f"    {len(done)} clips; below the noisy input (strictly): SI-SDR {below['si_sdr']}, STOI "
          f"{below['stoi']}; smallest margins: SI-SDR {worst_sdr[0]:+.2f} dB ({worst_sdr[1]}), "
          f"STOI {worst_stoi[0]:+.3f} ({worst_stoi[1]})")
    for k in known:
        print("    " + k)
    assert not bad, f"{len(bad)} failures:\n      " + "\n      ".join(bad)


# --------------------------------------------------------------------------------------------
# Word onsets in babble keep their level
# --------------------------------------------------------------------------------------------

def frame_energy_db(x):
    n = (len(x) - ONSET_FRAME) // ONSET_HOP + 1
    idx = np.arange(n)[:, None] * ONSET_HOP + np.arange(ONSET_FRAME)
    return 10.0 * np.log10(np.mean(x[idx] ** 2, axis=1) + 1e-12)


def find_onsets(x):
    """Onset frames (index * ONSET_HOP = sample) of the clean signal x, per the rule above."""
    e = frame_energy_db(x)
    low = e <= e.max() - ONSET_LOW_DB
    floor = e.max() - 80.0  # digital silence counts as 80 dB down, not -120
    out, run = [], 0
    for t in range(len(e)):
        if low[t]:
            run += 1
            continue
        if run >= ONSET_STRETCH:
            base = max(float(np.mean(e[t - ONSET_STRETCH:t])), floor)
            if e[t:t + ONSET_WITHIN].max() >= base + ONSET_RISE_DB:
                out.append(t)
        run = 0
    return out


def onset_levels(x, y, onsets):
    """Output minus clean level (dB) over the ONSET_WINDOW samples after each onset."""
    res = []
    for t in onsets:
        s = t * ONSET_HOP
        ex = np.sum(x[s:s + ONSET_WINDOW] ** 2)
        ey = np.sum(y[s:s + ONSET_WINDOW] ** 2)
        res.append(10.0 * np.log10((ey + 1e-20) / ex))
    return res


def onset_verdict(d):
    med, p10 = float(np.median(d)), float(np.percentile(d, 10))
    return med, p10, abs(med) <= ONSET_MEDIAN_DB and p10 >= -ONSET_P10_DB


@case
def onsets_in_babble_keep_level():
    rows = {r["id"]: r for r in clip_ids(DEVSET_WB)}
    for cid in ONSET_CLIPS:
        assert rows[cid]["noise_class"] in ("crowded-bar", "cafe"), (cid, rows[cid]["noise_class"])
    with tempfile.TemporaryDirectory() as d:
        denoise([(os.path.join(DEVSET_WB, "noisy", c + ".flac"), c + ".wav") for c in ONSET_CLIPS], d)
        pooled = {"statewave": [], "rnnoise_v0.2": [], "noisy": []}
        for cid in ONSET_CLIPS:
            x, _ = M.read_audio(os.path.join(DEVSET_WB, "clean", cid + ".flac"))
            on = find_onsets(x)
            assert on, f"{cid}: no onsets found"
            for name, p in (("statewave", os.path.join(d, cid + ".wav")),
                            ("rnnoise_v0.2", os.path.join(DEVSET_WB, "rnnoise_v0.2", cid + ".flac")),
                            ("noisy", os.path.join(DEVSET_WB, "noisy", cid + ".flac"))):
                pooled[name] += onset_levels(x, aligned(x, p), on)
            print(f"    {cid} ({rows[cid]['noise_class']}, {rows[cid]['snr_db']} dB): {len(on)} onsets at "
                  + ", ".join(f"{t * ONSET_HOP / FS:.2f}" for t in on) + " s; statewave "
                  + " ".join(f"{v:+.1f}" for v in pooled["statewave"][-len(on):]) + " dB")
    n = len(pooled["statewave"])
    assert n >= 15, f"only {n} onsets: the detector or the clips changed"
    verdicts = {k: onset_verdict(v) for k, v in pooled.items()}
    for k, (med, p10, ok) in verdicts.items():
        print(f"    {k:<13} {n} onsets: median {med:+.1f} dB, 10th percentile {p10:+.1f} dB"
              f" -> {'pass' if ok else 'FAIL'}")
    # Guard: the anchor the thresholds were set on must pass, or the detector has changed.
    assert verdicts["rnnoise_v0.2"][2], "RNNoise 0.2 no longer passes: detector or thresholds changed"
    med, p10, ok = verdicts["statewave"]
    assert ok, (f"onset level: median {med:+.1f} dB (must be within +-{ONSET_MEDIAN_DB:g}), 10th percentile "
                f"{p10:+.1f} dB (must be >= -{ONSET_P10_DB:g})")


def main():
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default=os.path.join(REPO, "presets", "denoise.safetensors"))
    ap.add_argument("--app", default=os.path.join(REPO, "build", "statewave"))
    ap.add_argument("cases", nargs="*", help="run only these cases (default all)")
    ARGS = ap.parse_args()
    for p in (ARGS.app, ARGS.model):
        if not os.path.isfile(p):
            print(f"test_denoise_quality: {p} missing (run `make` first)")
            return 1
    for p in (DEVSET, DEVSET_WB):
        if not os.path.isdir(p):
            print(f"test_denoise_quality: dev set {p} missing")
            return 1
    if shutil.which("flac") is None:
        print("test_denoise_quality: the `flac` decoder is missing (make deps)")
        return 1
    print(f"    model {os.path.relpath(ARGS.model, REPO)}")
    passed = failed = 0
    for fn in _results:
        if ARGS.cases and fn.__name__ not in ARGS.cases:
            continue
        t0 = time.monotonic()
        try:
            fn()
        except Exception:  # report every failure, keep going
            failed += 1
            print(f"FAIL {fn.__name__} ({time.monotonic() - t0:.1f} s)")
            traceback.print_exc(limit=1)
        else:
            passed += 1
            print(f"ok   {fn.__name__} ({time.monotonic() - t0:.1f} s)")
    print(f"test_denoise_quality: {passed} passed, {failed} failed")
    return 1 if failed else 0


ARGS = None

if __name__ == "__main__":
    sys.exit(main())
