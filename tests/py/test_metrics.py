#!/usr/bin/python3
"""Tests of train/metrics.py and train/eval_devset.py (run by `make test`, from the repo root).

Known-value checks on real dev-set speech, and the strongest check: the `noisy` and `rnnoise` rows of
../shared/data/devset/BASELINE.md (overall means, lags, and every per-SNR, per-speech-source and
per-noise-class cell) are recomputed from the 60 dev clips and must agree to the printed precision.
Deterministic (seeded noise); about 15-30 s on 2 cores.
"""

import math
import os
import re
import sys
import tempfile
import time
import traceback

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "train"))
import metrics as M  # noqa: E402
import eval_devset as E  # noqa: E402

DEVSET = os.path.join(REPO, "..", "shared", "data", "devset")
FS = 48000
_results = []


def case(fn):
    _results.append(fn)
    return fn


def clean(cid="031"):
    x, fs = M.read_audio(os.path.join(DEVSET, "clean", cid + ".flac"))
    assert fs == FS, fs
    return x


def white(n, seed):
    return np.random.default_rng(seed).standard_normal(n)


def close(a, b, tol, what):
    assert abs(a - b) <= tol, f"{what}: {a!r} vs {b!r} (tol {tol})"


# --------------------------------------------------------------------------------------------
# SI-SDR
# --------------------------------------------------------------------------------------------

@case
def si_sdr_self_and_invariances():
    s = clean()
    assert M.si_sdr(s, s) > 200.0, M.si_sdr(s, s)
    # Scale and offset invariant: means are removed and the target is rescaled.
    v = M.si_sdr(s, -0.37 * s + 0.01)
    assert v > 200.0, v
    assert M.si_sdr(s, np.zeros_like(s)) == -math.inf


@case
def si_sdr_equals_constructed_snr():
    s = clean()
    s0 = s - s.mean()
    for k, snr in enumerate((-5.0, 0.0, 7.5, 20.0)):
        n = white(len(s), 100 + k)
        # Exactly orthogonal, zero-mean noise: SI-SDR is the SNR up to rounding.
        n_orth = n - n.mean()
        n_orth = n_orth - (np.dot(n_orth, s0) / np.dot(s0, s0)) * s0
        n_orth *= math.sqrt(np.dot(s0, s0) / np.dot(n_orth, n_orth) / 10 ** (snr / 10))
        close(M.si_sdr(s, s + n_orth), snr, 1e-9, f"orthogonal noise at {snr} dB")
        # Plain random noise scaled to the SNR: chance correlation moves it by far less than 0.05 dB.
        n *= math.sqrt(np.dot(s0, s0) / np.dot(n - n.mean(), n - n.mean()) / 10 ** (snr / 10))
        close(M.si_sdr(s, s + n), snr, 0.05, f"white noise at {snr} dB")
    # A wrong formula (e.g. no projection: SNR of y against s) would fail this one: 2 s + noise.
    n = white(len(s), 7)
    n *= math.sqrt(np.dot(s0, s0) / np.dot(n - n.mean(), n - n.mean()))
    close(M.si_sdr(s, 2.0 * s + n), 10 * math.log10(4.0), 0.05, "2s + n at 0 dB")


# --------------------------------------------------------------------------------------------
# STOI
# --------------------------------------------------------------------------------------------

@case
def stoi_clean_is_one():
    s = clean()
    close(M.stoi(s, s, FS), 1.0, 1e-6, "STOI(clean, clean)")
    close(M.stoi(s, 0.05 * s, FS), 1.0, 1e-6, "STOI(clean, scaled clean)")
    s2 = clean("001")  # FSDD: 8 kHz source, digital silence in the pauses
    close(M.stoi(s2, s2, FS), 1.0, 1e-6, "STOI(clean 001, clean 001)")


@case
def stoi_decreases_with_noise():
    s = clean()
    s0 = s - s.mean()
    n = white(len(s), 11)
    n *= math.sqrt(np.dot(s0, s0) / np.dot(n, n))  # 0 dB
    vals = [M.stoi(s, s + n * 10 ** (-snr / 20), FS) for snr in (30, 15, 5, 0, -5, -10)]
    assert all(a > b for a, b in zip(vals, vals[1:])), vals
    assert vals[0] > 0.98 and vals[-1] < 0.7, vals


