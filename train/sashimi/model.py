"""SaShiMi-style generator config (dsp/FORMAT.md layers) and the one-layer baseline.

Structure (Goel et al. 2022, non-U-Net SaShiMi: down-pool, centre blocks, up-pool + skip, up blocks):

    embedding(256 -> d)                                        16 kHz, width d
    residual{ pool(d, 4, e){                                   skip around the outer pool
        residual{ pool(d e, 4, e){ blocks(d e^2) x L2 } }     1 kHz, width d e^2
        blocks(d e) x L1                                       4 kHz, width d e
    } }
    blocks(d) x L0                                             16 kHz, width d
    norm, linear(d -> 256 logits)

block(w) = residual{norm, s4d(w, n), gelu, linear(w -> 2w), glu}       (S4 layer with GLU output, as S4/SaShiMi)
         + residual{norm, linear(w -> 4w), glu, linear(2w -> w)}       (GLU feed-forward, expansion 2)

Per generated sample the C cost is ~ (weights at 16 kHz) + (weights at 4 kHz)/4 + (weights at 1 kHz)/16
multiply-adds, so the parameters go to the 1 kHz stage.
"""

import trainutil as TU

CLASSES = 256
RATE = 16000
TASK_PARAMS = {"sample_rate": RATE, "encoding": "mulaw", "mu": 255, "classes": CLASSES, "start_code": 128}


def block(prefix, w, n):
    return TU.ssm_glu_block(prefix, w, {"type": "s4d", "name": prefix + "_ssm", "d": w, "n": n, "disc": "zoh"},
                            "layer")


def blocks(prefix, w, n, count):
    out = []
    for i in range(count):
        out += block("%s%d" % (prefix, i), w, n)
    return out


def head(d):
    return [{"type": "norm", "name": "head_norm", "kind": "layer", "d": d},
            {"type": "linear", "name": "head", "d_in": d, "d_out": CLASSES}]


def sashimi_config(d=64, expand=2, n=32, layers=(2, 2, 4)):
    """layers = (L0 at 16 kHz, L1 at 4 kHz, L2 at 1 kHz)."""
    L0, L1, L2 = layers
    d1, d2 = d * expand, d * expand * expand
    inner2 = blocks("c", d2, n, L2)
    inner1 = [{"type": "residual", "layers": [
        {"type": "pool", "name": "pool2", "d": d1, "factor": 4, "expand": expand, "layers": inner2}]}]
    inner1 += blocks("m", d1, n, L1)
    lay = [{"type": "embedding", "name": "embed", "n": CLASSES, "d": d},
           {"type": "residual", "layers": [
               {"type": "pool", "name": "pool1", "d": d, "factor": 4, "expand": expand, "layers": inner1}]}]
    lay += blocks("o", d, n, L0)
    lay += head(d)
    return {"version": 1, "d_input": 1, "d_output": CLASSES, "task": "generate",
            "task_params": dict(TASK_PARAMS), "layers": lay}


def baseline_config(d=64, n=32):
    """The small baseline: one S4D block at 16 kHz, no pooling."""
    lay = [{"type": "embedding", "name": "embed", "n": CLASSES, "d": d}] + blocks("o", d, n, 1) + head(d)
    return {"version": 1, "d_input": 1, "d_output": CLASSES, "task": "generate",
            "task_params": dict(TASK_PARAMS), "layers": lay}


def macs_per_sample(config):
    """Multiply-adds per generated sample of the matrix layers (+ SSM modes), by stage rate."""
    total = 0.0
    for lay, rate_div in TU.walk_layers(config["layers"]):
        t = lay["type"]
        if t == "linear":
            total += lay["d_in"] * lay["d_out"] / rate_div
        elif t == "s4d":
            total += 4 * lay["d"] * lay["n"] / rate_div     # ~4 real MACs per complex mode
        elif t == "pool":
            d, p, e = lay["d"], lay["factor"], lay["expand"]
            total += 2 * p * d * d * e / (rate_div * p)
    return total
