#!/usr/bin/python3
"""Train the speech denoiser (16 kHz, the C engine's exact feature/gain pipeline, features.py).

Recipe of the shipped model: train/denoise/recipe.sh (data pack, three seeded stages, export).
One stage:
    /usr/bin/python3 train/denoise/train.py --seed 1 --batch 128 --steps 7000 --out out/denoise

Runs on CUDA when available (mixing, synthetic noise, features and the network all on the GPU),
otherwise on CPU. --time-limit stops early with a checkpoint; --resume continues from one (the
accelerator runs 10-minute commands). The model is written as a Statewave model file
(dsp/FORMAT.md, task "denoise", task_params = features.DEFAULT_TASK_PARAMS) with swtorch.export.

On-the-fly mixtures (per batch item): a crop of a training speech stream (mu-law pack, 8 kHz
sources upsampled x2 on the device), optional synthetic reverb (target = early part), optional
first-order EQ tilt, noise = a real noise crop (looped when short) or a synthetic one (coloured
noise with a random slope, mains hum with harmonics, babble of training speech, clicks, fan-like
tonal noise, modulated noise), sometimes two, SNR U(-5, 17) dB over the crop, level -35..-1 dBFS
peak, and sometimes a band limit (4 kHz or 5.5 kHz brickwall; bins above read as silence, as the
C engine does at 8 / 11.025 kHz). Loss: -SI-SDR + multi-resolution log-magnitude L1 (with --w-over,
log-magnitude deficits, i.e. over-suppressed speech, cost 1 + w-over times as much as excesses).

v3 models (--df-bins > 0 or --floor-max > 0) use task_params version 2 (features.DF_TASK_PARAMS):
deep filtering of the lowest bins and a learned gain floor, applied after the network by the
engine. --init-from a v2 model file or checkpoint of another shape (e.g. the shipped v2 preset)
copies every tensor whose shape matches and the overlapping part of the input and output layers
(the new phase-feature inputs and deep-filter outputs start at zero, so the network starts as the
gain-only model it came from); --init-partial allows it.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.abspath(os.path.join(HERE, "..")))
import features as FT  # noqa: E402
import opus_io  # noqa: E402
import trainutil as TU  # noqa: E402
from swtorch.net import Net  # noqa: E402
from swtorch.export import save_model  # noqa: E402

FS = 16000


def make_config(d=64, n_blocks=4, n_state=16, G=161, task_params=None):
    """The S4D stack of a denoise model. task_params version 1: G -> G gains (ends in a sigmoid);
    version 2: logits of the engine's head (features.net_widths), no final activation."""
    tp = dict(task_params or FT.DEFAULT_TASK_PARAMS)
    d_in, d_out = FT.net_widths(tp)
    layers = TU.s4d_stack(d_in, d, n_blocks, n_state, d_out, glu=True)
    if int(tp["version"]) == 1:
        layers.append({"type": "act", "fn": "sigmoid", "d": G})
    return {"version": 1, "d_input": d_in, "d_output": d_out, "task": "denoise",
            "task_params": tp, "layers": layers}


def task_params_for(df_bins, df_order, floor_max):
    """Version 1 (the shipped v2 model's) when there is neither deep filtering nor a floor."""
    if df_bins == 0 and floor_max == 0:
        return dict(FT.DEFAULT_TASK_PARAMS)
    return dict(FT.DF_TASK_PARAMS, df_bins=df_bins, df_order=df_order, floor_max=floor_max)


FLOOR_BIAS0 = -3.0   # the floor logit's starting bias: phi = floor_max * 0.047 (-37 dB at 0.3)


def init_head(net, cfg):
    """Fresh version-2 outputs: deep-filter coefficients zero (the filter starts as the gains
    alone, and tanh' = 1 there), the floor logit at FLOOR_BIAS0."""
    tp = cfg["task_params"]
    if int(tp["version"]) != 2:
        return
    G = int(tp["grid_n"])
    out = dict(net.named_parameters())
    with torch.no_grad():
        out["out.weight"][G:].zero_()
        out["out.bias"][G:].zero_()
        if tp["floor_max"] > 0:
            out["out.bias"][-1] = FLOOR_BIAS0