@case
def stoi_silent_frame_removal_and_bands():
    # Silence around speech does not change STOI (the frames are dropped from both signals).
    s = clean()
    n = 0.3 * np.std(s) * white(len(s), 5)
    base = M.stoi(s, s + n, FS)
    pad = np.zeros(FS)
    padded = M.stoi(np.concatenate([pad, s, pad]), np.concatenate([pad, s + n, pad]), FS)
    close(padded, base, 0.01, "STOI with 1 s of silence added around the clip")
    # The one-third-octave matrix: 15 bands, the first around 150 Hz, contiguous, top edge ~4.3 kHz.
    f = np.linspace(0, 10000, 513)[:257]
    lo = [f[np.nonzero(r)[0][0]] for r in M._OBM]
    hi = [f[np.nonzero(r)[0][-1]] for r in M._OBM]
    assert M._OBM.shape == (15, 257)
    assert 120 <= lo[0] <= 140 and 4200 <= hi[-1] <= 4400, (lo[0], hi[-1])
    assert all(M._OBM.sum(axis=0) <= 1)


# --------------------------------------------------------------------------------------------
# LSD
# --------------------------------------------------------------------------------------------

@case
def lsd_known_values():
    s = clean()
    assert M.lsd(s, s, FS) == 0.0
    # A pure gain g moves every bin by 20 log10 g where the 80 dB floor does not bind: exactly so for
    # white noise (flat spectrum); on speech, bins near the floor move less.
    w = white(5 * FS, 1)
    close(M.lsd(w, 2.0 * w, FS), 20 * math.log10(2.0), 1e-9, "LSD of +6 dB gain on white noise")
    close(M.lsd(w, 0.5 * w, FS), 20 * math.log10(2.0), 1e-9, "LSD of -6 dB gain on white noise")
    g = M.lsd(s, 2.0 * s, FS)
    assert 4.0 < g <= 20 * math.log10(2.0) + 1e-9, g
    # Noise confined above the reference's band is invisible to LSD (the band restriction) ...
    s8 = clean("001")  # 8 kHz source: nothing above 4 kHz
    t = np.arange(len(s8)) / FS
    hiss = 0.1 * np.max(np.abs(s8)) * np.sin(2 * np.pi * 15000 * t)
    close(M.lsd(s8, s8 + hiss, FS), 0.0, 0.05, "LSD of a 15 kHz tone on band-limited speech")
    # ... but in-band noise is not, and more of it is worse.
    n = np.std(s8) * white(len(s8), 3)
    a, b = M.lsd(s8, s8 + 0.1 * n, FS), M.lsd(s8, s8 + n, FS)
    assert 0.5 < a < b, (a, b)


# --------------------------------------------------------------------------------------------
# Preparation: alignment, mono, resampling, I/O
# --------------------------------------------------------------------------------------------

@case
def alignment_and_preparation():
    s = clean()
    noisy = s + 0.05 * np.std(s) * white(len(s), 9)
    for lag in (0, 37, -25, 4800, -4800):
        y = np.concatenate([np.zeros(lag), noisy]) if lag >= 0 else noisy[-lag:]
        ref, out, found = M.prepare(s, FS, y, FS)
        assert found == lag, (lag, found)
        assert len(out) == len(s)
        if lag >= 0:
            assert np.array_equal(out, noisy)
    # Beyond +-100 ms the true lag is out of range: the found lag stays inside the window.
    _, _, found = M.prepare(s, FS, np.concatenate([np.zeros(6000), s]), FS)
    assert abs(found) <= 4800
    # Stereo at 44.1 kHz, 10 ms late: averaged, resampled, aligned, scored almost perfectly.
    y = M.resample(np.concatenate([np.zeros(480), s]), FS, 44100)
    st = np.stack([0.9 * y, 1.1 * y], axis=1)
    r = M.Reference(s, FS).score(st, 44100)
    assert r["lag"] == 480, r
    assert r["si_sdr"] > 40 and r["stoi"] > 0.999 and r["lsd"] < 0.5, r
    # A silent output: lag 0, SI-SDR -inf, STOI 0, LSD far worse than the noisy input's.
    r = M.Reference(s, FS).score(np.zeros(len(s) - 100), FS)
    assert r["lag"] == 0 and r["si_sdr"] == -math.inf and abs(r["stoi"]) < 1e-9 and r["lsd"] > 20, r
    # NaN in an output is an error, not a score.
    try:
        M.Reference(s, FS).score(np.full(len(s), np.nan), FS)
    except ValueError:
        pass
    else:
        raise AssertionError("NaN output must raise ValueError")


