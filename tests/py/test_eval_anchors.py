#!/usr/bin/python3
"""Tests of the evaluation front's wideband parts (run by `make test`, from the repo root).

  band_levels_reproduced   train/metrics.band_level_diff recomputes ../shared/data/devset-wb's
                           band_levels.csv (every file, every system incl. the clean-low-passed
                           calibration row, to its printed 0.01 dB) and the medians of its BASELINE.md
                           band tables (overall and per SNR, to the printed 0.1 dB).
  rnnoise_v0_2_reproduced  train/anchors/rnnoise.mjs (RNNoise 0.2, @jitsi/rnnoise-wasm under Node)
                           reproduces the shipped devset-wb/rnnoise_v0.2 files bit-exactly on three
                           clips; bad input is refused with an error. Installs the pinned npm
                           packages (npm ci) on first use.
  eval_devset_wb           train/eval_devset.py on two devset-wb clips with a lossless "denoiser":
                           band table, side-by-side table and Done-when block (which must FAIL it).
Deterministic; about 15 s on 2 cores (plus the npm install the first time).
"""

import contextlib
import csv
import io
import multiprocessing
import os
import re
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
import eval_devset as E  # noqa: E402
from anchors import rnnoise_anchor as A  # noqa: E402

DEVSET_WB = os.path.join(REPO, "..", "shared", "data", "devset-wb")
FS = 48000
SYSTEMS = ("noisy", "rnnoise", "rnnoise_v0.2")
LOWPASS = "clean low-passed at 4 kHz"
_results = []


def case(fn):
    _results.append(fn)
    return fn


def _bands_of_clip(cid):
    x, _ = M.read_audio(os.path.join(DEVSET_WB, "clean", cid + ".flac"))
    res = {}
    for name in SYSTEMS:
        y, fy = M.read_audio(os.path.join(DEVSET_WB, name, cid + ".flac"))
        _, y, _ = M.prepare(x, FS, y, fy)
        res[name] = M.band_level_diff(x, y, FS)
    # BASELINE.md's calibration: 8th-order Butterworth low-pass at 4 kHz, zero phase.
    res[LOWPASS] = M.band_level_diff(x, sosfiltfilt(butter(8, 4000, fs=FS, output="sos"), x), FS)
    return cid, res


def _baseline_band_tables():
    """{(subset, system): [5 medians]} from the overall and per-SNR band tables of BASELINE.md."""
    text = open(os.path.join(DEVSET_WB, "BASELINE.md"), encoding="utf-8").read()
    part = text.split("## Band levels", 1)[1]
    overall = part.split("Lower tail", 1)[0]
    per_snr = part.split("By SNR", 1)[1].split("By speaker group", 1)[0]
    out = {}
    for line in overall.splitlines():
        c = [v.strip() for v in line.strip().strip("|").split("|")]
        if len(c) == 7 and c[1].isdigit():
            out[("all", c[0])] = [float(v) for v in c[2:]]
    for line in per_snr.splitlines():
        c = [v.strip() for v in line.strip().strip("|").split("|")]
        if len(c) == 8 and re.fullmatch(r"[+-]?\d+", c[0]):
            out[(int(c[0]), c[1])] = [float(v) for v in c[3:]]
    return out


@case
def band_levels_reproduced():
    clips = E.read_manifest(DEVSET_WB)
    assert len(clips) == 48
    with multiprocessing.get_context("fork").Pool(2) as pool:
        got = dict(pool.map(_bands_of_clip, [c["id"] for c in clips], chunksize=4))
    with open(os.path.join(DEVSET_WB, "band_levels.csv"), encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    cols = ["D_0-1k_db", "D_1-2k_db", "D_2-4k_db", "D_4-6k_db", "D_6-8k_db"]
    worst = 0.0
    for r in rows:
        mine = got[r["file"]][r["system"]]
        for b, col in enumerate(cols):
            err = abs(mine[b] - float(r[col]))
            worst = max(worst, err)
            assert err <= 0.0051, (r["file"], r["system"], col, mine[b], r[col])
    assert len(rows) == 48 * 4, len(rows)
    table = _baseline_band_tables()
    checked = 0
    for (subset, name), printed in table.items():
        ids = [c["id"] for c in clips if subset == "all" or c["snr"] == subset]
        med = [float(np.median([got[i][name][b] for i in ids])) for b in range(5)]
        for b in range(5):
            assert abs(med[b] - printed[b]) <= 0.0501, (subset, name, b, med[b], printed[b])
            checked += 1
    assert checked == (4 + 6 * 3) * 5, checked
    print(f"    {len(rows)} band_levels.csv rows (largest difference {worst:.4f} dB) and {checked} BASELINE.md "
          f"band medians reproduced")


@case
def rnnoise_v0_2_reproduced():
    A.ensure_packages()
    with tempfile.TemporaryDirectory() as d:
        ids = ("001", "017", "041")
        A.denoise_files([(os.path.join(DEVSET_WB, "noisy", c + ".flac"), os.path.join(d, c + ".wav"))
                         for c in ids], "v0.2")
        res = A.compare(d, os.path.join(DEVSET_WB, "rnnoise_v0.2"), ids)
        for cid, (diff, _, n) in res.items():
            assert diff == 0, f"{cid}: ours differs from the shipped file by {diff} 16-bit steps"
        print("    " + ", ".join(f"{cid}: {n} samples bit-identical" for cid, (_, _, n) in res.items()))
        # Bad input: a byte count that is not whole float32 samples, an unknown engine, a missing file.
        odd = os.path.join(d, "odd.f32")
        with open(odd, "wb") as f:
            f.write(b"\0" * 7)
        for argv in ([odd, os.path.join(d, "o.f32")], ["--engine", "nope", odd, os.path.join(d, "o.f32")],
                     [os.path.join(d, "missing.f32"), os.path.join(d, "o.f32")], [odd]):
            p = subprocess.run(["node", A.HARNESS] + argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, timeout=60)
            assert p.returncode != 0 and "rnnoise.mjs:" in p.stderr, (argv, p.returncode, p.stderr)
            assert not os.path.exists(os.path.join(d, "o.f32")), argv


@case
def eval_devset_wb():
    with tempfile.TemporaryDirectory() as d:
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            sc = E.main(["--devset", DEVSET_WB, "--clips", "001,017", "--cmd", "sox {in} {out}",
                         "--anchors", "", "--name", "copy", "--workdir", d])["devset-wb"]
        text = buf.getvalue()
    for cid in ("001", "017"):
        assert sc["copy"][cid]["bands"] == sc["noisy"][cid]["bands"], cid
        assert sc["copy"][cid]["si_sdri"] == 0.0
    assert "| all | copy | 2 |" in text and "| SNR >= 5 dB | copy | 1 |" in text, text
    assert "`rnnoise_v0.2`: the set's shipped rnnoise_v0.2/ files" in text, text
    # Doing nothing cannot pass: SI-SDRi 0 < RNNoise 0.2's + 2 dB.
    assert re.search(r"FAIL  devset-wb  SI-SDRi +copy 0\.00 dB", text), text
    assert "not the Done-when figures" in text, text


def main():
    passed = failed = 0
    for fn in _results:
        t0 = time.monotonic()
        try:
            fn()
        except (Exception, SystemExit):  # report every failure (incl. a missing node), keep going
            failed += 1
            print(f"FAIL {fn.__name__}")
            traceback.print_exc()
        else:
            passed += 1
            print(f"ok   {fn.__name__} ({time.monotonic() - t0:.1f} s)")
    print(f"test_eval_anchors: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
