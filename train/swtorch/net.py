"""Net: a Statewave network built from a dsp/FORMAT.md config dict.

    net = Net(config)               # config: {"version": 1, "d_input", "d_output", "task", "task_params", "layers"}
    y = net(x)                      # x [B, T, d_input] -> y [B, T, d_output], parallel form
    state = net.init_state(batch)   # zero recurrent state (also refreshes discretized weights)
    y_t, state = net.step(x_t, state)   # x_t [B, d_input] -> y_t [B, d_output], reference recurrent form
    net.config                      # the validated, normalized config (every optional key filled in)

Every layer that has weights is registered directly on the Net under its config "name", so
net.state_dict() keys are exactly FORMAT.md's tensor names "<name>.<param>". Containers
(`residual`, `pool`) keep their inner layers in plain lists, so nothing is registered twice.
"""
import copy
import json
import math
import re

import torch
import torch.nn as nn

from . import layers as L

LIMIT_WIDTH = 4096
LIMIT_STATE = 1024
LIMIT_KERNEL = 64
LIMIT_POOL = (2, 64)
LIMIT_DEPTH = 8
LIMIT_LAYERS = 256
LIMIT_WEIGHTS = 64 * 1024 * 1024
LIMIT_VOCAB = 65536        # embedding rows: not in FORMAT.md, the C core's bound (dsp/core.h)
LIMIT_EPS = (1e-30, 1.0)   # norm eps range the C core accepts
TASKS = ("denoise", "generate", "synth", "compose", "test")

# Layers that carry tensors and therefore need a unique "name".
WEIGHTED = {"linear", "conv1d", "norm", "embedding", "pool", "s4d", "lru", "s5", "mamba"}
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ConfigError(ValueError):
    """A config that FORMAT.md rejects (missing key, out of range, widths that do not agree...)."""


def _int(lay, key, where, lo, hi, default=None):
    v = lay.get(key, default)
    if isinstance(v, bool) or not isinstance(v, int):
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        else:
            raise ConfigError("%s: %r must be an integer, got %r" % (where, key, v))
    if not lo <= v <= hi:
        raise ConfigError("%s: %r = %d outside %d..%d" % (where, key, v, lo, hi))
    return v


def _width(lay, key, where, cur):
    """A width key that may be omitted (then it is the incoming width) but must agree if given."""
    v = _int(lay, key, where, 1, LIMIT_WIDTH, default=cur)
    if v != cur:
        raise ConfigError("%s: %r = %d but the incoming width is %d" % (where, key, v, cur))
    return v


def _choice(lay, key, where, options, default=None):
    v = lay.get(key, default)
    if v not in options:
        raise ConfigError("%s: %r must be one of %s, got %r" % (where, key, list(options), v))
    return v


def _bool(lay, key, where, default):
    v = lay.get(key, default)
    if not isinstance(v, bool):
        raise ConfigError("%s: %r must be true/false, got %r" % (where, key, v))
    return v


def expected_tensors(lay):
    """FORMAT.md tensor table: {param: shape} for one normalized layer dict (no recursion)."""
    t = lay["type"]
    if t == "linear":
        out = {"weight": [lay["d_out"], lay["d_in"]]}
        if lay["bias"]:
            out["bias"] = [lay["d_out"]]
        return out
    if t == "conv1d":
        return {"weight": [lay["d"], lay["kernel"]], "bias": [lay["d"]]}
    if t == "norm":
        return {"weight": [lay["d"]]} if lay["kind"] == "rms" else {"weight": [lay["d"]], "bias": [lay["d"]]}
    if t == "embedding":
        return {"weight": [lay["n"], lay["d"]]}
    if t == "pool":
        d, p, e = lay["d"], lay["factor"], lay["expand"]
        return {"down.weight": [d * e, p * d], "down.bias": [d * e],
                "up.weight": [p * d, d * e], "up.bias": [p * d]}
    if t == "s4d":
        H, N = lay["d"], lay["n"]
        return {"log_dt": [H], "log_A_real": [H, N], "A_imag": [H, N], "B_re": [H, N], "B_im": [H, N],
                "C_re": [H, N], "C_im": [H, N], "D": [H]}
    if t == "lru":
        H, N = lay["d"], lay["n"]
        return {"nu_log": [N], "theta_log": [N], "gamma_log": [N], "B_re": [N, H], "B_im": [N, H],
                "C_re": [H, N], "C_im": [H, N], "D": [H]}
    if t == "s5":
        H, P = lay["d"], lay["p"]
        return {"log_Lambda_real": [P], "Lambda_imag": [P], "log_step": [P], "B_re": [P, H], "B_im": [P, H],
                "C_re": [H, P], "C_im": [H, P], "D": [H]}
    if t == "mamba":
        H, E, N, K, R = lay["d"], lay["d_inner"], lay["d_state"], lay["d_conv"], lay["dt_rank"]
        return {"in_proj.weight": [2 * E, H], "conv1d.weight": [E, K], "conv1d.bias": [E],
                "x_proj.weight": [R + 2 * N, E], "dt_proj.weight": [E, R], "dt_proj.bias": [E],
                "A_log": [E, N], "D": [E], "out_proj.weight": [H, E]}
    return {}


