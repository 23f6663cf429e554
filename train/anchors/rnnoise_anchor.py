#!/usr/bin/python3
"""RNNoise anchors run by us: the npm WebAssembly builds under Node.js (train/anchors/rnnoise.mjs).

    /usr/bin/python3 train/anchors/rnnoise_anchor.py --devset ../shared/data/devset --out DIR
    /usr/bin/python3 train/anchors/rnnoise_anchor.py --check ../shared/data/devset-wb

  v0.2    @jitsi/rnnoise-wasm 0.2.1 (the RNNoise 0.2 model), the anchor of the "Done when" checks
  master  @shiguredo/rnnoise-wasm 2025.1.5 (RNNoise master)

The exact versions are pinned in train/anchors/package.json and package-lock.json; the packages are
installed on first use with `npm ci` into train/anchors/node_modules (git-ignored). Each noisy clip is
read the way train/metrics.py reads audio, resampled to 48 kHz if it is at another rate, sent through
the harness as float32 and written as 16-bit WAV at 48 kHz (x * 32768 rounded, as the outputs
shipped in ../shared/data/devset-wb/rnnoise_v0.2/ were stored), with the input's length.

cache(devset, out_root, engine) fills out_root/<set>/rnnoise_<engine>/NNN.wav for every clip of the
set's MANIFEST.tsv and reuses it on later calls; a STAMP file names the package version and a hash
of the harness, and a cache made by another version is rebuilt. --check compares our v0.2 outputs
with the shipped rnnoise_v0.2/ files (max difference in 16-bit steps, SI-SDR of ours against theirs).
"""

import argparse
import concurrent.futures
import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))
import metrics  # noqa: E402  (train/metrics.py)

FS = 48000
HARNESS = os.path.join(HERE, "rnnoise.mjs")
ENGINES = {"v0.2": "@jitsi/rnnoise-wasm", "master": "@shiguredo/rnnoise-wasm"}


def _need(tool):
    if shutil.which(tool) is None:
        raise SystemExit(f"rnnoise_anchor: `{tool}` not found; the RNNoise anchors need Node.js (>= 18) "
                         f"and npm (Debian packages nodejs and npm, or the machine's own install)")


def package_version(engine):
    """(version, integrity) of the engine's npm package as pinned in package-lock.json."""
    with open(os.path.join(HERE, "package-lock.json"), encoding="utf-8") as f:
        lock = json.load(f)
    p = lock["packages"]["node_modules/" + ENGINES[engine]]
    return p["version"], p.get("integrity", "")


def ensure_packages():
    """Install the pinned packages (npm ci) unless node_modules already holds them."""
    _need("node")
    want = {ENGINES[e]: package_version(e)[0] for e in ENGINES}
    ok = True
    for name, ver in want.items():
        pj = os.path.join(HERE, "node_modules", name, "package.json")
        try:
            with open(pj, encoding="utf-8") as f:
                ok = ok and json.load(f).get("version") == ver
        except OSError:
            ok = False
    if ok:
        return
    _need("npm")
    print(f"rnnoise_anchor: npm ci in {os.path.relpath(HERE, REPO)} ("
          + ", ".join(f"{n}@{v}" for n, v in want.items()) + ")", file=sys.stderr)
    p = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=HERE,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        raise SystemExit(f"rnnoise_anchor: npm ci failed (exit {p.returncode}):\n{p.stdout[-3000:]}")


def stamp(engine):
    """Text that identifies what produced a cache: package version + integrity, harness hash."""
    ver, integ = package_version(engine)
    with open(HARNESS, "rb") as f:
        h = hashlib.sha256(f.read()).hexdigest()[:16]
    return f"engine {engine}: {ENGINES[engine]} {ver} {integ}; rnnoise.mjs sha256 {h}; 16-bit WAV\n"


def denoise_files(pairs, engine="v0.2"):
    """Denoise [(input audio path, output .wav path)] in one Node process, in order.

    Returns the number of output samples clipped to 16 bits (over all files). Raises on any error.
    """
    if not pairs:
        return 0
    with tempfile.TemporaryDirectory(prefix="rnnoise_") as tmp:
        argv = ["node", HARNESS, "--engine", engine]
        for i, (src, _) in enumerate(pairs):
            x, fs = metrics.read_audio(src)
            if fs != FS:
                x = metrics.resample(x, fs, FS)
            raw = os.path.join(tmp, f"{i}.in.f32")
            x.astype("<f4").tofile(raw)
            argv += [raw, os.path.join(tmp, f"{i}.out.f32")]
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if p.returncode != 0:
            raise RuntimeError(f"rnnoise.mjs failed (exit {p.returncode}): {p.stderr.strip()[-2000:]}")
        clipped = 0
        for i, (_, dst) in enumerate(pairs):
            y = np.fromfile(os.path.join(tmp, f"{i}.out.f32"), dtype="<f4").astype(np.float64)
            n_in = os.path.getsize(os.path.join(tmp, f"{i}.in.f32")) // 4
            if len(y) != n_in:
                raise RuntimeError(f"rnnoise.mjs: {len(y)} output samples for {n_in} input samples")
            clipped += metrics.write_wav16(dst, y, FS)
    return clipped


