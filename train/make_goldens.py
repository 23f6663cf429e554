#!/usr/bin/python3
"""Regenerate the golden test vectors tests/data/golden_<case>.safetensors (dsp/FORMAT.md "Golden vectors").

    /usr/bin/python3 train/make_goldens.py                 # all cases into tests/data/
    /usr/bin/python3 train/make_goldens.py --out DIR s4d_zoh lru

Each file is a model file plus `golden.input [T, d_input]` and `golden.output [T, d_output]`,
T = 4096. The model is built with the standard initialization (torch.manual_seed per case), then
every parameter is perturbed so that no tensor is trivially 0/1 (the C side must really use
each one). The input is a sum of sinusoids and noise at unit RMS (numpy's legacy RandomState, so
it does not depend on the torch version). Parameters and input are rounded to float32 first —
exactly what the file stores — then the output is computed in float64 with the PARALLEL form
(FFT convolution for s4d/lru/s5, the sequential reference scan for mamba) and stored as float32.
Everything runs on CPU with deterministic ops.

Besides the layer cases, `denoise_df` (tests/data/denoise_df_golden.safetensors) is a tiny denoise
model with task_params version 2 (deep filtering of 40 bins with 3 taps, learned floor; see
train/denoise/features.py) plus `golden.denoise_in` (1 s of a 16 kHz harmonic signal in noise) and
`golden.denoise_out` (features.Pipeline's output in float64); tests/unit/test_denoise.c runs the C
engine on it. The generator checks that the deep filter and the floor change the output by far more
than the test's tolerance, so an engine that ignored either would fail.

`net_bf16` and `mamba_bf16` are the `net` and `mamba` cases with every weight matrix that may be
BF16 (train/quantize.py) rounded to bf16 and stored as BF16; their golden.output is computed the
same way from those rounded weights, so the C core's bf16 kernels meet the same 1e-4 tolerance.
The script prints how far the bf16 output moves from the F32 case's (dsp/FORMAT.md states it).
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "denoise"))
from swtorch.net import Net                      # noqa: E402
from swtorch.export import save_model            # noqa: E402
from swtorch import safetensors_io               # noqa: E402
import quantize                                  # noqa: E402
import trainutil                                 # noqa: E402
import features as denoise_features              # noqa: E402

T = 4096
SEED = 20240601
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _single(layer, d=16):
    return {"version": 1, "d_input": d, "d_output": d, "task": "test", "layers": [layer]}


def _net_config():
    """Every glue type except embedding, pre-norm residual blocks, a pool by 4 with SSMs inside."""
    return {"version": 1, "d_input": 8, "d_output": 8, "task": "test", "layers": [
        {"type": "linear", "name": "inp", "d_in": 8, "d_out": 32, "bias": True},
        {"type": "conv1d", "name": "inp_conv", "d": 32, "kernel": 4},
        {"type": "act", "fn": "gelu", "d": 32},
        {"type": "residual", "layers": [
            {"type": "norm", "name": "b1_norm", "kind": "rms", "d": 32, "eps": 1e-5},
            {"type": "s4d", "name": "b1_s4d", "d": 32, "n": 16, "disc": "zoh"},
            {"type": "act", "fn": "gelu", "d": 32},
            {"type": "linear", "name": "b1_ff", "d_in": 32, "d_out": 64, "bias": True},
            {"type": "glu", "d_in": 64}]},
        {"type": "residual", "layers": [
            {"type": "norm", "name": "b2_norm", "kind": "layer", "d": 32, "eps": 1e-5},
            {"type": "lru", "name": "b2_lru", "d": 32, "n": 24}]},
        {"type": "pool", "name": "pool", "d": 32, "factor": 4, "expand": 2, "layers": [
            {"type": "residual", "layers": [
                {"type": "norm", "name": "p1_norm", "kind": "rms", "d": 64, "eps": 1e-5},
                {"type": "s5", "name": "p1_s5", "d": 64, "p": 16, "disc": "zoh", "conj": True},
                {"type": "act", "fn": "silu", "d": 64}]},
            {"type": "residual", "layers": [
                {"type": "norm", "name": "p2_norm", "kind": "layer", "d": 64, "eps": 1e-5},
                {"type": "mamba", "name": "p2_mamba", "d": 64, "d_inner": 64, "d_state": 16,
                 "d_conv": 4, "dt_rank": 4}]},
            {"type": "residual", "layers": [
                {"type": "norm", "name": "p3_norm", "kind": "rms", "d": 64, "eps": 1e-5},
                {"type": "s4d", "name": "p3_s4d", "d": 64, "n": 16, "disc": "bilinear"}]}]},
        {"type": "residual", "layers": [
            {"type": "norm", "name": "b3_norm", "kind": "rms", "d": 32, "eps": 1e-5},
            {"type": "s5", "name": "b3_s5", "d": 32, "p": 16, "disc": "bilinear", "conj": False},
            {"type": "act", "fn": "tanh", "d": 32},
            {"type": "linear", "name": "b3_ff", "d_in": 32, "d_out": 32, "bias": False},
            {"type": "act", "fn": "relu", "d": 32}]},
        {"type": "norm", "name": "out_norm", "kind": "layer", "d": 32, "eps": 1e-5},
        {"type": "linear", "name": "out", "d_in": 32, "d_out": 8, "bias": True},
        {"type": "act", "fn": "sigmoid", "d": 8}]}


def _embed_config():
    return {"version": 1, "d_input": 1, "d_output": 4, "task": "test", "layers": [
        {"type": "embedding", "name": "emb", "n": 64, "d": 16},
        {"type": "s4d", "name": "emb_s4d", "d": 16, "n": 16, "disc": "bilinear"},
        {"type": "linear", "name": "emb_out", "d_in": 16, "d_out": 4, "bias": True}]}


CASES = {
    "s4d_zoh": lambda: _single({"type": "s4d", "name": "s4d", "d": 16, "n": 32, "disc": "zoh"}),
    "s4d_bilinear": lambda: _single({"type": "s4d", "name": "s4d", "d": 16, "n": 32, "disc": "bilinear"}),
    "lru": lambda: _single({"type": "lru", "name": "lru", "d": 16, "n": 32}),
    "s5_zoh": lambda: _single({"type": "s5", "name": "s5", "d": 16, "p": 32, "disc": "zoh", "conj": True}),
    "s5_bilinear": lambda: _single({"type": "s5", "name": "s5", "d": 16, "p": 24, "disc": "bilinear",
                                    "conj": False}),
    "mamba": lambda: _single({"type": "mamba", "name": "mamba", "d": 16, "d_inner": 32, "d_state": 16,
                              "d_conv": 4, "dt_rank": 2}),
    "net": _net_config,
    "embed": _embed_config,
}
# The reference (sequential) Mamba scan for goldens; everything else has one parallel form.
GOLDEN_INIT = {"mamba": {"scan_chunk": 0}}


def _perturb(net, gen):
    """Add noise to every parameter: 0.2 * max(rms(p), 0.1) * N(0, 1).

    All SSM parametrizations stay stable under any perturbation (decay rates go through
    -exp(.) or exp(-exp(.))), so this only makes the test vectors less special.
    """
    with torch.no_grad():
        for _, p in sorted(net.named_parameters()):
            scale = 0.2 * max(float(p.pow(2).mean().sqrt()), 0.1)
            p.add_(scale * torch.randn(p.shape, generator=gen))


def make_input(case, d_input, seed):
    """[T, d_input] float32: per channel 3 sinusoids + white noise + slow envelope, unit RMS.

    The `embed` case gets token indices instead: integers in [-3, 70] (outside 0..63 tests the
    clamp) and some exact .5 values (tests round-half-to-even)."""
    rs = np.random.RandomState(seed)
    t = np.arange(T)
    if case == "embed":
        idx = rs.randint(-3, 71, size=T).astype(np.float64)
        halves = rs.rand(T) < 0.1
        idx[halves] += 0.5
        idx += np.where(halves, 0.0, rs.uniform(-0.3, 0.3, size=T))
        return idx[:, None].astype(np.float32)
    x = np.zeros((T, d_input))
    for c in range(d_input):
        for _ in range(3):
            f = np.exp(rs.uniform(np.log(1e-3), np.log(0.3)))
            x[:, c] += rs.uniform(0.2, 1.0) * np.sin(2 * np.pi * f * t + rs.uniform(0, 2 * np.pi))
        x[:, c] += 0.5 * rs.randn(T)
        x[:, c] *= 1 + 0.5 * np.sin(2 * np.pi * t / rs.uniform(500, 3000))
        x[:, c] /= np.sqrt(np.mean(x[:, c] ** 2))
    return x.astype(np.float32)


def build_case(case):
    """-> (float32 Net with perturbed params, float32 input [T, d_input]) for one case. Deterministic."""
    idx = sorted(CASES).index(case)
    torch.manual_seed(SEED + idx)
    net = Net(CASES[case](), init=GOLDEN_INIT)
    _perturb(net, torch.Generator().manual_seed(SEED + 1000 + idx))
    net.eval()
    return net, make_input(case, net.d_input, SEED + 2000 + idx)


@torch.no_grad()
def golden_output(net, x):
    """Parallel form in float64 of the float32 params/input: x [T, d] ndarray -> y [T, d_out] float64."""
    net64 = Net(net.config, init=GOLDEN_INIT).double()
    net64.load_state_dict({k: v.double() for k, v in net.state_dict().items()})
    return net64(torch.from_numpy(x.astype(np.float64))[None])[0].numpy()


def write_case(case, outdir):
    net, x = build_case(case)
    y = golden_output(net, x)
    path = os.path.join(outdir, "golden_%s.safetensors" % case)
    save_model(net, path, task="test", extra_tensors={"golden.input": x, "golden.output": y.astype(np.float32)})
    return path


BF16_CASES = ("mamba_bf16", "net_bf16")


def write_bf16_case(case, outdir):
    base = case[:-len("_bf16")]
    net, x = build_case(base)
    y32 = golden_output(net, x)
    names = quantize.eligible(net.config["layers"])
    with torch.no_grad():
        sd = net.state_dict()
        for k in names:
            sd[k].copy_(torch.from_numpy(safetensors_io.bf16_round(sd[k].numpy())))
    y = golden_output(net, x)
    path = os.path.join(outdir, "golden_%s.safetensors" % case)
    save_model(net, path, task="test", extra_tensors={"golden.input": x, "golden.output": y.astype(np.float32)})
    tensors, meta = safetensors_io.read(path)
    safetensors_io.write(path, tensors, meta, bf16=set(names))   # exact: the values are bf16 already
    print("%s: %d matrices BF16; max|y_bf16 - y_f32| = %.3g x max|y_f32|"
          % (case, len(names), float(np.max(np.abs(y - y32)) / np.max(np.abs(y32)))))
    return path


# ------------------------------------------------------------------ denoise_df --

DENOISE_CASES = ("denoise_df",)
DENOISE_FS = 16000


def denoise_df_case():
    """-> (float32 Net, float32 input [S]): a d 16 x 1 block S4D stack with version-2 task_params."""
    tp = dict(denoise_features.DF_TASK_PARAMS)
    d_in, d_out = denoise_features.net_widths(tp)
    cfg = {"version": 1, "d_input": d_in, "d_output": d_out, "task": "denoise", "task_params": tp,
           "layers": trainutil.s4d_stack(d_in, 16, 1, 8, d_out, glu=True)}
    torch.manual_seed(SEED + 500)
    net = Net(cfg)
    _perturb(net, torch.Generator().manual_seed(SEED + 1500))
    with torch.no_grad():
        # Deep-filter logits of order 1, so that tanh is far from 0 and from saturation.
        net.out.weight[161:-1] *= 8.0
        net.out.bias[-1] = 0.0   # phi = 0.15: the floor matters too
    net.eval()
    rs = np.random.RandomState(SEED + 2500)
    t = np.arange(DENOISE_FS) / DENOISE_FS
    f0 = 140.0 * (1 + 0.08 * np.sin(2 * np.pi * 1.3 * t))           # a gliding voice: harmonics move
    ph = 2 * np.pi * np.cumsum(f0) / DENOISE_FS
    x = sum(np.sin(k * ph + k) / k for k in range(1, 15)) * 0.1 * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))
    x = x + 0.02 * rs.randn(len(t))
    return net, x.astype(np.float32)


@torch.no_grad()
def denoise_golden_output(net, x, drop=()):
    """features.Pipeline in float64 on the float32 params/input -> y [S] float64. drop: parts of the
    version-2 head to switch off ('df', 'floor') for the generator's own check."""
    net64 = Net(net.config).double()
    net64.load_state_dict({k: v.double() for k, v in net.state_dict().items()})
    tp = dict(net.config["task_params"])
    pipe = denoise_features.Pipeline(DENOISE_FS, tp).double()
    spec = pipe.stft(torch.from_numpy(x.astype(np.float64))[None])
    o = net64(pipe.features(spec))
    G, J, n = tp["grid_n"], tp["df_bins"], tp["df_order"]
    if "df" in drop:
        o[..., G:G + 2 * J * n] = 0.0
    if "floor" in drop:
        o[..., -1] = -1e4
    Y, _ = pipe.head(o, spec)
    return pipe.istft(Y, len(x))[0].numpy()