def _normalize_layers(layers, d, depth, ctx, path):
    """Validate a layer list arriving at width d; return (normalized list, outgoing width).

    depth = number of enclosing residual/pool layers (0 for the top-level list), at most 8."""
    if not isinstance(layers, list) or not layers:
        raise ConfigError("%s: 'layers' must be a non-empty list" % path)
    if depth > LIMIT_DEPTH:
        raise ConfigError("%s: nesting depth %d exceeds %d" % (path, depth, LIMIT_DEPTH))
    out = []
    for i, lay in enumerate(layers):
        where = "%s[%d]" % (path, i)
        if not isinstance(lay, dict):
            raise ConfigError("%s: a layer must be a JSON object" % where)
        ctx["count"] += 1
        if ctx["count"] > LIMIT_LAYERS:
            raise ConfigError("more than %d layers in all" % LIMIT_LAYERS)
        t = lay.get("type")
        n = {"type": t}
        name = lay.get("name")
        if name is not None or t in WEIGHTED:
            if not isinstance(name, str) or not _NAME_RE.match(name):
                raise ConfigError("%s (%s): needs a 'name' matching [A-Za-z_][A-Za-z0-9_]* (got %r)"
                                  % (where, t, name))
            if name in ctx["names"]:
                raise ConfigError("%s: layer name %r is used twice" % (where, name))
            if hasattr(Net, name) or hasattr(nn.Module(), name) or name in ("config", "seq", "extra_tensors"):
                raise ConfigError("%s: layer name %r clashes with a Net attribute; pick another" % (where, name))
            ctx["names"].add(name)
            n["name"] = name
            where += " '%s'" % name
        if t == "linear":
            n["d_in"] = _width(lay, "d_in", where, d)
            n["d_out"] = _int(lay, "d_out", where, 1, LIMIT_WIDTH)
            n["bias"] = _bool(lay, "bias", where, True)
            d = n["d_out"]
        elif t == "conv1d":
            n["d"] = _width(lay, "d", where, d)
            n["kernel"] = _int(lay, "kernel", where, 1, LIMIT_KERNEL)
        elif t == "norm":
            n["kind"] = _choice(lay, "kind", where, ("rms", "layer"))
            n["d"] = _width(lay, "d", where, d)
            eps = lay.get("eps", 1e-5)
            if (isinstance(eps, bool) or not isinstance(eps, (int, float)) or not math.isfinite(eps)
                    or not LIMIT_EPS[0] <= eps <= LIMIT_EPS[1]):
                raise ConfigError("%s: 'eps' must be a number in [%g, %g], got %r" % ((where,) + LIMIT_EPS + (eps,)))
            n["eps"] = float(eps)
        elif t == "act":
            n["fn"] = _choice(lay, "fn", where, ("gelu", "silu", "tanh", "sigmoid", "relu"))
            n["d"] = _width(lay, "d", where, d)
        elif t == "glu":
            n["d_in"] = _width(lay, "d_in", where, d)
            if d % 2:
                raise ConfigError("%s: glu d_in must be even, got %d" % (where, d))
            d //= 2
        elif t == "embedding":
            if d != 1:
                raise ConfigError("%s: embedding needs an incoming width of 1, got %d" % (where, d))
            n["n"] = _int(lay, "n", where, 1, LIMIT_VOCAB)
            n["d"] = _int(lay, "d", where, 1, LIMIT_WIDTH)
            d = n["d"]
        elif t == "residual":
            n["layers"], d_inner = _normalize_layers(lay.get("layers"), d, depth + 1, ctx, where + ".layers")
            if d_inner != d:
                raise ConfigError("%s: residual inner layers map %d -> %d, must map d -> d" % (where, d, d_inner))
        elif t == "pool":
            n["d"] = _width(lay, "d", where, d)
            n["factor"] = _int(lay, "factor", where, LIMIT_POOL[0], LIMIT_POOL[1])
            n["expand"] = _int(lay, "expand", where, 1, LIMIT_WIDTH, default=1)
            de = d * n["expand"]
            if de > LIMIT_WIDTH or n["factor"] * d > LIMIT_WIDTH:
                raise ConfigError("%s: pool widths d*e=%d / p*d=%d exceed %d"
                                  % (where, de, n["factor"] * d, LIMIT_WIDTH))
            n["layers"], d_inner = _normalize_layers(lay.get("layers"), de, depth + 1, ctx, where + ".layers")
            if d_inner != de:
                raise ConfigError("%s: pool inner layers map %d -> %d, must map d*e -> d*e" % (where, de, d_inner))
        elif t == "s4d":
            n["d"] = _width(lay, "d", where, d)
            n["n"] = _int(lay, "n", where, 1, LIMIT_STATE)
            n["disc"] = _choice(lay, "disc", where, ("zoh", "bilinear"), default="zoh")
        elif t == "lru":
            n["d"] = _width(lay, "d", where, d)
            n["n"] = _int(lay, "n", where, 1, LIMIT_STATE)
        elif t == "s5":
            n["d"] = _width(lay, "d", where, d)
            n["p"] = _int(lay, "p", where, 1, LIMIT_STATE)
            n["disc"] = _choice(lay, "disc", where, ("zoh", "bilinear"), default="zoh")
            n["conj"] = _bool(lay, "conj", where, True)
        elif t == "mamba":
            n["d"] = _width(lay, "d", where, d)
            n["d_inner"] = _int(lay, "d_inner", where, 1, LIMIT_WIDTH, default=min(2 * d, LIMIT_WIDTH))
            n["d_state"] = _int(lay, "d_state", where, 1, LIMIT_STATE, default=16)
            n["d_conv"] = _int(lay, "d_conv", where, 1, LIMIT_KERNEL, default=4)
            n["dt_rank"] = _int(lay, "dt_rank", where, 1, LIMIT_WIDTH, default=max(1, math.ceil(d / 16)))
        else:
            raise ConfigError("%s: unknown layer type %r" % (where, t))
        unknown = set(lay) - set(n) - {"layers"}
        if unknown:
            raise ConfigError("%s: unknown keys %s for a %s layer" % (where, sorted(unknown), t))
        ctx["weights"] += sum(math.prod(s) for s in expected_tensors(n).values())
        out.append(n)
    return out, d


