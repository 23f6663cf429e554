"""Ogg Opus files carried as bytes inside a training pack, decoded with build/tools/opus2pcm.

The wideband speech (speechocean762) and the real ambiences (moodist) travel to the training
machine as their original Opus files: the smallest faithful form (40-64 kbit/s), where 8-bit
mu-law would add a -38 dB noise floor to the targets and 16-bit PCM would not fit the transfer.
opus2pcm (train/denoise/opus2pcm.c, built statically) decodes them to 48 kHz mono int16; this
module resamples to the training rate.
"""
import os
import struct
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy.signal import resample_poly

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
DEFAULT_DECODER = os.path.join(REPO, "build", "tools", "opus2pcm")


def pack_bytes(blobs):
    """list of bytes -> (uint8 concatenation, int64 offsets, int64 lengths)."""
    lens = np.array([len(b) for b in blobs], np.int64)
    offs = np.cumsum(lens) - lens
    return np.frombuffer(b"".join(blobs), np.uint8), offs, lens


def _decode_chunk(decoder, blobs):
    with tempfile.TemporaryDirectory() as d:
        paths = []
        for i, b in enumerate(blobs):
            p = os.path.join(d, "%06d.opus" % i)
            with open(p, "wb") as f:
                f.write(b)
            paths.append(p)
        proc = subprocess.run([decoder, "-"], input="\n".join(paths).encode(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
        if proc.returncode != 0:
            raise IOError("opus2pcm failed: %s" % proc.stderr.decode(errors="replace").strip())
    buf, pos, out = proc.stdout, 0, []
    for _ in blobs:
        (n,) = struct.unpack_from("<I", buf, pos)
        pos += 4
        out.append(np.frombuffer(buf, "<i2", n, pos).astype(np.float32) / 32768.0)
        pos += 2 * n
    assert pos == len(buf), "opus2pcm: trailing output"
    return out


def decode_blobs(blobs, rate, decoder=None, workers=None):
    """Decode Opus files held as bytes -> list of float32 mono arrays at `rate` (divides 48000)."""
    decoder = decoder or os.environ.get("OPUS2PCM", DEFAULT_DECODER)
    if not os.access(decoder, os.X_OK):
        raise FileNotFoundError("%s not found: run `make build/tools/opus2pcm` (or set OPUS2PCM)" % decoder)
    workers = workers or max(1, min(16, os.cpu_count() or 1))
    chunks = [blobs[i:i + 64] for i in range(0, len(blobs), 64)]
    with ThreadPoolExecutor(workers) as ex:
        parts = list(ex.map(lambda c: _decode_chunk(decoder, c), chunks))
    pcm = [x for p in parts for x in p]
    if rate != 48000:
        assert 48000 % rate == 0
        pcm = list(ex2 for ex2 in _resample_all(pcm, 48000 // rate, workers))
    return pcm


def _resample_all(xs, down, workers):
    with ThreadPoolExecutor(workers) as ex:
        return list(ex.map(lambda x: resample_poly(x, 1, down).astype(np.float32), xs))


def decode_files(paths, rate, decoder=None):
    blobs = []
    for p in paths:
        with open(p, "rb") as f:
            blobs.append(f.read())
    return decode_blobs(blobs, rate, decoder)
