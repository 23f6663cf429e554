#!/usr/bin/python3
"""C generator vs PyTorch on the shipped model: next-sample distributions, teacher-forced.

The input is real held-out audio (tests/data/gen_prompt_16k.wav, a test-split piece, never
trained on), mu-law encoded. For t = 0..N-1 (N = 10,000) both sides give the distribution of
sample t after seeing the start code and samples 0..t-1:
  - C:       build/tools/gen_probe dist (sw_generator_distribution / sw_generator_prime_codes)
  - PyTorch: swtorch Net.step() (the per-layer recurrent reference), softmax in float64
and the parallel form (Net.forward over the whole sequence, what training optimized) is
checked against the same C rows. Pass: max |p_C - p_torch| <= 1e-3 over all N x 256 values.
Run from the repository root (make test-scripts does).
"""
import os
import subprocess
import sys
import tempfile
import time
import wave

import numpy as np
import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "train"))
sys.path.insert(0, os.path.join(ROOT, "train", "sashimi"))
from swtorch.export import load_model  # noqa: E402
from mulaw import mulaw_encode  # noqa: E402

MODEL = os.path.join(ROOT, "presets", "generate.safetensors")
PROMPT = os.path.join(ROOT, "tests", "data", "gen_prompt_16k.wav")
PROBE = os.path.join(ROOT, "build", "tools", "gen_probe")
N = 10000
TOL = 1e-3


def main():
    torch.set_num_threads(1)
    with wave.open(PROMPT, "rb") as w:
        assert w.getnchannels() == 1 and w.getsampwidth() == 2 and w.getframerate() == 16000
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2") / 32768.0
    codes = mulaw_encode(x[:N])
    assert len(codes) == N, "prompt shorter than %d samples" % N

    net = load_model(MODEL)
    start = net.config["task_params"]["start_code"]
    inp = torch.tensor(np.concatenate([[start], codes[:-1]]), dtype=torch.float32).view(1, N, 1)

    t0 = time.time()
    state = net.init_state(1)
    rows = []
    with torch.no_grad():
        for t in range(N):
            y, state = net.step(inp[:, t], state)
            rows.append(y[0])
    logits_step = torch.stack(rows).double()
    t_step = time.time() - t0
    with torch.no_grad():
        logits_par = net(inp)[0].double()
    p_step = torch.softmax(logits_step, dim=-1).numpy()
    p_par = torch.softmax(logits_par, dim=-1).numpy()

    with tempfile.TemporaryDirectory() as tmp:
        cpath, opath = os.path.join(tmp, "codes.u8"), os.path.join(tmp, "dist.f32")
        codes.astype(np.uint8).tofile(cpath)
        subprocess.run([PROBE, "dist", MODEL, cpath, str(N), opath], check=True)
        p_c = np.fromfile(opath, dtype="<f4").reshape(N, 256).astype(np.float64)

    d_step = np.abs(p_c - p_step).max()
    d_par = np.abs(p_c - p_par).max()
    idx = np.arange(N)
    nll = lambda p: -np.mean(np.log2(np.maximum(p[idx, codes], 1e-30)))  # noqa: E731
    print("teacher-forced over %d real samples: max |p_C - p_step| = %.2e, max |p_C - p_parallel| = %.2e (tol %.0e)"
          % (N, d_step, d_par, TOL))
    print("NLL bits/sample: C %.4f, PyTorch step %.4f, PyTorch parallel %.4f; PyTorch step() took %.1f s"
          % (nll(p_c), nll(p_step), nll(p_par), t_step))
    ok = d_step <= TOL and d_par <= TOL and np.allclose(p_c.sum(1), 1.0, atol=1e-4)
    print("1 passed, 0 failed" if ok else "0 passed, 1 failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