def normalize_config(config):
    """Validate a FORMAT.md config and return a deep copy with every optional key made explicit.

    Raises ConfigError with the offending layer path on any violation.
    """
    if not isinstance(config, dict):
        raise ConfigError("config must be a JSON object")
    known = {"version", "d_input", "d_output", "task", "task_params", "layers"}
    unknown = set(config) - known
    if unknown:
        raise ConfigError("config: unknown top-level keys %s" % sorted(unknown))
    if config.get("version", 1) != 1:
        raise ConfigError("config: version must be 1, got %r" % (config.get("version"),))
    out = {"version": 1}
    out["d_input"] = _int(config, "d_input", "config", 1, LIMIT_WIDTH)
    out["d_output"] = _int(config, "d_output", "config", 1, LIMIT_WIDTH)
    out["task"] = _choice(config, "task", "config", TASKS, default="test")
    tp = config.get("task_params", {})
    if not isinstance(tp, dict):
        raise ConfigError("config: task_params must be a JSON object")
    out["task_params"] = copy.deepcopy(tp)
    ctx = {"count": 0, "names": set(), "weights": 0}
    out["layers"], d = _normalize_layers(config["layers"], out["d_input"], 0, ctx, "layers")
    if d != out["d_output"]:
        raise ConfigError("config: the layers end at width %d but d_output is %d" % (d, out["d_output"]))
    if ctx["weights"] > LIMIT_WEIGHTS:
        raise ConfigError("config: %d weights exceed the limit of %d" % (ctx["weights"], LIMIT_WEIGHTS))
    json.dumps(out)      # must be JSON-serializable (task_params too)
    return out


def expected_tensor_shapes(config):
    """{"<name>.<param>": shape} for every tensor a normalized config needs (FORMAT.md tables)."""
    out = {}

    def walk(layers):
        for lay in layers:
            for p, shape in expected_tensors(lay).items():
                out["%s.%s" % (lay["name"], p)] = shape
            if "layers" in lay:
                walk(lay["layers"])
    walk(config["layers"])
    return out


