"""Model files (dsp/FORMAT.md "File"): save a Net, load it back.

    save_model(net, path, task="test", task_params=None, extra_tensors=None) -> config written
    load_model(path) -> Net     (float32, eval mode; net.extra_tensors holds golden.* / extra.* tensors)

The file holds every tensor the config needs, float32, under its FORMAT.md name "<layer>.<param>",
plus optional test vectors / extras whose names must start with "golden." or "extra.".
"""
import json

import numpy as np
import torch

from . import safetensors_io
from .net import Net, ConfigError, normalize_config, expected_tensor_shapes

EXTRA_PREFIXES = ("golden.", "extra.")


def _check_finite(name, arr):
    if not np.all(np.isfinite(arr)):
        raise ValueError("tensor %r has non-finite values; FORMAT.md rejects such files" % name)


def save_model(net, path, task="test", task_params=None, extra_tensors=None):
    """Write `net` as a Statewave model file at `path`; returns the config dict written.

    task / task_params override net.config's (task_params=None keeps net.config's).
    extra_tensors: {name: Tensor/ndarray}, names starting with "golden." or "extra.".
    Every value is checked to be finite and every tensor shape against the FORMAT.md tables.
    """
    cfg = dict(net.config)
    cfg["task"] = task
    if task_params is not None:
        cfg["task_params"] = task_params
    cfg = normalize_config(cfg)
    tensors = {}
    for k, v in net.format_tensors().items():
        arr = v.detach().cpu().to(torch.float32).numpy()
        _check_finite(k, arr)
        tensors[k] = arr
    for k, v in (extra_tensors or {}).items():
        if not k.startswith(EXTRA_PREFIXES):
            raise ValueError("extra tensor %r: names must start with 'golden.' or 'extra.'" % k)
        if k in tensors:
            raise ValueError("extra tensor %r clashes with a model tensor" % k)
        arr = v.detach().cpu().numpy() if hasattr(v, "detach") else np.asarray(v)
        arr = arr.astype(np.float32)
        _check_finite(k, arr)
        tensors[k] = arr
    meta = {"format": "statewave", "config": json.dumps(cfg, separators=(",", ":"))}
    safetensors_io.write(path, tensors, meta)
    return cfg


def read_model_file(path):
    """Parse and check a model file -> (normalized config, {model tensors}, {extra tensors}).

    Applies the FORMAT.md loader rules: format tag, valid config, every needed tensor present
    with its exact shape, all values finite, no unused tensors except golden.* / extra.*.
    """
    tensors, meta = safetensors_io.read(path)
    if meta.get("format") != "statewave":
        raise ValueError("%s: __metadata__.format is %r, not 'statewave'" % (path, meta.get("format")))
    if "config" not in meta:
        raise ValueError("%s: __metadata__ has no 'config'" % path)
    try:
        cfg = json.loads(meta["config"])
    except json.JSONDecodeError as e:
        raise ConfigError("%s: config is not valid JSON: %s" % (path, e))
    cfg = normalize_config(cfg)
    want = expected_tensor_shapes(cfg)
    model, extra = {}, {}
    for k, arr in tensors.items():
        _check_finite(k, arr)
        if k in want:
            if list(arr.shape) != list(want[k]):
                raise ValueError("%s: tensor %r has shape %s, config needs %s" % (path, k, list(arr.shape), want[k]))
            model[k] = arr
        elif k.startswith(EXTRA_PREFIXES):
            extra[k] = arr
        else:
            raise ValueError("%s: tensor %r is not used by the config" % (path, k))
    missing = sorted(set(want) - set(model))
    if missing:
        raise ValueError("%s: missing tensors %s" % (path, missing))
    return cfg, model, extra


def load_model(path, init=None):
    """Load a model file into a float32 Net in eval mode; extras go to net.extra_tensors (ndarrays)."""
    cfg, model, extra = read_model_file(path)
    net = Net(cfg, init=init)
    net.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in model.items()}, strict=True)
    net.eval()
    net.extra_tensors = extra
    return net
