#!/usr/bin/python3
"""Golden vectors: committed tests/data/golden_*.safetensors vs the PyTorch code that makes them.

For every case of train/make_goldens.py:
  1. regenerate it into a temp dir and compare with the committed file: same config, same tensor
     names and shapes, same parameters and input (float32 rounding aside), output within 1e-5 of
     max|y| (so a layer change that alters the math cannot slip by with stale goldens);
  2. load the committed file with swtorch.export.load_model (the Python loader enforces FORMAT.md)
     and recompute its output in float64 with the parallel form: within 1e-5 of max|y|;
  3. parallel == recurrent: the reference Python step() in float64 matches the parallel form
     within 1e-4 * max|y|, and so does a float32 step() (what the C library does) against the
     stored golden output;
  4. the denoise cases (make_goldens.DENOISE_CASES: the version-2 denoise model with deep filtering)
     regenerate to the committed file (check 1; their output is the pipeline's audio, golden.denoise_out);
  5. the BF16 cases (make_goldens.BF16_CASES): checks 1-3 on the file with bf16 weight matrices,
     which the Python loader widens exactly as the C loader does, and those matrices are stored BF16;
  6. the Python loader rejects corrupted copies (wrong shape, unused tensor, NaN, bad dtype,
     truncated file, widths that disagree).
Exits non-zero with a message naming the case and the check on any failure.
Run with Debian's torch: /usr/bin/python3 tests/py/test_goldens.py
"""
import copy
import json
import os
import struct
import sys
import tempfile
import time

import numpy as np
import torch

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "train"))
import make_goldens                                            # noqa: E402
from swtorch import safetensors_io                             # noqa: E402
from swtorch.export import load_model, read_model_file         # noqa: E402

DATA = os.path.join(REPO, "tests", "data")
failures = []


def check(ok, msg):
    if not ok:
        failures.append(msg)
        print("FAIL: " + msg)
    return ok


def rel_err(a, b, ref):
    return float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64)))) / max(float(np.max(np.abs(ref))), 1e-30)


def compare_regenerated(case, committed, fresh):
    t_c, m_c = safetensors_io.read(committed)
    t_f, m_f = safetensors_io.read(fresh)
    check(m_c.get("format") == "statewave", "%s: committed file format tag is %r" % (case, m_c.get("format")))
    check(json.loads(m_c["config"]) == json.loads(m_f["config"]),
          "%s: config differs from make_goldens.py's (regenerate with train/make_goldens.py)" % case)
    if not check(set(t_c) == set(t_f), "%s: tensor names differ: %s" % (case, sorted(set(t_c) ^ set(t_f)))):
        return
    for k in sorted(t_c):
        if not check(t_c[k].shape == t_f[k].shape, "%s: %s shape %s != regenerated %s"
                     % (case, k, t_c[k].shape, t_f[k].shape)):
            continue
        tol = 1e-5 if k in ("golden.output", "golden.denoise_out") else 1e-6
        e = rel_err(t_c[k], t_f[k], t_c[k])
        check(e <= tol, "%s: %s differs from the regenerated one by %.3g of max (tolerance %g)" % (case, k, e, tol))


def check_parallel_and_step(case, path):
    net = load_model(path, init=make_goldens.GOLDEN_INIT)
    x32 = torch.from_numpy(net.extra_tensors["golden.input"])[None]
    y_gold = net.extra_tensors["golden.output"]
    check(x32.shape[1] >= 4096, "%s: T = %d < 4096" % (case, x32.shape[1]))
    check(np.max(np.abs(y_gold)) > 0, "%s: golden output is all zero" % case)
    with torch.no_grad():
        y_step32 = net.run_steps(x32)[0].numpy()
        net64 = net.double()
        x64 = x32.double()
        y_par = net64(x64)[0].numpy()
        y_step = net64.run_steps(x64)[0].numpy()
    e_par = rel_err(y_par, y_gold, y_gold)
    e_step = rel_err(y_step, y_par, y_par)
    e_step32 = rel_err(y_step32, y_gold, y_gold)
    check(e_par <= 1e-5, "%s: parallel float64 output of the committed weights is %.3g of max|y| off the stored golden"
          % (case, e_par))
    check(e_step <= 1e-4, "%s: Python step() (float64) differs from the parallel form by %.3g of max|y|" % (case, e_step))
    check(e_step32 <= 1e-4, "%s: Python step() (float32) differs from the golden by %.3g of max|y|" % (case, e_step32))
    return e_par, e_step, e_step32


