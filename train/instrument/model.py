"""Control networks of the instrument: the shipped SSM (a dsp/FORMAT.md config, exported to C) and the
GRU baseline of about the same compute per control frame (PyTorch only, for the comparison in README).

Both map features [B, T, 8] (docs/INSTRUMENT.md) to raw synthesis controls [B, T, 1+K+NB].
"""
import os
import sys

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.abspath(os.path.join(HERE, "..")))
import trainutil as TU  # noqa: E402
from swtorch.net import Net  # noqa: E402

import ddsp  # noqa: E402

D_IN = 8
D_OUT = 1 + ddsp.N_HARMONICS + ddsp.N_BANDS


def ssm_config(d=96, n_blocks=3, n_state=16, timbre="unnamed", pitch_range=(21, 108)):
    layers = TU.s4d_stack(D_IN, d, n_blocks, n_state, D_OUT, glu=False)
    tp = dict(ddsp.TASK_PARAMS)
    tp["timbre"] = timbre
    tp["pitch_range"] = list(pitch_range)
    return {"version": 1, "d_input": D_IN, "d_output": D_OUT, "task": "synth", "task_params": tp,
            "layers": layers}


def _macs(lay):
    t = lay["type"]
    if t == "linear":
        return lay["d_in"] * lay["d_out"]
    if t == "s4d":
        return lay["d"] * lay["n"] * 8 + lay["d"]
    if t == "norm":
        return 2 * lay["d"]
    return 0


def ssm_macs_per_frame(config):
    """Multiply-adds per control frame of the recurrent (C) form: linears in full, S4D as
    x = A x + B u (complex: 4 + 2 real MACs per mode) and y = 2 Re(C x) (2 per mode) + D u."""
    return sum(_macs(lay) for lay, _ in TU.walk_layers(config["layers"]))


class GRUControl(nn.Module):
    """Baseline: linear -> one GRU layer -> linear (hidden size chosen to match the SSM's MACs)."""

    def __init__(self, hidden):
        super().__init__()
        self.hidden = hidden
        self.inp = nn.Linear(D_IN, hidden)
        self.gru = nn.GRU(hidden, hidden, batch_first=True)
        self.out = nn.Linear(hidden, D_OUT)

    def forward(self, x):
        h, _ = self.gru(self.inp(x))
        return self.out(h)

    def macs_per_frame(self):
        h = self.hidden
        return D_IN * h + 3 * (h * h + h * h) + h * D_OUT


def gru_hidden_matching(macs):
    """Largest GRU hidden size whose MACs per frame do not exceed `macs`."""
    h = 8
    while D_IN * (h + 1) + 6 * (h + 1) ** 2 + (h + 1) * D_OUT <= macs:
        h += 1
    return h


def build(arch, timbre="unnamed", pitch_range=(21, 108)):
    cfg = ssm_config(timbre=timbre, pitch_range=pitch_range)
    if arch == "ssm":
        return Net(cfg), cfg
    if arch == "gru":
        return GRUControl(gru_hidden_matching(ssm_macs_per_frame(cfg))), cfg
    raise ValueError("arch must be ssm or gru")