def read_ids(devset):
    """Clip ids from the set's MANIFEST.tsv (first column after the comment lines and header)."""
    ids = []
    with open(os.path.join(devset, "MANIFEST.tsv"), encoding="utf-8") as f:
        lines = [ln for ln in f if ln.strip() and not ln.startswith("#")]
    for ln in lines[1:]:
        ids.append(ln.split("\t", 1)[0])
    if not ids:
        raise SystemExit(f"rnnoise_anchor: no clips in {devset}/MANIFEST.tsv")
    return ids


def cache(devset, out_root, engine="v0.2", jobs=2, log=sys.stderr):
    """Fill out_root/<set name>/rnnoise_<engine>/NNN.wav for every clip of devset; reuse what is there.

    Returns (folder, number of clips processed now, samples clipped now).
    """
    devset = os.path.abspath(devset)
    folder = os.path.join(out_root, os.path.basename(devset.rstrip("/")), "rnnoise_" + engine)
    ids = read_ids(devset)
    want = stamp(engine)
    stamp_path = os.path.join(folder, "STAMP")
    have = open(stamp_path, encoding="utf-8").read() if os.path.isfile(stamp_path) else None
    if have != want and os.path.isdir(folder):
        shutil.rmtree(folder)  # made by another package version or harness: never mix
    os.makedirs(folder, exist_ok=True)
    with open(stamp_path, "w", encoding="utf-8") as f:
        f.write(want)
    todo = [cid for cid in ids if not os.path.isfile(os.path.join(folder, cid + ".wav"))]
    if not todo:
        return folder, 0, 0
    ensure_packages()
    print(f"rnnoise_anchor: RNNoise {engine} on {len(todo)} clips of {os.path.basename(devset)} -> "
          f"{os.path.relpath(folder, REPO)}", file=log)
    pairs = [(os.path.join(devset, "noisy", cid + ".flac"), os.path.join(folder, cid + ".wav"))
             for cid in todo]
    jobs = max(1, min(jobs, len(pairs)))
    chunks = [pairs[i::jobs] for i in range(jobs)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as ex:
        clipped = sum(ex.map(lambda c: denoise_files(c, engine), chunks))
    return folder, len(todo), clipped


def compare(ours_dir, shipped_dir, ids):
    """Ours vs shipped per clip: {id: (max |diff| in 16-bit steps, SI-SDR of ours vs shipped, n)}."""
    res = {}
    for cid in ids:
        a, fa = metrics.read_audio(os.path.join(ours_dir, cid + ".wav"))
        b, fb = metrics.read_audio(os.path.join(shipped_dir, cid + ".flac"))
        if fa != fb or len(a) != len(b):
            res[cid] = (math.inf, -math.inf, len(a))
            continue
        d = float(np.max(np.abs(a - b))) * 32768.0
        res[cid] = (d, metrics.si_sdr(b, a), len(a))
    return res


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--devset", help="dev set folder with noisy/ and MANIFEST.tsv")
    ap.add_argument("--out", default=os.path.join(REPO, "build", "anchors"),
                    help="cache root (default build/anchors); outputs go to OUT/<set>/rnnoise_<engine>/")
    ap.add_argument("--engine", default="v0.2", choices=sorted(ENGINES))
    ap.add_argument("--check", metavar="DEVSET_WB",
                    help="run v0.2 on this set (cached) and compare with its shipped rnnoise_v0.2/ files")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    a = ap.parse_args(argv)
    if not a.devset and not a.check:
        ap.error("give --devset and/or --check")
    if a.devset:
        folder, n, clipped = cache(a.devset, a.out, a.engine, a.jobs)
        print(f"{folder}: {n} clips processed now, {clipped} samples clipped to 16 bits")
    if a.check:
        folder, _, _ = cache(a.check, a.out, "v0.2", a.jobs)
        ids = read_ids(a.check)
        res = compare(folder, os.path.join(a.check, "rnnoise_v0.2"), ids)
        print("| clip | samples | max abs difference (16-bit steps) | SI-SDR ours vs shipped (dB) |")
        print("|---|---|---|---|")
        for cid, (d, s, n) in res.items():
            print(f"| {cid} | {n} | {d:g} | {s:.1f} |")
        worst = max(v[0] for v in res.values())
        print(f"\n{len(res)} clips; largest difference {worst:g} steps of 16 bits "
              f"({sum(v[0] == 0 for v in res.values())} clips bit-identical)")
        return 0 if worst == 0 else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
