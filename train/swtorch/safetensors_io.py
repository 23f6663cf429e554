"""Minimal safetensors reader/writer (F32, and BF16 for chosen tensors), as dsp/FORMAT.md "File" describes.

Layout:  u64 little-endian header length N | N bytes of UTF-8 JSON header | raw little-endian data.
Header:  {"__metadata__": {str: str}, "<name>": {"dtype": "F32", "shape": [...], "data_offsets": [b, e]}, ...}
Offsets are relative to the start of the data section. We write tensors in sorted name order,
each starting on an 8-byte boundary (the header is space-padded to a multiple of 8 as well),
which safetensors itself does and FORMAT.md allows.

BF16 is the upper half of an F32: write() rounds the tensors named in `bf16` to nearest even,
read() widens BF16 tensors back to float32 exactly (so PyTorch runs the weights the C core runs).

Debian ships no `safetensors` Python package, hence this file. It uses only json/struct/numpy.
"""
import json
import struct

import numpy as np

MAX_HEADER = 16 * 1024 * 1024   # FORMAT.md: N <= 16 MiB


def _as_f32_array(name, value):
    """Tensor or ndarray -> C-contiguous little-endian float32 ndarray (detached, on CPU)."""
    if hasattr(value, "detach"):                       # torch.Tensor without importing torch here
        value = value.detach().cpu().numpy()
    arr = np.asarray(value)
    if arr.dtype.kind not in "fiu":
        raise ValueError("tensor %r: dtype %s cannot be stored as F32" % (name, arr.dtype))
    arr = np.ascontiguousarray(arr, dtype="<f4")
    if arr.ndim < 1 or arr.ndim > 4:
        raise ValueError("tensor %r: rank %d outside 1..4" % (name, arr.ndim))
    if any(s < 1 for s in arr.shape):
        raise ValueError("tensor %r: shape %s has a zero dimension" % (name, arr.shape))
    return arr


def to_bf16_bits(arr):
    """float32 ndarray -> uint16 ndarray of its bf16 values, rounded to nearest even."""
    u = np.ascontiguousarray(arr, dtype="<f4").view("<u4").astype(np.uint64)
    if not np.all(np.isfinite(arr)):
        raise ValueError("non-finite value cannot be stored as BF16")
    r = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
    if np.any((r & 0x7F80) == 0x7F80):
        raise ValueError("value rounds to infinity in BF16")
    return r.astype("<u2")


def bf16_round(arr):
    """float32 ndarray -> float32 ndarray of the same values rounded to BF16 (what write() stores)."""
    return (to_bf16_bits(arr).astype("<u4") << 16).view("<f4").reshape(np.shape(arr))


def write(path, tensors, metadata=None, bf16=()):
    """Write `tensors` (dict name -> Tensor/ndarray, stored as F32, or BF16 for the names in
    `bf16`) and `metadata` (dict str -> str)."""
    metadata = dict(metadata or {})
    for k, v in metadata.items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise ValueError("metadata keys and values must be strings (safetensors rule): %r" % (k,))
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    blobs = []
    offset = 0
    for name in sorted(tensors):
        if name == "__metadata__" or not isinstance(name, str) or not name:
            raise ValueError("bad tensor name %r" % (name,))
        arr = _as_f32_array(name, tensors[name])
        dtype = "BF16" if name in bf16 else "F32"
        try:
            raw = to_bf16_bits(arr).tobytes() if dtype == "BF16" else arr.tobytes()
        except ValueError as e:
            raise ValueError("tensor %r: %s" % (name, e))
        pad = (-offset) % 8
        if pad:
            blobs.append(b"\0" * pad)
            offset += pad
        header[name] = {"dtype": dtype, "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    hjson = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    hjson += b" " * ((-len(hjson)) % 8)
    if len(hjson) > MAX_HEADER:
        raise ValueError("header is %d bytes, more than the 16 MiB limit" % len(hjson))
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for b in blobs:
            f.write(b)


def read(path, dtypes=None):
    """Read a safetensors file -> (dict name -> float32 ndarray, metadata dict).

    BF16 tensors are widened to float32; pass a dict as `dtypes` to get each tensor's stored
    dtype ("F32" or "BF16") in it. Enforces the structural rules of FORMAT.md (header size, F32/BF16, rank 1..4, dims >= 1,
    offsets consistent with the shape, in range, non-overlapping). Raises ValueError otherwise.
    """
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise ValueError("%s: file shorter than the 8-byte header length" % path)
    (n,) = struct.unpack("<Q", blob[:8])
    if n > MAX_HEADER:
        raise ValueError("%s: header length %d exceeds 16 MiB" % (path, n))
    if len(blob) < 8 + n:
        raise ValueError("%s: file is shorter than its header length says" % path)
    try:
        header = json.loads(blob[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError("%s: header is not valid UTF-8 JSON: %s" % (path, e))
    if not isinstance(header, dict):
        raise ValueError("%s: header is not a JSON object" % path)
    data = memoryview(blob)[8 + n:]
    metadata = header.pop("__metadata__", {}) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise ValueError("%s: __metadata__ must map strings to strings" % path)
    tensors = {}
    spans = []
    for name, info in header.items():
        if not isinstance(info, dict):
            raise ValueError("%s: entry %r is not an object" % (path, name))
        dtype, shape, offs = info.get("dtype"), info.get("shape"), info.get("data_offsets")
        if dtype not in ("F32", "BF16"):
            raise ValueError("%s: tensor %r has unsupported dtype %r (only F32, BF16)" % (path, name, dtype))
        esize = 4 if dtype == "F32" else 2
        if (not isinstance(shape, list) or not 1 <= len(shape) <= 4
                or not all(isinstance(s, int) and s >= 1 for s in shape)):
            raise ValueError("%s: tensor %r has bad shape %r" % (path, name, shape))
        if (not isinstance(offs, list) or len(offs) != 2
                or not all(isinstance(o, int) for o in offs)):
            raise ValueError("%s: tensor %r has bad data_offsets %r" % (path, name, offs))
        begin, end = offs
        count = int(np.prod(shape))
        if end - begin != esize * count:
            raise ValueError("%s: tensor %r: offsets span %d bytes, shape needs %d"
                             % (path, name, end - begin, esize * count))
        if begin < 0 or end > len(data):
            raise ValueError("%s: tensor %r: offsets [%d, %d] outside the data section (%d bytes)"
                             % (path, name, begin, end, len(data)))
        spans.append((begin, end, name))
        if dtype == "F32":
            tensors[name] = np.frombuffer(data[begin:end], dtype="<f4").reshape(shape).astype(np.float32)
        else:
            bits = np.frombuffer(data[begin:end], dtype="<u2").astype("<u4") << 16
            tensors[name] = bits.view("<f4").reshape(shape).astype(np.float32)
            if not np.all(np.isfinite(tensors[name])):
                raise ValueError("%s: tensor %r has a non-finite BF16 value" % (path, name))
        if dtypes is not None:
            dtypes[name] = dtype
    spans.sort()
    for (b0, e0, n0), (b1, e1, n1) in zip(spans, spans[1:]):
        if b1 < e0:
            raise ValueError("%s: tensors %r and %r overlap" % (path, n0, n1))
    return tensors, dict(metadata)