def _rewrite(src, dst, mutate):
    """Copy a model file through a mutation of (tensors, metadata)."""
    t, m = safetensors_io.read(src)
    t, m = mutate(t, m)
    safetensors_io.write(dst, t, m)


def check_loader_rejects(tmp):
    src = os.path.join(DATA, "golden_s4d_zoh.safetensors")

    def bad_shape(t, m):
        t["s4d.D"] = np.zeros(15, np.float32)
        return t, m

    def unused(t, m):
        t["stray.weight"] = np.zeros(3, np.float32)
        return t, m

    def nan(t, m):
        t["s4d.C_re"] = t["s4d.C_re"].copy()
        t["s4d.C_re"][0, 0] = np.nan
        return t, m

    def missing(t, m):
        del t["s4d.B_im"]
        return t, m

    def widths(t, m):
        cfg = json.loads(m["config"])
        cfg["d_output"] = 15
        m["config"] = json.dumps(cfg)
        return t, m

    def state_limit(t, m):
        cfg = json.loads(m["config"])
        cfg["layers"][0]["n"] = 2048
        m["config"] = json.dumps(cfg)
        return t, m

    for name, mut in [("bad_shape", bad_shape), ("unused", unused), ("nan", nan), ("missing", missing),
                      ("widths", widths), ("state_limit", state_limit)]:
        dst = os.path.join(tmp, "bad_%s.safetensors" % name)
        _rewrite(src, dst, mut)
        try:
            read_model_file(dst)
            check(False, "loader accepted a corrupted file (%s)" % name)
        except ValueError:
            pass
    # Raw-byte corruptions: F16 dtype and a truncated file.
    with open(src, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    hdr = blob[8:8 + n].decode().replace('"F32"', '"F16"', 1)
    for name, data in [("dtype", blob[:8] + hdr.encode() + blob[8 + n:]), ("truncated", blob[:len(blob) // 2])]:
        dst = os.path.join(tmp, "bad_%s.safetensors" % name)
        with open(dst, "wb") as f:
            f.write(data)
        try:
            read_model_file(dst)
            check(False, "loader accepted a corrupted file (%s)" % name)
        except ValueError:
            pass


def main():
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)            # same reduction order on every machine
    t0 = time.time()
    cases = sorted(make_goldens.CASES)
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases:
            committed = os.path.join(DATA, "golden_%s.safetensors" % case)
            if not check(os.path.exists(committed), "%s: %s is missing (run train/make_goldens.py)" % (case, committed)):
                continue
            check(os.path.getsize(committed) < 1 << 20, "%s: golden file is over 1 MB" % case)
            fresh = make_goldens.write_case(case, tmp)
            compare_regenerated(case, committed, fresh)
            e = check_parallel_and_step(case, committed)
            print("%-13s parallel vs golden %.1e, step64 vs parallel %.1e, step32 vs golden %.1e  (of max|y|)"
                  % (case, e[0], e[1], e[2]))
        for case in make_goldens.BF16_CASES:
            committed = os.path.join(DATA, "golden_%s.safetensors" % case)
            if not check(os.path.exists(committed), "%s: %s is missing (run train/make_goldens.py)" % (case, committed)):
                continue
            dtypes = {}
            safetensors_io.read(committed, dtypes)
            check(sum(d == "BF16" for d in dtypes.values()) > 0, "%s: no BF16 tensor in the file" % case)
            compare_regenerated(case, committed, make_goldens.write_bf16_case(case, tmp))
            e = check_parallel_and_step(case, committed)
            print("%-13s parallel vs golden %.1e, step64 vs parallel %.1e, step32 vs golden %.1e  (of max|y|)"
                  % (case, e[0], e[1], e[2]))
        for case in make_goldens.DENOISE_CASES:
            committed = os.path.join(DATA, "%s_golden.safetensors" % case)
            if not check(os.path.exists(committed), "%s: %s is missing (run train/make_goldens.py)" % (case, committed)):
                continue
            check(os.path.getsize(committed) < 1 << 20, "%s: golden file is over 1 MB" % case)
            compare_regenerated(case, committed, make_goldens.write_denoise_case(case, tmp))
            print("%-13s regenerated = committed" % case)
        check_loader_rejects(tmp)
    if failures:
        print("test_goldens: %d FAILURE(S)" % len(failures))
        sys.exit(1)
    print("test_goldens: %d cases OK (torch %s, %.1f s)" % (len(cases), torch.__version__, time.time() - t0))


if __name__ == "__main__":
    main()
