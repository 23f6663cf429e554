#!/usr/bin/python3
"""Export a training checkpoint (train.py's ckpt.pt) as a Statewave model file with golden vectors.

    /usr/bin/python3 train/denoise/export.py --ckpt out/denoise/ckpt.pt --out presets/denoise.safetensors

The file gets golden.denoise_in (2 s of a held-out 16 kHz validation mixture, or a synthetic
harmonic+noise signal when the data pack is absent) and golden.denoise_out (this PyTorch
pipeline's output on it); tests/unit/test_denoise.c checks the C engine against them.
"""
import argparse
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.abspath(os.path.join(HERE, "..")))
import features as FT  # noqa: E402
from swtorch.net import Net  # noqa: E402
from swtorch.export import save_model  # noqa: E402

FS = 16000


def golden_input(pack):
    if pack and os.path.exists(pack):
        import train as TR
        g = torch.Generator()
        g.manual_seed(1234)
        data = TR.Data(pack, torch.device("cpu"), g)
        x, _, _ = data.batch(4, 2 * FS, "val")
        return x[:1]
    t = torch.arange(2 * FS) / FS
    x = sum(torch.sin(2 * np.pi * 150 * k * t) / k for k in range(1, 10)) * 0.05 * (1 + torch.sin(2 * np.pi * 2 * t))
    return (x + 0.02 * torch.randn(2 * FS, generator=torch.Generator().manual_seed(0)))[None]


def export(net, cfg, out, pack):
    net = net.cpu().eval()
    gx = golden_input(pack)
    with torch.no_grad():
        gy, _ = FT.Pipeline(FS, cfg["task_params"]).enhance(net, gx)
    return save_model(net, out, task="denoise", task_params=cfg["task_params"],
                      extra_tensors={"golden.denoise_in": gx[0], "golden.denoise_out": gy[0]})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--pack", default=os.path.join(HERE, "..", "..", ".devdata", "denoise_pack.npz"))
    args = ap.parse_args()
    ck = torch.load(args.ckpt, map_location="cpu", weights_only=False)
    cfg = ck["config"]
    net = Net(cfg)
    net.load_state_dict(ck["net"])
    export(net, cfg, args.out, args.pack)
    n = sum(p.numel() for p in net.parameters())
    print("wrote %s: %d params, step %d, trained %.0f s" % (args.out, n, ck["step"], ck.get("elapsed", 0)))


if __name__ == "__main__":
    main()