def write_denoise_case(case, outdir):
    net, x = denoise_df_case()
    y = denoise_golden_output(net, x)
    mx = float(np.max(np.abs(y)))
    for part in ("df", "floor"):
        dy = float(np.max(np.abs(denoise_golden_output(net, x, drop=(part,)) - y)))
        if dy < 1e-2 * mx:   # 100x the C test's tolerance (1e-4 of max|y|)
            sys.exit("%s: dropping %r changes the output by only %.3g of max|y| %.3g" % (case, part, dy, mx))
        print("%s: without %s the output moves by %.3g (max|y| %.3g)" % (case, part, dy, mx))
    # Not golden_*.safetensors: that name is the layer cases' (golden.input/output, test_core_golden.c).
    path = os.path.join(outdir, "%s_golden.safetensors" % case)
    save_model(net, path, task="denoise", extra_tensors={"golden.denoise_in": x,
                                                         "golden.denoise_out": y.astype(np.float32)})
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(REPO, "tests", "data"))
    ap.add_argument("cases", nargs="*", default=sorted(CASES) + list(DENOISE_CASES) + list(BF16_CASES))
    args = ap.parse_args()
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)            # same reduction order on every machine
    os.makedirs(args.out, exist_ok=True)
    for case in args.cases:
        if case in DENOISE_CASES:
            path = write_denoise_case(case, args.out)
            print("wrote %s (%d bytes)" % (path, os.path.getsize(path)))
            continue
        if case in BF16_CASES:
            path = write_bf16_case(case, args.out)
            print("wrote %s (%d bytes)" % (path, os.path.getsize(path)))
            continue
        if case not in CASES:
            sys.exit("unknown case %r (known: %s)" % (case, ", ".join(sorted(CASES) + list(DENOISE_CASES)
                                                                        + list(BF16_CASES))))
        path = write_case(case, args.out)
        print("wrote %s (%d bytes)" % (path, os.path.getsize(path)))


if __name__ == "__main__":
    main()
