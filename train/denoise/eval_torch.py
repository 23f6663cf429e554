#!/usr/bin/python3
"""SSM versus GRU: score training checkpoints on both dev sets through the same PyTorch pipeline.

    /usr/bin/python3 train/denoise/eval_torch.py --ckpt ssm=out/denoise/ssm/ckpt.pt \
        --ckpt gru=out/denoise/gru/ckpt.pt [--json build/eval/ssm_vs_gru.json]

The GRU baseline has no C implementation (the engine runs SSM stacks only), so both networks are
compared here on equal terms: each noisy clip is resampled to 16 kHz, enhanced by features.Pipeline
(the C engine's signal path at the training rate), resampled back to the clip's rate and scored
with train/metrics.py exactly as `make eval` scores the C engine (SI-SDR, SI-SDRi, STOI, LSD, and
on devset-wb the band-level medians). Above 8 kHz this path outputs nothing (the C engine applies
the 7-8 kHz mean gain there), which all rows share. Prints a markdown table.
"""
import argparse
import glob
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.abspath(os.path.join(HERE, "..")))
import features as FT  # noqa: E402
import metrics  # noqa: E402
import train as TR  # noqa: E402
from swtorch.net import Net  # noqa: E402

REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
SETS = {"devset": os.path.join(REPO, "..", "shared", "data", "devset"),
        "devset-wb": os.path.join(REPO, "..", "shared", "data", "devset-wb")}


def load(path):
    if path.endswith(".safetensors"):  # a model file (e.g. the shipped preset): no training history
        from swtorch.export import load_model
        net = load_model(path)
        return net, {"config": net.config, "step": 0, "elapsed": 0.0}
    ck = torch.load(path, map_location="cpu", weights_only=False)
    cfg = ck["config"]
    if cfg.get("arch") == "gru":
        net = TR.GRUNet(cfg["G"], cfg["hidden"], cfg["layers"])
    else:
        net = Net(cfg)
    net.load_state_dict(ck["net"])
    return net.eval(), ck


def enhance(net, pipe, x, fs):
    """pipe: features.Pipeline(16000, the model's task_params)."""
    x16 = metrics.resample(x, fs, 16000)
    S = len(x16) // pipe.H * pipe.H
    with torch.no_grad():
        y, _ = pipe.enhance(net, torch.from_numpy(x16[:S].astype(np.float32))[None])
    y16 = np.concatenate([y[0].double().numpy(), np.zeros(len(x16) - S)])
    return metrics.resample(y16, 16000, fs)[:len(x)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", action="append", required=True,
                    help="NAME=PATH (train.py checkpoint, or a model file *.safetensors)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    nets = []
    for spec in args.ckpt:
        name, path = spec.split("=", 1)
        net, ck = load(path)
        macs = TR.macs_per_frame(net if isinstance(net, TR.GRUNet) else ck["config"])
        tp = None if isinstance(net, TR.GRUNet) else ck["config"].get("task_params")
        nets.append((name, net, ck, macs, sum(p.numel() for p in net.parameters()), FT.Pipeline(16000, tp)))
    res = {}
    for set_name, root in SETS.items():
        clean_files = sorted(glob.glob(os.path.join(root, "clean", "*.flac")))
        for name, net, ck, macs, npar, pipe in nets:
            rows = []
            for cp in clean_files:
                ref, fs = metrics.read_audio(cp)
                x, fsx = metrics.read_audio(os.path.join(root, "noisy", os.path.basename(cp)))
                sc = metrics.Reference(ref, fs)
                y = enhance(net, pipe, x, fsx)
                r = sc.score(y, fsx, bands=(set_name == "devset-wb"))
                r0 = sc.score(x, fsx)
                r["si_sdri"] = r["si_sdr"] - r0["si_sdr"]
                rows.append(r)
            agg = {k: float(np.mean([r[k] for r in rows])) for k in ("si_sdr", "si_sdri", "stoi", "lsd")}
            if set_name == "devset-wb":
                agg["bands"] = [float(v) for v in np.median([r["bands"] for r in rows], axis=0)]
            agg.update(steps=int(ck["step"]), trained_s=float(ck.get("elapsed", 0.0)), macs=macs, params=npar)
            res.setdefault(set_name, {})[name] = agg
            print("%s %s: %s" % (set_name, name, json.dumps(agg)), flush=True)
    print("\n| dev set | model | params | MACs/frame | steps | SI-SDR | SI-SDRi | STOI | LSD |")
    print("|---|---|---|---|---|---|---|---|---|")
    for set_name, d in res.items():
        for name, a in d.items():
            print("| %s | %s | %d | %d | %d | %.2f | %.2f | %.3f | %.2f |" %
                  (set_name, name, a["params"], a["macs"], a["steps"], a["si_sdr"], a["si_sdri"], a["stoi"], a["lsd"]))
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