@case
def audio_io_roundtrip():
    x, fs = M.read_audio(os.path.join(DEVSET, "noisy", "001.flac"))
    assert fs == FS and x.ndim == 1 and len(x) == 260489  # README.md's sample count for clip 001
    with tempfile.TemporaryDirectory() as d:
        for enc, tol in (([], 0.0), (["-b", "24"], 0.0), (["-e", "floating-point", "-b", "32"], 0.0)):
            p = os.path.join(d, "x.wav")
            assert os.system(f"sox {os.path.join(DEVSET, 'noisy', '001.flac')} {' '.join(enc)} {p}") == 0
            y, fy = M.read_audio(p)
            assert fy == FS and np.max(np.abs(y - x)) <= tol, enc
        p = os.path.join(d, "bad.flac")
        with open(p, "wb") as f:
            f.write(b"not audio at all")
        try:
            M.read_audio(p)
        except IOError:
            pass
        else:
            raise AssertionError("a corrupt file must raise IOError")


# --------------------------------------------------------------------------------------------
# eval_devset.py end to end on two clips (--cmd path, failure paths)
# --------------------------------------------------------------------------------------------

@case
def eval_devset_cmd_and_errors():
    import contextlib
    import io
    with tempfile.TemporaryDirectory() as d:
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            # A lossless "denoiser" (sox copies FLAC to 16-bit WAV): must score exactly as the input.
            sc = E.main(["--cmd", "sox {in} {out}", "--clips", "001,031", "--workdir", d, "--by", "snr",
                         "--devset", DEVSET, "--anchors", "", "--name", "ours"])["devset"]
        text = buf.getvalue()
        assert "train/eval_devset.py --cmd 'sox {in} {out}'" in text, text
        assert "| ours | 2 |" in text and "not comparable" in text, text
        for cid in ("001", "031"):
            o, n = sc["ours"][cid], sc["noisy"][cid]
            assert o["si_sdr"] == n["si_sdr"] and o["si_sdri"] == 0.0 and o["lag"] == 0, (o, n)
        for argv in (["--cmd", "false", "--clips", "001", "--workdir", d],          # denoiser fails
                     ["--cmd", "true", "--clips", "001", "--workdir", d],           # writes nothing
                     ["--outdir", d, "--clips", "001,002"],                           # 002 missing
                     ["--cmd", "build/no-such-binary {in} -o {out}", "--workdir", d],
                     ["--model", os.path.join(d, "no-such-model.safetensors")]):
            argv = argv + ["--devset", DEVSET, "--anchors", ""]
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    E.main(argv)
            except SystemExit as e:
                assert e.code not in (0, None), argv
            else:
                raise AssertionError(f"eval_devset {argv} must fail")


# --------------------------------------------------------------------------------------------
# The reference numbers of BASELINE.md, recomputed from the dev set
# --------------------------------------------------------------------------------------------

def parse_baseline(path):
    """{section: {group: {(metric, system): value}}} plus the main table, from BASELINE.md."""
    text = open(path, encoding="utf-8").read()
    tables = {}
    section = None
    header = None
    for line in text.splitlines():
        if line.startswith("## Results"):
            section = "main"
        m = re.match(r"^By (SNR|speech source|noise class)", line)
        if m:
            section = {"SNR": "snr", "speech source": "speech", "noise class": "noise"}[m.group(1)]
        if not line.startswith("|") or section is None:
            if not line.startswith("|"):
                header = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
            continue
        if set(cells[0]) <= set("-"):
            continue
        tables.setdefault(section, {})[cells[0]] = dict(zip(header, cells))
    return tables


TOL = {"si_sdr": 0.0051, "si_sdri": 0.0051, "stoi": 0.00051, "lsd": 0.0051}   # printed precision
COLNAME = {"SI-SDR": "si_sdr", "SI-SDRi": "si_sdri", "STOI": "stoi", "LSD": "lsd"}


