#!/usr/bin/python3
"""Train one timbre of the neural instrument (docs/INSTRUMENT.md) on a data pack from build_data.py.

    /usr/bin/python3 train/instrument/train.py --data .devdata_inst --timbre violin --arch ssm \
        --minutes 7 --out out/inst/violin_ssm

Each batch item is a random crop of a training segment, in MIDI mode (true note features, MIDI
pitch drives the oscillators) or audio mode (YIN f0 + loudness + tracker features, YIN pitch drives
the oscillators), half and half, so one model serves `statewave synth` and timbre transfer. Loss:
multi-resolution STFT distance (ddsp.mr_stft_distance) between the synthesized crop and the
recording. No validation-based selection: the model after the fixed time budget is the model (the
held-out phrases are only used by eval.py). --arch gru trains the baseline of equal compute the same way.

The training rate is the data pack's (build_data.py --rate, 24 kHz by default); the model's
task_params.sample_rate is set to it. --init FILE starts from a model file (e.g. a shipped timbre
trained at another rate: ddsp.remap_rate re-places its noise bands) instead of a random net, keeping
its task_params (vibrato, gain_db) but the rate.

Writes <out>/ckpt.pt (resumable with --resume), <out>/log.jsonl and at the end
<out>/<timbre>.safetensors (ssm: a Statewave model file) or <out>/<timbre>_gru.pt (baseline).
"""
import argparse
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.abspath(os.path.join(HERE, "..")))
import ddsp  # noqa: E402
import model as M  # noqa: E402
import trainutil as TU  # noqa: E402
from swtorch.export import save_model  # noqa: E402

PITCH_RANGES = {"violin": (55, 100), "flute": (60, 96), "trumpet": (52, 84), "cello": (36, 76),
                "cello_real": (36, 76)}


class Pack:
    """A timbre's segments on the training device: audio [S, L] float32, features [S, T, 8] x2,
    oscillator pitch [S, T] x2 (MIDI mode / audio mode)."""

    def __init__(self, path, device):
        z = np.load(path)
        self.audio = torch.tensor(z["audio"].astype(np.float32) / 32768.0, device=device)
        self.feats = [torch.tensor(z["midi_feats"].astype(np.float32), device=device),
                      torch.tensor(z["audio_feats"].astype(np.float32), device=device)]
        self.pitch = [torch.tensor(z["midi_pitch"].astype(np.float32), device=device),
                      torch.tensor(z["yin_pitch"].astype(np.float32), device=device)]
        self.n_seg, self.n_frames = self.pitch[0].shape
        self.hop = self.audio.shape[1] // self.n_frames
        self.sr = int(z["sample_rate"]) if "sample_rate" in z else ddsp.SR_TRAIN
        assert self.hop * ddsp.CONTROL_RATE == self.sr, "pack: %d samples per frame at %d Hz" % (self.hop, self.sr)

    def pitch_range(self):
        """A pack of your own: the 2nd..98th percentile of its voiced YIN pitch, widened by 6 semitones."""
        p = self.pitch[1][self.feats[1][..., 2] > 0.5].float().cpu()
        if p.numel() == 0:
            return (21, 108)
        lo, hi = torch.quantile(p, 0.02).item(), torch.quantile(p, 0.98).item()
        return (max(0, int(lo) - 6), min(127, int(hi) + 7))

    def batch(self, B, T, gen, p_audio=0.5):
        dev = self.audio.device
        seg = torch.randint(0, self.n_seg, (B,), generator=gen, device="cpu")
        start = torch.randint(0, self.n_frames - T + 1, (B,), generator=gen, device="cpu")
        mode = (torch.rand(B, generator=gen) < p_audio).long()
        feats, pitch, audio = [], [], []
        for b in range(B):
            s, t0, md = int(seg[b]), int(start[b]), int(mode[b])
            feats.append(self.feats[md][s, t0:t0 + T])
            pitch.append(self.pitch[md][s, t0:t0 + T])
            audio.append(self.audio[s, t0 * self.hop:(t0 + T) * self.hop])
        return torch.stack(feats).to(dev), torch.stack(pitch).to(dev), torch.stack(audio).to(dev)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--timbre", required=True)
    ap.add_argument("--arch", choices=("ssm", "gru"), default="ssm")
    TU.add_budget_args(ap, minutes=7.0, batch=16, lr=2e-3, seed=1)
    ap.add_argument("--crop-frames", type=int, default=500)
    ap.add_argument("--init", default="", help="start from this model file (ssm only) instead of a random net")
    ap.add_argument("--log-every", type=int, default=100)
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    os.makedirs(args.out, exist_ok=True)
    dev = torch.device(args.device)
    pack = Pack(os.path.join(args.data, "%s_train.npz" % args.timbre), dev)
    if args.init:
        from swtorch.export import load_model
        assert args.arch == "ssm", "--init takes a model file (ssm)"
        net = load_model(args.init)
        old = ddsp.remap_rate(net, pack.sr)
        print("init %s (%d Hz) at %d Hz" % (args.init, old, pack.sr), flush=True)
        cfg = {"task_params": net.config["task_params"]}
        net.train()
    else:
        net, cfg = M.build(args.arch, timbre=args.timbre,
                           pitch_range=PITCH_RANGES.get(args.timbre) or pack.pitch_range())
        cfg["task_params"]["sample_rate"] = pack.sr
    net = net.to(dev)
    opt = torch.optim.Adam(net.parameters(), lr=args.lr)
    gen = torch.Generator().manual_seed(args.seed)
    ngen = torch.Generator(device=dev).manual_seed(args.seed + 1)
    ck = os.path.join(args.out, "ckpt.pt")
    step, elapsed = TU.resume(ck, net, opt, dev) if args.resume else (0, 0.0)
    print("%s %s: %d params, %d train segments (%.0f s), %s" % (
        args.timbre, args.arch, sum(p.numel() for p in net.parameters()), pack.n_seg,
        pack.audio.numel() / pack.sr, dev), flush=True)

    def loss_of():
        feats, pitch, audio = pack.batch(args.batch, args.crop_frames, gen)
        o = net(feats)
        y = ddsp.synthesize(o, ddsp.pitch_to_hz(pitch), sr=pack.sr, sr_train=pack.sr, gen=ngen)
        return ddsp.mr_stft_distance(y, audio)

    step, _ = TU.budgeted_loop(args, net, opt, ck, step, elapsed,
                               lambda step, frac: TU.warmup_cosine(args.lr, step, 200.0, frac, 0.05),
                               loss_of, args.log_every)
    net = net.cpu().eval()
    if args.arch == "ssm":
        path = os.path.join(args.out, "%s.safetensors" % args.timbre)
        save_model(net, path, task="synth", task_params=cfg["task_params"])
    else:
        path = os.path.join(args.out, "%s_gru.pt" % args.timbre)
        torch.save({"hidden": net.hidden, "state_dict": net.state_dict()}, path)
    print("wrote %s after %d steps" % (path, step), flush=True)


if __name__ == "__main__":
    main()