def init_from_partial(net, cfg, src):
    """Copies a state dict `src` into net where shapes allow: equal shapes whole; the input layer
    'inp.weight' and the output layer 'out.weight' / 'out.bias' over their overlap (the first
    grid_n inputs / outputs are the same quantities in every version). -> names copied."""
    copied = []
    own = net.state_dict()
    with torch.no_grad():
        for k, v in src.items():
            if k not in own:
                continue
            dst = own[k]
            if dst.shape == v.shape:
                dst.copy_(v)
                copied.append(k)
            elif k in ("inp.weight", "out.weight", "out.bias") and dst.dim() == v.dim() and \
                    (dst.dim() == 1 or k == "out.weight" and dst.shape[1] == v.shape[1] or
                     k == "inp.weight" and dst.shape[0] == v.shape[0]):
                sl = tuple(slice(0, min(a, b)) for a, b in zip(dst.shape, v.shape))
                dst[sl].copy_(v[sl])
                if k == "inp.weight":
                    dst[:, v.shape[1]:].zero_()   # new inputs (phase features) start unheard
                copied.append(k + " (overlap)")
    return copied


class RMSNorm(torch.nn.Module):
    """y = x / sqrt(mean(x^2) + eps) * weight, as torch.nn.RMSNorm (which older torch lacks);
    the same parameter name, so checkpoints load under any torch version."""

    def __init__(self, d, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.weight = torch.nn.Parameter(torch.ones(d))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class GRUNet(torch.nn.Module):
    """Baseline of the same interface (features [B,T,G] -> gains [B,T,G]): linear -> stacked GRU
    -> RMS norm -> linear -> sigmoid. PyTorch only (the C engine runs SSM stacks); it is trained
    with the same recipe and scored through the same torch pipeline for the SSM-vs-GRU table."""

    def __init__(self, G=161, hidden=140, layers=2):
        super().__init__()
        self.inp = torch.nn.Linear(G, hidden)
        self.gru = torch.nn.GRU(hidden, hidden, num_layers=layers, batch_first=True)
        self.norm = RMSNorm(hidden, eps=1e-5)
        self.out = torch.nn.Linear(hidden, G)
        self.config = {"arch": "gru", "G": G, "hidden": hidden, "layers": layers}

    def forward(self, f):
        h, _ = self.gru(self.inp(f))
        return torch.sigmoid(self.out(self.norm(h)))


def macs_per_frame(cfg_or_net):
    """Multiply-accumulates per frame of one stream (recurrent mode): linears, S4D recurrences
    (complex state update, input and output: 8 real MACs per state), GRU gates (3 x (in + hidden)
    x hidden). Norms and activations are not counted."""
    if isinstance(cfg_or_net, GRUNet):
        c = cfg_or_net.config
        h = c["hidden"]
        return c["G"] * h + c["layers"] * 3 * (h * h + h * h) + h * c["G"]
    total = 0

    def walk(layers):
        nonlocal total
        for l in layers:
            if l["type"] == "linear":
                total += l["d_in"] * l["d_out"]
            elif l["type"] == "s4d":
                total += 8 * l["d"] * l["n"]
            elif l["type"] == "residual":
                walk(l["layers"])
    walk(cfg_or_net["layers"])
    tp = cfg_or_net.get("task_params", {})
    if int(tp.get("version", 1)) == 2:
        total += 4 * int(tp["df_bins"]) * int(tp["df_order"])   # the deep filter's complex MACs
    return total


# ------------------------------------------------------------------------------ data --

def unpack_blobs(z, key):
    cat, offs, lens = z[key], z[key + "_offs"], z[key + "_lens"]
    return [cat[o:o + n].tobytes() for o, n in zip(offs, lens)]


def utterance_stream(pcm, rng):
    """Utterances -> one stream: each mean-removed, peak-normalised to -1..-6 dBFS, separated
    by 0.1-0.5 s of digital silence (the layout of build_data.build_stream)."""
    parts = []
    for x in pcm:
        x = x - x.mean()
        pk = np.max(np.abs(x)) if len(x) else 0.0
        if pk < 1e-4:
            continue
        parts += [x / pk * 10 ** (-rng.uniform(1, 6) / 20), np.zeros(int(rng.uniform(0.1, 0.5) * FS))]
    return np.concatenate(parts).astype(np.float32)


def mulaw_decode(q, mu=255.0):
    y = q.float() / 127.5 - 1.0
    return torch.sign(y) * ((1.0 + mu) ** y.abs() - 1.0) / mu


def upsample2_filter(taps=127):
    """Kaiser-windowed sinc low-pass at 3.9 kHz (16 kHz rate), gain 2 (zero insertion)."""
    n = np.arange(taps) - (taps - 1) / 2
    fc = 3900.0 / FS
    h = 2 * fc * np.sinc(2 * fc * n) * np.kaiser(taps, 10.0)
    return torch.tensor(h / h.sum() * 2.0, dtype=torch.float32)


class Data:
    def __init__(self, pack, device, gen, seed=0):
        z = np.load(pack)
        self.meta = json.loads(bytes(z["meta_json"]).decode())
        self.dev = device
        self.g = gen
        h = upsample2_filter().to(device)
        self.streams = {"train": [], "val": []}
        self.weights = []
        self.narrow = []                     # per corpus: True = 8 kHz recording (band-limited)
        for name, c in self.meta["corpora"].items():
            for split in ("train", "val"):
                x = mulaw_decode(torch.from_numpy(z["speech_%s_%s" % (name, split)]).to(device))
                if c["rate"] == 8000:
                    up = torch.zeros(2 * len(x), device=device)
                    up[0::2] = x
                    x = F.conv1d(up[None, None], h[None, None], padding=len(h) // 2)[0, 0]
                self.streams[split].append(x)
            # Wideband speech carries the training; the 8 kHz corpora are input variety only.
            w = {"fsdd": 0.04, "festvox": 0.12}.get(name, 0.02)
            self.weights.append(w)
            self.narrow.append(c["rate"] == 8000)
        self.noise_src = {}
        extra_noise = []
        opus_pack = pack[:-4] + "_opus.npz"
        if os.path.exists(opus_pack):
            zo = np.load(opus_pack)
            rng = np.random.default_rng(seed)
            for name in self.meta.get("opus", {}):
                if name == "moodist":
                    continue
                for split in ("train", "val"):
                    pcm = opus_io.decode_blobs(unpack_blobs(zo, "speech_%s_%s" % (name, split)), FS)
                    self.streams[split].append(torch.from_numpy(utterance_stream(pcm, rng)).to(device))
                self.weights.append(0.74)
                self.narrow.append(False)
            if "moodist" in self.meta.get("opus", {}):
                for x in opus_io.decode_blobs(unpack_blobs(zo, "noise_moodist"), FS):
                    extra_noise.append(torch.from_numpy(x - x.mean()))
        self.weights = torch.tensor(self.weights, device=device)
        self.narrow = torch.tensor(self.narrow, device=device)
        for split in ("train", "val"):
            raw = z["noise_%s" % split]
            if raw.dtype == np.uint8:                                # mu-law (current packs)
                cat = mulaw_decode(torch.from_numpy(raw))
            else:
                cat = torch.from_numpy(raw.astype(np.float32) / 32768.0)
            lens = torch.from_numpy(z["noise_%s_lens" % split])
            if split == "train" and extra_noise:
                cat = torch.cat([cat] + [e / (e.abs().max() + 1e-9) * 0.99 for e in extra_noise])
                lens = torch.cat([lens, torch.tensor([len(e) for e in extra_noise], dtype=lens.dtype)])
            cat, lens = cat.to(device), lens.to(device)
            offs = torch.cumsum(lens, 0) - lens
            self.noise_src[split] = (cat, offs, lens)
        self.rir_real = torch.from_numpy(z["rir_real"]).to(device)
        self.snr_lo, self.snr_hi = -5.0, 17.0
        self.clean_frac = 0.0
        self.narrow_wide_frac = 0.0

    def rand(self, *shape):
        return torch.rand(*shape, generator=self.g, device=self.dev)

    def randint(self, hi, shape):
        return torch.randint(0, hi, shape, generator=self.g, device=self.dev)

    def speech(self, B, S, split, with_narrow=False):
        out = torch.empty(B, S, device=self.dev)
        which = torch.multinomial(self.weights, B, replacement=True, generator=self.g)
        ar = torch.arange(S, device=self.dev)
        for ci, st in enumerate(self.streams[split]):
            idx = (which == ci).nonzero().flatten()
            if len(idx) == 0:
                continue
            start = (self.rand(len(idx)) * (len(st) - S - 1)).long()
            out[idx] = st[start[:, None] + ar[None, :]]
        return (out, self.narrow[which]) if with_narrow else out

    def real_noise(self, B, S, split):
        cat, offs, lens = self.noise_src[split]
        w = torch.sqrt(lens.float())
        src = torch.multinomial(w, B, replacement=True, generator=self.g)
        L = lens[src]
        st = (self.rand(B) * L.float()).long()
        ar = torch.arange(S, device=self.dev)
        idx = offs[src][:, None] + (st[:, None] + ar[None, :]) % L[:, None]
        return cat[idx]

    # Synthetic noises --------------------------------------------------------
    def colored(self, B, S, lo=-1.6, hi=0.6):
        X = torch.fft.rfft(torch.randn(B, S, generator=self.g, device=self.dev), dim=1)
        f = torch.fft.rfftfreq(S, 1 / FS).to(self.dev).clamp(min=20.0)
        alpha = lo + (hi - lo) * self.rand(B, 1)
        shape = (f[None] / 1000.0) ** alpha
        fc = 300 + 7700 * self.rand(B, 1)                     # random gentle low-pass
        shape = shape / torch.sqrt(1 + (f[None] / fc) ** (2 * (1 + 3 * self.rand(B, 1)).floor()))
        hp = 20 + 300 * self.rand(B, 1)
        shape = shape / torch.sqrt(1 + (hp / f[None]) ** 2)
        return torch.fft.irfft(X * shape, n=S, dim=1)

    def hum(self, B, S):
        t = torch.arange(S, device=self.dev) / FS
        f0 = torch.where(self.rand(B, 1) < 0.5, 50.0, 60.0) * (1 + 0.01 * (self.rand(B, 1) - 0.5))
        y = torch.zeros(B, S, device=self.dev)
        decay = 0.5 + 2.5 * self.rand(B, 1)
        for k in range(1, 40):
            amp = (k ** -decay) * (0.2 + self.rand(B, 1)) * (self.rand(B, 1) < 0.8)
            y = y + amp * torch.sin(2 * math.pi * f0 * k * t[None] + 2 * math.pi * self.rand(B, 1))
        return y + 0.05 * y.std(1, keepdim=True) * self.colored(B, S) / (self.colored(B, S).std() + 1e-9)

    def babble(self, B, S):
        n = 3 + self.randint(5, (1,)).item()
        y = torch.zeros(B, S, device=self.dev)
        for _ in range(n):
            y = y + self.speech(B, S, "train") * (0.3 + self.rand(B, 1))
        return y

    def clicks(self, B, S):
        rate = 1 + 30 * self.rand(B, 1)
        imp = (self.rand(B, S) < rate / FS).float() * (self.rand(B, S) * 2 - 1)
        L = 160
        k = torch.randn(L, generator=self.g, device=self.dev) * torch.exp(-torch.arange(L, device=self.dev) / 20.0)
        y = F.conv1d(imp[:, None], k.flip(0)[None, None], padding=L - 1)[:, 0, :S]
        return y + 0.02 * self.colored(B, S) * y.std(1, keepdim=True) / (1e-9 + 1)

    def fan(self, B, S):
        t = torch.arange(S, device=self.dev) / FS
        y = self.colored(B, S, -2.0, -0.5)
        y = y / (y.std(1, keepdim=True) + 1e-9)
        for _ in range(4):
            f = 80 + 2000 * self.rand(B, 1) ** 2
            wob = 1 + 0.003 * torch.sin(2 * math.pi * 0.5 * self.rand(B, 1) * t[None])
            y = y + (0.1 + 0.6 * self.rand(B, 1)) * torch.sin(2 * math.pi * f * wob * t[None] + 6.3 * self.rand(B, 1))
        am = 1 + 0.3 * self.rand(B, 1) * torch.sin(2 * math.pi * (0.2 + 5 * self.rand(B, 1)) * t[None])
        return y * am

    def modulated(self, B, S):
        y = self.colored(B, S)
        nfr = S // 1600 + 2
        env = torch.exp(1.5 * torch.randn(B, 1, nfr, generator=self.g, device=self.dev))
        env = F.interpolate(env, size=S, mode="linear", align_corners=True)[:, 0]
        return y * env

    def synth_noise(self, B, S):
        kinds = [self.colored, self.hum, self.babble, self.clicks, self.fan, self.modulated]
        p = torch.tensor([0.3, 0.12, 0.18, 0.1, 0.15, 0.15], device=self.dev)
        k = torch.multinomial(p, B, replacement=True, generator=self.g)
        out = torch.empty(B, S, device=self.dev)
        for i, fn in enumerate(kinds):
            idx = (k == i).nonzero().flatten()
            if len(idx):
                out[idx] = fn(len(idx), S)
        return out

    def noise(self, B, S, split):
        use_real = self.rand(B, 1) < (0.6 if split == "train" else 0.7)
        real = self.real_noise(B, S, split)
        n = torch.where(use_real, real, self.synth_noise(B, S))
        n = n / (n.std(1, keepdim=True) + 1e-9)
        second = (self.rand(B, 1) < 0.25).float()
        n2 = torch.where(self.rand(B, 1) < 0.5, self.real_noise(B, S, split), self.synth_noise(B, S))
        n2 = n2 / (n2.std(1, keepdim=True) + 1e-9)
        n = n + second * 10 ** (-10 * self.rand(B, 1) / 20) * n2
        return n - n.mean(1, keepdim=True)

    def reverb(self, s):
        B, S = s.shape
        L = 8000
        t = torch.arange(L, device=self.dev) / FS
        rt60 = 0.15 + 0.55 * self.rand(B, 1)
        rir = torch.randn(B, L, generator=self.g, device=self.dev) * torch.exp(-6.9 * t[None] / rt60)
        rir[:, 0] = 1.0 + self.rand(B)  # direct path
        early = rir * (t[None] < 0.05).float()
        n = 1 << (S + L).bit_length()
        Sf = torch.fft.rfft(s, n=n)
        wet = torch.fft.irfft(Sf * torch.fft.rfft(rir, n=n), n=n)[:, :S]
        dry = torch.fft.irfft(Sf * torch.fft.rfft(early, n=n), n=n)[:, :S]
        return wet, dry

    def reverb_some(self, s):
        """Synthetic reverb on 15% of the items: -> (speech in the mixture, target: its early part)."""
        rv = self.rand(s.shape[0], 1) < 0.15
        if not rv.any():
            return s, s
        wet, dry = self.reverb(s)
        return torch.where(rv, wet, s), torch.where(rv, dry, s)

    def at_snr(self, n, ps, snr):
        """Noise n scaled to snr (dB) below speech power ps."""
        pn = (n ** 2).mean(1, keepdim=True) + 1e-10
        return n * torch.sqrt(ps / (pn * 10 ** (snr / 10)))

    def tilt_and_level(self, x_s, tgt, n):
        """The same EQ tilt on speech, target and noise (30% of the items): y[t] = x[t] - a x[t-1];
        then the mixture at a peak of -35..-1 dBFS. -> (mixture, target, noise), scaled alike."""
        B = x_s.shape[0]
        a = (self.rand(B, 1) * 1.4 - 0.7) * (self.rand(B, 1) < 0.3)
        tilt = lambda v: v - a * F.pad(v, (1, 0))[:, :-1]  # noqa: E731
        x_s, tgt, n = tilt(x_s), tilt(tgt), tilt(n)
        x = x_s + n
        lvl = 10 ** ((-35 + 34 * self.rand(B, 1)) / 20)
        g = lvl / (x.abs().amax(1, keepdim=True) + 1e-9)
        return x * g, tgt * g, n * g

    def band_limit(self, x, tgt, band):
        """Brickwall x and tgt [B, S] (in place) above each item's band (in bins; 161 = full band)."""
        lim = band < 161
        if lim.any():
            S = x.shape[1]
            f = torch.fft.rfftfreq(S, 1 / FS).to(self.dev)
            keep = (f[None] < (band[:, None].float() - 0.5) * 50.0).float()
            X = torch.fft.rfft(x[lim], dim=1) * keep[lim]
            T = torch.fft.rfft(tgt[lim], dim=1) * keep[lim]
            x[lim] = torch.fft.irfft(X, n=S, dim=1)
            tgt[lim] = torch.fft.irfft(T, n=S, dim=1)

    def batch(self, B, S, split="train"):
        """-> mixture x [B,S], target s [B,S], band_bins [B] (161 = full band)."""
        s, narrow = self.speech(B, S, split, with_narrow=True)
        s = s - s.mean(1, keepdim=True)
        x_s, tgt = self.reverb_some(s)
        n = self.noise(B, S, split)
        snr = self.snr_lo + (self.snr_hi - self.snr_lo) * self.rand(B, 1)
        if self.clean_frac > 0:
            # nearly clean items (40-60 dB SNR): clean speech must pass through unchanged
            snr = torch.where(self.rand(B, 1) < self.clean_frac, 40.0 + 20.0 * self.rand(B, 1), snr)
        n = self.at_snr(n, (x_s ** 2).mean(1, keepdim=True) + 1e-10, snr)
        x, tgt, _ = self.tilt_and_level(x_s, tgt, n)
        # Band limits (8 / 11.025 kHz inputs): brickwall both; bins above read as silence.
        # 8 kHz recordings are always presented this way (as an 8 kHz stream), so no
        # full-band input is ever paired with a target that lacks the top octave.
        band = torch.full((B,), 161, device=self.dev, dtype=torch.long)
        r = self.rand(B)
        if self.narrow_wide_frac > 0:
            # some 8 kHz recordings arrive upsampled, in a wideband room: the noise keeps its top
            # octave and the target (the recording itself) has none, which is what is really there
            narrow = narrow & (self.rand(B) >= self.narrow_wide_frac)
        band = torch.where((r < 0.05) | narrow, torch.full_like(band, 81), band)          # 4 kHz
        band = torch.where((r >= 0.05) & (r < 0.08) & ~narrow, torch.full_like(band, 111), band)  # 5.5 kHz
        self.band_limit(x, tgt, band)
        return x, tgt, band


# ------------------------------------------------------------------------------ loss --

def si_sdr(y, s, eps=1e-8):
    y = y - y.mean(1, keepdim=True)
    s = s - s.mean(1, keepdim=True)
    a = (y * s).sum(1, keepdim=True) / ((s * s).sum(1, keepdim=True) + eps)
    t = a * s
    e = y - t
    return 10 * torch.log10(((t * t).sum(1) + eps) / ((e * e).sum(1) + eps))


def mr_logmag(y, s, w_over=0.0):
    """Multi-resolution log-magnitude L1; w_over > 0 adds w_over * the deficits (output below the
    clean speech: over-suppression) on top, an asymmetric loss against muffled low-SNR speech."""
    loss = 0.0
    for n in (256, 512, 1024):
        w = torch.hann_window(n, device=y.device)
        Y = torch.stft(y, n, n // 4, window=w, return_complex=True).abs()
        Sm = torch.stft(s, n, n // 4, window=w, return_complex=True).abs()
        ref = Sm.amax(dim=(1, 2), keepdim=True) * 1e-4 + 1e-9   # floor 80 dB below each item's peak
        dl = torch.log10(Y + ref) - torch.log10(Sm + ref)
        loss = loss + dl.abs().mean()
        if w_over > 0:
            loss = loss + w_over * torch.relu(-dl).mean()
    return loss / 3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pack", default=os.path.join(HERE, "..", "..", ".devdata", "denoise_pack.npz"))
    ap.add_argument("--out", default="out/denoise")
    ap.add_argument("--steps", type=int, default=14000)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--arch", choices=("ssm", "gru"), default="ssm",
                    help="ssm: the shipped S4D stack; gru: the PyTorch-only GRU baseline")
    ap.add_argument("--gru-hidden", type=int, default=140)
    ap.add_argument("--gru-layers", type=int, default=2)
    ap.add_argument("--d", type=int, default=96)
    ap.add_argument("--blocks", type=int, default=4)
    ap.add_argument("--n-state", type=int, default=16)
    ap.add_argument("--w-spec", type=float, default=1.0)
    ap.add_argument("--w-over", type=float, default=0.0,
                    help="extra weight of log-magnitude deficits (over-suppression) in the spectral loss")
    ap.add_argument("--df-bins", type=int, default=0,
                    help="v3: deep filtering of the lowest N grid bins (40 = 0-1950 Hz); 0 = none")
    ap.add_argument("--df-order", type=int, default=3, help="v3: deep-filter taps (current + past frames)")
    ap.add_argument("--floor-max", type=float, default=0.0,
                    help="v3: learned per-frame gain floor, at most this (0.3 = -10.5 dB); 0 = none")
    ap.add_argument("--init-partial", action="store_true",
                    help="--init-from may have another shape: copy what fits (init_from_partial)")
    ap.add_argument("--snr", type=float, nargs=2, default=[-5.0, 17.0], help="training SNR range (dB)")
    ap.add_argument("--clean-frac", type=float, default=0.0,
                    help="fraction of items mixed at 40-60 dB SNR (speech that must pass unchanged)")
    ap.add_argument("--narrow-wide-frac", type=float, default=0.0,
                    help="fraction of 8 kHz recordings mixed as upsampled 16 kHz audio with full-band noise "
                         "(otherwise they are presented as an 8 kHz stream)")
    ap.add_argument("--stop-at", type=int, default=0,
                    help="stop at this step (the schedule still runs over --steps): repeats a run that "
                         "its --time-limit stopped early")
    ap.add_argument("--warmup", type=int, default=300, help="steps of linear learning-rate warm-up")
    ap.add_argument("--probe", type=int, default=0, help="time this many steps, print steps/s, exit")
    ap.add_argument("--time-limit", type=float, default=1e9, help="seconds; checkpoint and stop")
    ap.add_argument("--resume", default=None)
    ap.add_argument("--fit-seconds", type=float, default=0.0,
                    help="set --steps from the speed measured over steps 100-300 so that the run takes "
                         "about this many seconds; the value is printed, written to OUT/steps.txt and "
                         "checkpointed (the recipe then fixes it with --steps)")
    ap.add_argument("--steps-from", default=None,
                    help="take --steps from another run's OUT/steps.txt (waits for it after step 300): "
                         "the GRU baseline runs exactly as many steps as the SSM beside it")
    ap.add_argument("--init-from", default=None,
                    help="start a new stage from this checkpoint's weights (fresh optimizer and schedule)")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--val-every", type=int, default=500)
    args = ap.parse_args()
    t0 = time.time()
    torch.manual_seed(args.seed)
    dev = torch.device(args.device)
    if dev.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    gen = torch.Generator(device=dev)
    gen.manual_seed(args.seed)
    data = Data(args.pack, dev, gen, args.seed)
    data.snr_lo, data.snr_hi = args.snr
    data.clean_frac = args.clean_frac
    data.narrow_wide_frac = args.narrow_wide_frac
    if args.arch == "gru":
        net = GRUNet(161, args.gru_hidden, args.gru_layers).to(dev)
        cfg = net.config
    else:
        cfg = make_config(args.d, args.blocks, args.n_state,
                          task_params=task_params_for(args.df_bins, args.df_order, args.floor_max))
        net = Net(cfg).to(dev)
        init_head(net, cfg)
    pipe = FT.Pipeline(FS, cfg.get("task_params")).to(dev)
    nparams = sum(p.numel() for p in net.parameters())
    print("arch %s: %d MACs per frame" % (args.arch, macs_per_frame(net if args.arch == "gru" else cfg)), flush=True)
    ssm = [p for n, p in net.named_parameters() if "_ssm." in n and not n.endswith(("C_re", "C_im", "D"))]
    other = [p for n, p in net.named_parameters() if not ("_ssm." in n and not n.endswith(("C_re", "C_im", "D")))]
    groups = [{"params": other, "weight_decay": 0.01}]
    if ssm:
        groups.append({"params": ssm, "weight_decay": 0.0, "lr": min(args.lr, 1e-3)})
    opt = torch.optim.AdamW(groups, lr=args.lr)
    base_lrs = [g["lr"] for g in opt.param_groups]
    step = 0
    elapsed_prev = 0.0
    if args.init_from:
        if args.init_from.endswith(".safetensors"):
            # a shipped model file: its weights, no training history
            from swtorch.export import load_model
            m0 = load_model(args.init_from)
            ck0 = {"config": m0.config, "net": m0.state_dict(), "step": 0, "elapsed": 0.0}
        else:
            ck0 = torch.load(args.init_from, map_location=dev, weights_only=False)
        from swtorch.net import normalize_config
        if normalize_config(ck0["config"])["layers"] == normalize_config(cfg)["layers"]:
            net.load_state_dict(ck0["net"])
        else:
            assert args.init_partial, "--init-from: different network config (--init-partial copies what fits)"
            copied = init_from_partial(net, cfg, ck0["net"])
            print("--init-partial: copied %d of %d tensors: %s" % (len(copied), len(net.state_dict()),
                                                                    ", ".join(copied)), flush=True)
        elapsed_prev = ck0.get("elapsed", 0.0)
        print("stage start from %s (step %d, %.0f s trained)" % (args.init_from, ck0["step"], elapsed_prev), flush=True)
    if args.resume:
        ck = torch.load(args.resume, map_location=dev, weights_only=False)
        net.load_state_dict(ck["net"])
        opt.load_state_dict(ck["opt"])
        step = ck["step"]
        args.steps = ck.get("steps", args.steps)
        args.fit_seconds, args.steps_from = 0.0, None
        elapsed_prev = ck.get("elapsed", 0.0)
        gen.set_state(ck["gen"].cpu())
        torch.set_rng_state(ck["torch_rng"].cpu())
        print("resumed at step %d (%.0f s trained)" % (step, elapsed_prev), flush=True)
    os.makedirs(args.out, exist_ok=True)
    S = int(args.seconds * FS) // pipe.H * pipe.H
    print("params %d, device %s, batch %d x %.1f s, steps %d" % (nparams, dev, args.batch, S / FS, args.steps),
          flush=True)

    # Fixed validation set (held-out speech files and noise parts; never the dev set).
    vgen = torch.Generator(device=dev)
    vgen.manual_seed(1234)
    data.g = vgen
    with torch.no_grad():
        val = [data.batch(32, 4 * FS, "val") for _ in range(2)]
    data.g = gen

    def validate():
        net.eval()
        out = []
        with torch.no_grad():
            for x, s, band in val:
                y, _ = pipe.enhance(net, x, band)
                out.append((si_sdr(y, s) - si_sdr(x, s)).cpu())
        net.train()
        return torch.cat(out).mean().item()

    def save(tag):
        ck = {"net": net.state_dict(), "opt": opt.state_dict(), "step": step, "steps": args.steps, "config": cfg,
              "elapsed": elapsed_prev + time.time() - t0, "gen": gen.get_state(), "torch_rng": torch.get_rng_state()}
        torch.save(ck, os.path.join(args.out, "ckpt.pt"))
        if args.arch == "gru":
            print("[%s] saved step %d" % (tag, step), flush=True)
            return
        net_cpu = Net(cfg)
        net_cpu.load_state_dict({k: v.detach().cpu() for k, v in net.state_dict().items()})
        # Golden vectors for the C parity test (tests/unit/test_denoise.c): a 2 s validation mixture
        # at 16 kHz and this pipeline's output on it.
        gx = val[0][0][:1, :2 * FS].detach().cpu()
        with torch.no_grad():
            gy, _ = FT.Pipeline(FS, cfg["task_params"]).enhance(net_cpu.eval(), gx)
        save_model(net_cpu, os.path.join(args.out, "denoise.safetensors"), task="denoise",
                   task_params=cfg["task_params"],
                   extra_tensors={"golden.denoise_in": gx[0], "golden.denoise_out": gy[0]})
        print("[%s] saved step %d" % (tag, step), flush=True)

    if step == 0:
        print("val SI-SDRi at init: %.2f dB" % validate(), flush=True)
    if args.probe:
        with torch.no_grad():
            data.batch(args.batch, S)
        if dev.type == "cuda":
            torch.cuda.synchronize()
        tp = time.time()
        for _ in range(args.probe):
            x, s_, band = data.batch(args.batch, S)
            y, _ = pipe.enhance(net, x, band)
            loss = -si_sdr(y, s_).mean() + args.w_spec * mr_logmag(y, s_, args.w_over) * 10.0
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        if dev.type == "cuda":
            torch.cuda.synchronize()
        print("PROBE %.2f steps/s" % (args.probe / (time.time() - tp)), flush=True)
        return
    warm = args.warmup
    run_loss = run_sdr = 0.0
    nlog = 0
    tl = time.time()
    while step < args.steps:
        if time.time() - t0 > args.time_limit or (args.stop_at and step >= args.stop_at):
            break
        frac = step / max(1, args.steps)
        sched = TU.warmup_cosine(1.0, step, warm, frac, 0.02)
        for gr, b in zip(opt.param_groups, base_lrs):
            gr["lr"] = b * sched
        with torch.no_grad():
            x, s, band = data.batch(args.batch, S)
        y, _ = pipe.enhance(net, x, band)
        sdr = si_sdr(y, s)
        loss = -sdr.mean() + args.w_spec * mr_logmag(y, s, args.w_over) * 10.0
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 5.0)
        opt.step()
        step += 1
        if step == 100:
            t100 = time.time()
        if step == 300 and args.fit_seconds > 0:
            rate = 200 / (time.time() - t100)
            args.steps = max(400, int(rate * (args.fit_seconds - (time.time() - t0))) + 300)
            with open(os.path.join(args.out, "steps.txt"), "w") as f:
                f.write("%d\n" % args.steps)
            print("fit: %.2f steps/s -> --steps %d" % (rate, args.steps), flush=True)
        if step == 300 and args.steps_from:
            path = os.path.join(args.steps_from, "steps.txt")
            while not os.path.exists(path):
                time.sleep(0.5)
            time.sleep(0.5)
            args.steps = int(open(path).read())
            print("steps from %s: %d" % (path, args.steps), flush=True)
        run_loss += loss.item() if step % 10 == 0 else 0.0
        run_sdr += sdr.mean().item() if step % 10 == 0 else 0.0
        nlog += 1 if step % 10 == 0 else 0
        if step % 100 == 0:
            print("step %6d  loss %.3f  train SI-SDR %.2f  lr %.2e  %.1f steps/s" %
                  (step, run_loss / max(1, nlog), run_sdr / max(1, nlog), opt.param_groups[0]["lr"],
                   100 / (time.time() - tl)), flush=True)
            run_loss = run_sdr = 0.0
            nlog = 0
            tl = time.time()
        if step % args.val_every == 0:
            print("step %d val SI-SDRi %.2f dB" % (step, validate()), flush=True)
            save("val")  # a run cut short loses at most --val-every steps
    print("final step %d val SI-SDRi %.2f dB; trained %.0f s" %
          (step, validate(), elapsed_prev + time.time() - t0), flush=True)
    save("end")


if __name__ == "__main__":
    main()