def _build(lay, init, register):
    """One normalized layer dict -> module (containers recurse). `register(name, module)`."""
    t = lay["type"]
    kw = dict(init.get(t, {}))
    kw.update(init.get(lay.get("name"), {}))
    name = lay.get("name")
    if t == "linear":
        m = L.Linear(lay["d_in"], lay["d_out"], bias=lay["bias"], name=name)
    elif t == "conv1d":
        m = L.CausalConv1d(lay["d"], lay["kernel"], name=name)
    elif t == "norm":
        m = L.Norm(lay["d"], kind=lay["kind"], eps=lay["eps"], name=name)
    elif t == "act":
        m = L.Act(lay["d"], lay["fn"], name=name)
    elif t == "glu":
        m = L.GLU(lay["d_in"], name=name)
    elif t == "embedding":
        m = L.Embedding(lay["n"], lay["d"], name=name)
    elif t == "residual":
        inner = [_build(x, init, register) for x in lay["layers"]]
        m = L.Residual(inner, inner[0].d_in, name=name)
    elif t == "pool":
        m = L.Pool(lay["d"], lay["factor"], lay["expand"], [], name=name)
        m.inner = [_build(x, init, register) for x in lay["layers"]]
    elif t == "s4d":
        m = L.S4D(lay["d"], lay["n"], disc=lay["disc"], name=name, **kw)
    elif t == "lru":
        m = L.LRU(lay["d"], lay["n"], name=name, **kw)
    elif t == "s5":
        m = L.S5(lay["d"], lay["p"], disc=lay["disc"], conj=lay["conj"], name=name, **kw)
    elif t == "mamba":
        m = L.Mamba(lay["d"], lay["d_inner"], lay["d_state"], lay["d_conv"], lay["dt_rank"], name=name, **kw)
    else:
        raise ConfigError("unknown layer type %r" % t)
    if name is not None:
        register(name, m)
    return m


class Net(nn.Module):
    """A Statewave network (see module docstring).

    init: optional dict of init keyword overrides, keyed by layer type or layer name, e.g.
          {"lru": {"r_min": 0.5}, "enc_s4d": {"dt_max": 0.05}, "mamba": {"scan_chunk": 0}}.
          They only affect initialization / scan method and are not stored in the config.
    """

    def __init__(self, config, init=None):
        super().__init__()
        self.config = normalize_config(config)
        init = init or {}

        def register(name, m):
            self.add_module(name, m)
        # Plain list of the top-level modules (tree order); weighted ones are registered by name.
        self.seq = [_build(lay, init, register) for lay in self.config["layers"]]

    @property
    def d_input(self):
        return self.config["d_input"]

    @property
    def d_output(self):
        return self.config["d_output"]

    def forward(self, x):
        """x [B, T, d_input] -> [B, T, d_output] (parallel form)."""
        if x.dim() != 3 or x.shape[-1] != self.d_input:
            raise ValueError("Net.forward expects [B, T, %d], got %s" % (self.d_input, tuple(x.shape)))
        return L.run_seq(self.seq, x)

    def init_state(self, batch=1, like=None):
        """All-zero recurrent state for `batch` streams; refreshes every layer's step cache."""
        if like is None:
            p = next(self.parameters(), None)
            like = p if p is not None else torch.zeros(1)
        for m in self.modules():
            if isinstance(m, L.SWLayer):
                m.setup_step()
        return L.init_seq_state(self.seq, batch, like.detach())

    def step(self, x_t, state):
        """One frame: x_t [B, d_input] -> (y_t [B, d_output], new state). Reference recurrent form."""
        return L.step_seq(self.seq, x_t, state)

    @torch.no_grad()
    def run_steps(self, x):
        """Apply step() frame by frame: x [B, T, d_input] -> [B, T, d_output]. For tests/benchmarks."""
        state = self.init_state(x.shape[0], like=x)
        ys = []
        for t in range(x.shape[1]):
            y, state = self.step(x[:, t], state)
            ys.append(y)
        return torch.stack(ys, dim=1)

    def format_tensors(self):
        """{"<name>.<param>": tensor} — exactly the tensors FORMAT.md expects for self.config."""
        sd = self.state_dict()
        want = expected_tensor_shapes(self.config)
        if set(sd) != set(want):
            raise RuntimeError("state_dict keys %s != FORMAT.md tensors %s"
                               % (sorted(set(sd) ^ set(want)), "(symmetric difference)"))
        for k, shape in want.items():
            if list(sd[k].shape) != list(shape):
                raise RuntimeError("tensor %s has shape %s, FORMAT.md wants %s" % (k, list(sd[k].shape), shape))
        return sd
