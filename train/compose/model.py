"""The composer's networks: the SSM stacks the C engine runs (dsp/FORMAT.md configs) and the
PyTorch-only baselines they are measured against (GRU, a small causal Transformer).

Every network maps token ids [B, T] (as floats [B, T, 1], the embedding layer's input) to
next-token logits [B, T, VOCAB].

SSM block (the same shape for s4d and lru, as the generator's block):
    residual{norm, ssm(d), gelu, linear(d -> 2d), glu}
    residual{norm, linear(d -> 4d), glu, linear(2d -> d)}           GLU feed-forward
Mamba block (Gu & Dao 2023, homogeneous stack, no feed-forward): residual{norm, mamba(d)}
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

import events as E
import trainutil as TU

TASK_PARAMS = {"encoding": "performance-events", "vocab": E.VOCAB, "step_ms": 10, "n_shift": E.N_SHIFT,
               "n_vel": E.N_VEL, "start": E.START}


def _ssm(prefix, kind, d, n):
    return ({"type": "s4d", "name": prefix + "_ssm", "d": d, "n": n, "disc": "zoh"} if kind == "s4d"
            else {"type": "lru", "name": prefix + "_ssm", "d": d, "n": n})


def gated_block(prefix, kind, d, n, expand=2, conv=4, ff=False):
    """Gated SSM block: the input is expanded to e = expand * d channels and gated per token
    before it reaches the state (x * sigmoid(z): what a token writes into the recurrence depends on
    the token, the input gate of an LSTM), a short causal convolution sees the last few events
    (as in H3 and Mamba), the diagonal SSM carries the long context, and a GLU maps back to d.
    With ff, a feed-forward of expansion 1 follows."""
    e = expand * d
    out = [{"type": "residual", "layers": [
        {"type": "norm", "name": prefix + "_n1", "kind": "rms", "d": d},
        {"type": "linear", "name": prefix + "_in", "d_in": d, "d_out": 2 * e},
        {"type": "glu", "d_in": 2 * e}]
        + ([{"type": "conv1d", "name": prefix + "_conv", "d": e, "kernel": conv}] if conv > 1 else [])
        + [_ssm(prefix, kind, e, n),
           {"type": "act", "fn": "gelu", "d": e},
           {"type": "linear", "name": prefix + "_out", "d_in": e, "d_out": 2 * d},
           {"type": "glu", "d_in": 2 * d}]}]
    if ff:
        out.append({"type": "residual", "layers": [
            {"type": "norm", "name": prefix + "_n2", "kind": "rms", "d": d},
            {"type": "linear", "name": prefix + "_ff1", "d_in": d, "d_out": 2 * d},
            {"type": "glu", "d_in": 2 * d},
            {"type": "linear", "name": prefix + "_ff2", "d_in": d, "d_out": d}]})
    return out


def ssm_block(prefix, kind, d, n):
    if kind == "mamba":
        return [{"type": "residual", "layers": [
            {"type": "norm", "name": prefix + "_n1", "kind": "rms", "d": d},
            {"type": "mamba", "name": prefix + "_ssm", "d": d, "d_inner": 2 * d, "d_state": n}]}]
    return TU.ssm_glu_block(prefix, d, _ssm(prefix, kind, d, n), "rms")


def ssm_config(kind="s4d", d=128, blocks=4, n=32, block="plain", expand=2, conv=4):
    """block: plain (ssm_block) | gated | gated_ff (gated_block)."""
    lay = [{"type": "embedding", "name": "embed", "n": E.VOCAB, "d": d}]
    for i in range(blocks):
        if block == "plain" or kind == "mamba":
            lay += ssm_block("b%d" % i, kind, d, n)
        else:
            lay += gated_block("b%d" % i, kind, d, n, expand, conv, ff=block == "gated_ff")
    lay += [{"type": "norm", "name": "head_norm", "kind": "rms", "d": d},
            {"type": "linear", "name": "head", "d_in": d, "d_out": E.VOCAB}]
    return {"version": 1, "d_input": 1, "d_output": E.VOCAB, "task": "compose",
            "task_params": dict(TASK_PARAMS), "layers": lay}


class GRUModel(nn.Module):
    """Embedding, a GRU stack, linear head: Performance RNN's shape (which used LSTMs)."""

    def __init__(self, d=128, hidden=224, layers=2):
        super().__init__()
        self.embed = nn.Embedding(E.VOCAB, d)
        self.gru = nn.GRU(d, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, E.VOCAB)
        self.config = {"arch": "gru", "d": d, "hidden": hidden, "layers": layers}

    def forward(self, x):
        h, _ = self.gru(self.embed(x[..., 0].long()))
        return self.head(h)


class TransformerModel(nn.Module):
    """A small decoder-only Transformer (pre-norm, sinusoidal positions, causal mask)."""

    def __init__(self, d=128, layers=4, heads=4, ff=384, max_len=4096):
        super().__init__()
        self.embed = nn.Embedding(E.VOCAB, d)
        layer = nn.TransformerEncoderLayer(d, heads, ff, dropout=0.0, activation="gelu",
                                           batch_first=True, norm_first=True)
        self.body = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, E.VOCAB)
        pos = torch.arange(max_len).unsqueeze(1)
        div = torch.exp(torch.arange(0, d, 2) * (-math.log(10000.0) / d))
        pe = torch.zeros(max_len, d)
        pe[:, 0::2], pe[:, 1::2] = torch.sin(pos * div), torch.cos(pos * div)
        self.register_buffer("pe", pe, persistent=False)
        self.config = {"arch": "transformer", "d": d, "layers": layers, "heads": heads, "ff": ff}

    def forward(self, x):
        T = x.shape[1]
        h = self.embed(x[..., 0].long()) + self.pe[:T]
        mask = torch.triu(torch.full((T, T), float("-inf"), device=x.device), diagonal=1)
        return self.head(self.norm(self.body(h, mask=mask)))


def _macs(lay):
    t = lay["type"]
    if t == "linear":
        return lay["d_in"] * lay["d_out"]
    if t == "conv1d":
        return lay["d"] * lay["kernel"]
    if t in ("s4d", "lru"):
        return 4 * lay["d"] * lay["n"]
    if t == "mamba":
        d, e, n = lay["d"], lay.get("d_inner", 2 * lay["d"]), lay.get("d_state", 16)
        r = math.ceil(d / 16)
        return d * 2 * e + e * (r + 2 * n) + r * e + e * d + 3 * e * n
    return 0


def macs_per_event(config):
    """Multiply-adds per event of the matrix layers and SSM state updates (the C engine's cost)."""
    return sum(_macs(lay) for lay, _ in TU.walk_layers(config["layers"]))
