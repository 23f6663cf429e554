#!/usr/bin/python3
"""Training smoke test for train/swtorch (CPU, tiny sizes, well under 20 s).

Toy causal task: from white noise u [T, 2] predict
    y_t = 0.8 u_{t-5,0} + (exponential moving average, pole 0.95, of u_1)_t
which needs memory (a 5-frame delay and a long decay) and no look-ahead. A tiny net with
linear, pre-norm residual S4D / LRU / Mamba blocks and a pool stage is trained with Adam for
300 steps. Checks:
  - the validation loss falls by at least a factor LOSS_FACTOR (it starts near 1.3);
  - export -> load_model round trip gives the same outputs (float32, 1e-6 of max|y|);
  - the reloaded net's recurrent step() matches its parallel form (1e-4 of max|y|).
Exits non-zero with a message on failure.
"""
import os
import sys
import tempfile
import time

import numpy as np
import torch

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "train"))
from swtorch.net import Net                      # noqa: E402
from swtorch.export import save_model, load_model  # noqa: E402

LOSS_FACTOR = 5.0
STEPS = 300

CONFIG = {"version": 1, "d_input": 2, "d_output": 1, "task": "test", "layers": [
    {"type": "linear", "name": "inp", "d_in": 2, "d_out": 16},
    {"type": "residual", "layers": [
        {"type": "norm", "name": "n1", "kind": "rms", "d": 16},
        {"type": "s4d", "name": "s4d1", "d": 16, "n": 8, "disc": "zoh"},
        {"type": "act", "fn": "gelu", "d": 16}]},
    {"type": "residual", "layers": [
        {"type": "norm", "name": "n2", "kind": "layer", "d": 16},
        {"type": "lru", "name": "lru1", "d": 16, "n": 8}]},
    {"type": "pool", "name": "pool1", "d": 16, "factor": 2, "expand": 1, "layers": [
        {"type": "residual", "layers": [
            {"type": "norm", "name": "n3", "kind": "rms", "d": 16},
            {"type": "mamba", "name": "mb1", "d": 16, "d_inner": 16, "d_state": 4, "d_conv": 3, "dt_rank": 1}]}]},
    {"type": "linear", "name": "out", "d_in": 16, "d_out": 1}]}


def make_batch(gen, batch, T):
    u = torch.randn(batch, T, 2, generator=gen)
    y = torch.zeros(batch, T, 1)
    y[:, 5:, 0] = 0.8 * u[:, :-5, 0]
    ema = torch.zeros(batch)
    for t in range(T):
        ema = 0.95 * ema + 0.3 * u[:, t, 1]
        y[:, t, 0] += ema
    return u, y


def main():
    t0 = time.time()
    torch.manual_seed(0)
    torch.set_num_threads(1)            # tiny tensors: threads only add overhead
    gen = torch.Generator().manual_seed(1)
    net = Net(CONFIG)
    u_val, y_val = make_batch(gen, 8, 256)
    with torch.no_grad():
        loss0 = torch.mean((net(u_val) - y_val) ** 2).item()
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    for it in range(STEPS):
        u, y = make_batch(gen, 8, 128)
        loss = torch.mean((net(u) - y) ** 2)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        loss1 = torch.mean((net(u_val) - y_val) ** 2).item()
    print("loss %.4f -> %.4f (factor %.1f, need >= %.1f) after %d steps" % (loss0, loss1, loss0 / loss1, LOSS_FACTOR, STEPS))
    fails = []
    if not np.isfinite(loss1) or loss0 / loss1 < LOSS_FACTOR:
        fails.append("validation loss fell by only %.2fx (need %.1fx)" % (loss0 / loss1, LOSS_FACTOR))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "smoke.safetensors")
        save_model(net, path, task="test", task_params={"note": "smoke"})
        net2 = load_model(path)
        with torch.no_grad():
            y1, y2 = net.eval()(u_val), net2(u_val)
            y_step = net2.run_steps(u_val[:2])
        m = y1.abs().max().item()
        e_rt = (y1 - y2).abs().max().item() / m
        e_step = (y_step - y2[:2]).abs().max().item() / m
        print("round trip %.1e, step vs parallel %.1e (of max|y|)" % (e_rt, e_step))
        if e_rt > 1e-6:
            fails.append("reloaded net differs by %.3g of max|y|" % e_rt)
        if e_step > 1e-4:
            fails.append("reloaded net: step() differs from parallel by %.3g of max|y|" % e_step)
        if net2.config["task_params"] != {"note": "smoke"}:
            fails.append("task_params did not survive the round trip: %r" % net2.config["task_params"])
    for f in fails:
        print("FAIL: " + f)
    print("test_train_smoke: %s (%.1f s)" % ("FAILED" if fails else "OK", time.time() - t0))
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
