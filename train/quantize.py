#!/usr/bin/python3
"""Writes a copy of a Statewave model file with chosen weight matrices stored as BF16.

    train/quantize.py IN OUT [--tensors PATTERN[,PATTERN...]] [--list]

Only the weight matrices that the C core multiplies with sw_matvec may be BF16 (dsp/FORMAT.md):
`<linear>.weight`, `<pool>.down.weight` / `<pool>.up.weight` and the four projections of a
mamba layer. Without --tensors all of them are converted; with it, those whose names match one
of the shell-style patterns (fnmatch), e.g. --tensors 'c*_ff*.weight,pool2.*'. A pattern that
matches no eligible matrix is an error, so a typo does not silently write an F32 copy.
Values are rounded to nearest even; every other tensor (biases, norms, SSM parameters,
golden.*, extra.*) is copied unchanged. --list prints the eligible names and exits.

The BF16 file halves the bytes those products read; what it costs in accuracy is measured per
model (README "Core benchmark", bf16 rows), not assumed.
"""
import argparse
import fnmatch
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from swtorch import safetensors_io  # noqa: E402

MAMBA_MATS = ("in_proj.weight", "x_proj.weight", "dt_proj.weight", "out_proj.weight")


def eligible(layers):
    """Names of the tensors that may be BF16, in config order."""
    out = []
    for layer in layers:
        t = layer.get("type")
        if t == "linear":
            out.append(layer["name"] + ".weight")
        elif t == "pool":
            out += [layer["name"] + ".down.weight", layer["name"] + ".up.weight"]
        elif t == "mamba":
            out += ["%s.%s" % (layer["name"], m) for m in MAMBA_MATS]
        if t in ("pool", "residual"):
            out += eligible(layer.get("layers", []))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("inp", metavar="IN")
    ap.add_argument("out", metavar="OUT", nargs="?")
    ap.add_argument("--tensors", help="comma-separated fnmatch patterns (default: every eligible matrix)")
    ap.add_argument("--list", action="store_true", help="print the eligible tensor names and exit")
    a = ap.parse_args(argv)
    dtypes = {}
    tensors, meta = safetensors_io.read(a.inp, dtypes)
    if "config" not in meta:
        sys.exit("quantize: %s has no config in __metadata__" % a.inp)
    names = eligible(json.loads(meta["config"]).get("layers", []))
    if a.list:
        print("\n".join(names))
        return 0
    if not a.out:
        ap.error("OUT is required (unless --list)")
    chosen = set(names)
    if a.tensors:
        chosen = set()
        for pat in (p.strip() for p in a.tensors.split(",") if p.strip()):
            hit = [n for n in names if fnmatch.fnmatchcase(n, pat)]
            if not hit:
                sys.exit("quantize: pattern %r matches no eligible matrix (see --list)" % pat)
            chosen.update(hit)
    chosen |= {n for n, d in dtypes.items() if d == "BF16"}   # stays BF16 if it already was
    safetensors_io.write(a.out, tensors, meta, bf16=chosen)
    before, after = os.path.getsize(a.inp), os.path.getsize(a.out)
    err = max((float(np.max(np.abs(safetensors_io.bf16_round(tensors[n]) - tensors[n])
                            / np.maximum(np.abs(tensors[n]), 1e-30))) for n in chosen), default=0.0)
    print("quantize: %d of %d eligible matrices as BF16; %d -> %d bytes (%.2fx); max relative rounding %.2e"
          % (len(chosen), len(names), before, after, after / before, err))
    return 0


if __name__ == "__main__":
    sys.exit(main())
