#!/usr/bin/python3
"""Test NLL table (bits/sample) on the held-out pieces, computed by the C engine in float32.

    make build/tools/gen_probe && /usr/bin/python3 train/sashimi/eval_nll.py [--jobs 2]

Every test clip of .devdata_gen/test.npy (build_data.py; pieces never seen in training) is
scored from a fresh generator state (start code, then teacher forcing), exactly as
train.py's nll_bits does in PyTorch, by build/tools/gen_probe nll. Models: the shipped
presets/generate.safetensors, the one-block baseline train/sashimi/results/baseline.safetensors,
and the uniform distribution (8 bits). Writes train/sashimi/results/nll_table.md.
"""
import argparse
import os
import re
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PROBE = os.path.join(ROOT, "build", "tools", "gen_probe")
MODELS = [("SaShiMi-style U-Net (shipped)", os.path.join(ROOT, "presets", "generate.safetensors")),
          ("baseline: one S4D+GLU block at 16 kHz", os.path.join(ROOT, "train", "sashimi", "results", "baseline.safetensors"))]


def clip_nll(model, path, n):
    out = subprocess.run([PROBE, "nll", model, path, str(n)], check=True, capture_output=True, text=True).stdout
    return float(re.match(r"([0-9.]+) bits", out).group(1))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(ROOT, ".devdata_gen"))
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--out", default=os.path.join(ROOT, "train", "sashimi", "results", "nll_table.md"))
    args = ap.parse_args()
    test = np.load(os.path.join(args.data, "test.npy"))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, clip in enumerate(test):
            p = os.path.join(tmp, "%03d.u8" % i)
            clip.astype(np.uint8).tofile(p)
            paths.append(p)
        for name, model in MODELS:
            params = subprocess.run([PROBE, "nll", model, paths[0], "1"], check=True, capture_output=True, text=True)
            with ThreadPoolExecutor(max_workers=args.jobs) as ex:
                bits = list(ex.map(lambda p: clip_nll(model, p, test.shape[1]), paths))
            rows.append((name, os.path.relpath(model, ROOT), float(np.mean(bits))))
            print("%s: %.4f bits/sample" % (name, rows[-1][2]), flush=True)
            del params
    rows.append(("uniform over 256 codes", "-", 8.0))
    lines = ["| model | file | test NLL (bits/sample) |", "|---|---|---|"]
    lines += ["| %s | %s | %.4f |" % r for r in rows]
    text = ("Held-out test set: %d clips x %.1f s (%d samples) from %s pieces never used in training; "
            "scored by the C engine (float32), fresh state per clip.\n\n" %
            (test.shape[0], test.shape[1] / 16000, test.size, "held-out") + "\n".join(lines) + "\n")
    with open(args.out, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