@case
def baseline_md_reproduced():
    t0 = time.monotonic()
    clips = E.read_manifest(DEVSET)
    assert len(clips) == 60
    systems = {"noisy": E.collect(os.path.join(DEVSET, "noisy"), clips, "noisy"),
               "rnnoise": E.collect(os.path.join(DEVSET, "rnnoise"), clips, "rnnoise")}
    scores = E.score_systems(DEVSET, clips, systems, jobs=2)
    took = time.monotonic() - t0
    base = parse_baseline(os.path.join(DEVSET, "BASELINE.md"))
    ids = [c["id"] for c in clips]
    checked = 0
    worst = {}

    def cmp(mine, printed, metric, what):
        nonlocal checked
        err = abs(mine - float(printed))
        worst[metric] = max(worst.get(metric, 0.0), err)
        assert err <= TOL[metric], f"{what}: ours {mine:.5f}, BASELINE.md {printed}"
        checked += 1

    # Overall rows.
    for label, name in (("noisy (input)", "noisy"), ("rnnoise", "rnnoise")):
        row = base["main"][label]
        s = E.summarize(scores[name], ids)
        assert int(row["files"]) == s["files"] == 60
        for col, metric in (("SI-SDR (dB)", "si_sdr"), ("SI-SDRi (dB)", "si_sdri"), ("STOI", "stoi"),
                            ("LSD (dB)", "lsd")):
            cmp(s[metric], row[col], metric, f"{name} {metric}")
        lag = row["alignment lag (samples): median [min, max]"]
        assert lag == f"{s['lag_median']:g} [{s['lag_min']}, {s['lag_max']}]", (name, lag, s)
    print(f"    overall: noisy SI-SDR {E.summarize(scores['noisy'], ids)['si_sdr']:.4f} "
          f"STOI {E.summarize(scores['noisy'], ids)['stoi']:.5f} LSD {E.summarize(scores['noisy'], ids)['lsd']:.4f}; "
          f"rnnoise SI-SDR {E.summarize(scores['rnnoise'], ids)['si_sdr']:.4f} "
          f"STOI {E.summarize(scores['rnnoise'], ids)['stoi']:.5f} LSD {E.summarize(scores['rnnoise'], ids)['lsd']:.4f}")
    # RNNoise aligns at 0 or -1 on 30 clips each (BASELINE.md "How outputs are prepared").
    lags = [scores["rnnoise"][i]["lag"] for i in ids]
    assert lags.count(0) == 30 and lags.count(-1) == 30, lags
    assert all(scores["noisy"][i]["lag"] == 0 for i in ids)
    # SI-SDR of the input matches each clip's nominal SNR: mean |diff| 0.05 dB, max 0.25 (BASELINE.md).
    d = [abs(scores["noisy"][c["id"]]["si_sdr"] - c["snr"]) for c in clips]
    assert np.mean(d) < 0.06 and max(d) <= 0.25, (np.mean(d), max(d))
    # Every cell of the per-SNR, per-speech-source and per-noise-class tables.
    for section, key in (("snr", "snr"), ("speech", "speech"), ("noise", "noise")):
        assert section in base, f"BASELINE.md: no {section} table"
        for group, row in base[section].items():
            gids = [c["id"] for c in clips if str(c[key]) == group]
            assert len(gids) == int(row["files"]) > 0, (section, group, len(gids))
            for col, val in row.items():
                parts = col.split(" ")
                if len(parts) != 2 or parts[0] not in COLNAME:
                    continue
                metric, name = COLNAME[parts[0]], parts[1]
                mine = float(np.mean([scores[name][i][metric] for i in gids]))
                cmp(mine, val, metric, f"{section} {group} {col}")
    assert checked == 197, checked  # 2 x 4 overall + 7 x (5 SNR + 7 speech + 15 noise groups)
    print(f"    {checked} BASELINE.md numbers reproduced; largest differences: "
          + ", ".join(f"{k} {v:.4f}" for k, v in sorted(worst.items())) + f"; scoring {took:.1f} s")


def main():
    passed = failed = 0
    for fn in _results:
        t0 = time.monotonic()
        try:
            fn()
        except Exception:  # report every failure, keep going
            failed += 1
            print(f"FAIL {fn.__name__}")
            traceback.print_exc()
        else:
            passed += 1
            print(f"ok   {fn.__name__} ({time.monotonic() - t0:.1f} s)")
    print(f"test_metrics: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
