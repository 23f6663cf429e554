#!/usr/bin/python3
"""Music generator speed: C (libstatewave) next to PyTorch step() on the same weights.

    bench/bench_generate.py [--seconds 10] [--torch-seconds 10]     (make bench runs it)

Both at batch 1 on one thread, timing this thread's CPU time, after priming with the first
second of the held-out prompt tests/data/gen_prompt_16k.wav (PyTorch: its first 2000 samples,
to keep the run short). PyTorch generates with swtorch Net.step() (per-layer recurrent form),
softmax and torch.multinomial, feeding each sample back, i.e. the same loop as the C engine.
Real time at 16 kHz needs 16,000 samples/s.
"""
import argparse
import os
import re
import subprocess
import sys
import time
import wave

import numpy as np
import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "train"))
sys.path.insert(0, os.path.join(ROOT, "train", "sashimi"))
from swtorch.export import load_model  # noqa: E402
from mulaw import mulaw_encode  # noqa: E402

MODEL = os.path.join(ROOT, "presets", "generate.safetensors")
PROMPT = os.path.join(ROOT, "tests", "data", "gen_prompt_16k.wav")
BIN = os.path.join(ROOT, os.environ.get("BUILD", "build"), "bench", "bench_generate")


def torch_rate(seconds):
    torch.set_num_threads(1)
    torch.manual_seed(1)
    net = load_model(MODEL)
    rate = net.config["task_params"]["sample_rate"]
    with wave.open(PROMPT, "rb") as w:
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2") / 32768.0
    prompt = mulaw_encode(x[:2000])
    state = net.init_state(1)
    with torch.no_grad():
        y, state = net.step(torch.tensor([[float(net.config["task_params"]["start_code"])]]), state)
        for c in prompt:
            y, state = net.step(torch.tensor([[float(c)]]), state)
        n, t0 = 0, time.thread_time()
        while time.thread_time() - t0 < seconds:
            code = torch.multinomial(torch.softmax(y[0], dim=-1), 1)
            y, state = net.step(code.view(1, 1).float(), state)
            n += 1
        t = time.thread_time() - t0
    return n / t, rate, n


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=10.0, help="audio seconds rendered per C setting")
    ap.add_argument("--torch-seconds", type=float, default=10.0, help="CPU seconds of PyTorch generation")
    args = ap.parse_args()
    if not os.path.exists(BIN):
        sys.exit("bench_generate.py: %s missing (run make)" % BIN)
    out = subprocess.run([BIN, MODEL, PROMPT, str(args.seconds)], check=True, capture_output=True, text=True).stdout
    print(out, end="")
    c_rate = float(re.search(r"render T=1 top_p=1: (\d+) samples/s", out).group(1))
    t_rate, rate, n = torch_rate(args.torch_seconds)
    print("PyTorch %s step() generation (T=1, batch 1, 1 thread): %.0f samples/s = %.4f x real time (%d samples)"
          % (torch.__version__, t_rate, t_rate / rate, n))
    print("C / PyTorch step(): %.0f x" % (c_rate / t_rate))


if __name__ == "__main__":
    main()
