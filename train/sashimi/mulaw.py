"""8-bit mu-law (mu = 255, 256 classes), the exact mapping dsp/engines/generate.c decodes.

encode: y = sign(x) ln(1 + mu|x|) / ln(1 + mu),  q = floor((y + 1) / 2 * 255 + 0.5)   (x clipped to [-1, 1])
decode: y = 2 q / 255 - 1,                       x = sign(y) ((1 + mu)^|y| - 1) / mu
"""
import numpy as np

MU = 255


def mulaw_encode(x):
    x = np.clip(np.asarray(x, dtype=np.float64), -1.0, 1.0)
    y = np.sign(x) * np.log1p(MU * np.abs(x)) / np.log1p(MU)
    return np.floor((y + 1.0) / 2.0 * MU + 0.5).astype(np.uint8)


def mulaw_decode(q):
    y = 2.0 * np.asarray(q, dtype=np.float64) / MU - 1.0
    return np.sign(y) * ((1.0 + MU) ** np.abs(y) - 1.0) / MU
