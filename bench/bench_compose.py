#!/usr/bin/python3
"""Cost per event of the composer: the C engine (build/tools/compose_probe cost: sw_composer_next,
5 runs of EVENTS draws from nothing, median) and PyTorch's recurrent Net.step() on one thread (the
same model, 5 runs of 300 steps, median), interleaved in one run, and their ratio. Issue 14 asks
<= 50 us per event in C on one core.

    bench/bench_compose.py [MODEL ...]          (default: presets/compose.safetensors)
"""
import os
import subprocess
import sys
import time

import numpy as np
import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path[:0] = [os.path.join(ROOT, "train")]
from swtorch.export import load_model  # noqa: E402

PROBE = os.path.join(ROOT, "build", "tools", "compose_probe")
START = 388


def torch_us(net, steps=300):
    x = torch.tensor([[float(START)]])
    with torch.no_grad():
        state = net.init_state(1)
        t0 = time.perf_counter()
        for _ in range(steps):
            y, state = net.step(x, state)
            x = torch.tensor([[float(int(torch.argmax(y[0])))]])
    return (time.perf_counter() - t0) / steps * 1e6


def main():
    torch.set_num_threads(1)
    models = sys.argv[1:] or [os.path.join(ROOT, "presets", "compose.safetensors")]
    with open("/proc/cpuinfo") as f:
        cpu = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "?")
    print("CPU: %s; load average %.2f" % (cpu, os.getloadavg()[0]))
    print("| model | params | C us/event (median of 5 x 5) | PyTorch step() us (median of 5) | ratio |")
    print("|---|---|---|---|---|")
    for m in models:
        net = load_model(m).eval()
        c, p = [], []
        for _ in range(5):
            out = subprocess.run([PROBE, "cost", m, "3000"], capture_output=True, text=True, check=True)
            c.append(float(out.stdout))
            p.append(torch_us(net))
        params = sum(t.numel() for t in net.parameters())
        print("| %s | %d | %.1f [%.1f, %.1f] | %.0f [%.0f, %.0f] | %.0fx |" % (
            os.path.relpath(m, ROOT), params, np.median(c), min(c), max(c), np.median(p), min(p), max(p),
            np.median(p) / np.median(c)))


if __name__ == "__main__":
    main()
