"""Torch mirror of the C denoiser's signal path (dsp/audio/stft.c, dsp/engines/denoise.c) at the training rate.

Same asymmetric windows, same PSD normalisation and log features, same gain application and
overlap-add, so a network trained here sees exactly what the C engine feeds it. At 16 kHz with
frame_rate 200 and win_hops 4: H = 80, N = 320, 161 bins at exactly 50 Hz = the 161-point grid,
so grid <-> bin interpolation is the identity here (the C engine interpolates at other rates).

Version 2 task_params (DF_TASK_PARAMS) add the head of dsp/engines/denoise.c: the network outputs logits,
gains = sigmoid, raised by a learned per-frame floor phi = floor_max * sigmoid(logit), and for the
lowest df_bins bins a complex filter over the current and df_order-1 past frames (deep filtering,
dsp/engines/deepfilter.h): Y = G X + (1 - phi) sum_i tanh(c_i) X_{t-i}. Its extra inputs are the phase
advance phasors of those bins (dsp/engines/denoise.c df_features).

Time alignment: frame b analyses x[(b+1)H-N, (b+1)H) (zeros before 0) and its synthesis part
covers [(b-1)H, (b+1)H). With T+1 frames for S = T*H samples, the output is aligned with the input
(zero delay here; the streaming C engine adds its 2H-1 samples of latency).
"""
import math

import torch
import torch.nn.functional as F

DEFAULT_TASK_PARAMS = {
    "version": 1,
    "window": "asym_sqrt_hann",
    "frame_rate": 200.0,      # hop = floor(fs / 200): 5 ms
    "win_hops": 4,            # analysis window / FFT = 4 hops: 20 ms, 50 Hz bins
    "grid_hz": 50.0,
    "grid_n": 161,            # 0 .. 8 kHz
    "ref_rate": 16000.0,
    "feat_eps": 1e-12,
    "feat_offset": 6.0,
    "feat_scale": 0.2,
    "hf_from_hz": 7000.0,
}


# The v3 deep-filtering model (train.py --df-bins ...): 40 bins = 0..1950 Hz, 3 taps (the current
# frame and 10 ms of past ones), a learned floor of at most 0.3 (-10.5 dB).
DF_TASK_PARAMS = dict(DEFAULT_TASK_PARAMS, version=2, df_bins=40, df_order=3, floor_max=0.3)


def net_widths(tp):
    """(d_input, d_output) of the network that task_params tp needs (dsp/engines/denoise.c
    sw_denoise_params_widths)."""
    G = int(tp["grid_n"])
    if int(tp["version"]) == 1:
        return G, G
    J, n = int(tp["df_bins"]), int(tp["df_order"])
    return G + 2 * J, G + 2 * J * n + (1 if tp["floor_max"] > 0 else 0)


def hann(k, L):
    return 0.5 - 0.5 * torch.cos(2 * math.pi * k / L)


def windows(H, win_hops, dtype=torch.float32):
    """(w_a [N], w_s [N]) exactly as sw_stft_windows (computed in float64)."""
    N = H * win_hops
    n = torch.arange(N, dtype=torch.float64)
    wa = torch.where(n < N - H, torch.sqrt(hann(n, 2 * (N - H))), torch.sqrt(hann(n - (N - 2 * H), 2 * H)))
    prod = hann(n - (N - 2 * H), 2 * H)
    ws = torch.where(n >= N - 2 * H, prod / torch.clamp(wa, min=1e-300), torch.zeros_like(n))
    ws = torch.where(wa > 0, ws, torch.zeros_like(ws))
    return wa.to(dtype), ws.to(dtype)


class Pipeline(torch.nn.Module):
    """STFT analysis / features / gain application / synthesis at sample rate fs."""

    def __init__(self, fs=16000, tp=None):
        super().__init__()
        self.tp = dict(DEFAULT_TASK_PARAMS if tp is None else tp)
        self.fs = fs
        self.H = int(math.floor(fs / self.tp["frame_rate"]))
        self.N = self.H * int(self.tp["win_hops"])
        self.K = self.N // 2 + 1
        wa, ws = windows(self.H, int(self.tp["win_hops"]))
        self.register_buffer("wa", wa)
        self.register_buffer("ws", ws)
        self.pnorm = float(self.tp["ref_rate"] / (float((wa.double() ** 2).sum()) * fs))
        self.v2 = int(self.tp["version"]) == 2
        self.df_bins = int(self.tp.get("df_bins", 0)) if self.v2 else 0
        self.df_order = int(self.tp.get("df_order", 1)) if self.v2 else 1
        self.floor_max = float(self.tp.get("floor_max", 0.0)) if self.v2 else 0.0
        assert abs(fs / self.N - self.tp["grid_hz"]) < 1e-9 and self.K == self.tp["grid_n"], \
            "training pipeline expects the grid to equal the bins (16 kHz)"

    def stft(self, x):
        """x [B, S] (S multiple of H) -> spec [B, T+1, K] complex."""
        B, S = x.shape
        H, N = self.H, self.N
        xp = F.pad(x, (N - H, H))
        fr = xp.unfold(1, N, H)                                   # [B, T+1, N]
        return torch.fft.rfft(fr * self.wa, dim=-1)

    def features(self, spec, band_bins=None):
        """spec [B, T, K] -> features [B, T, G] (v2 with deep filtering: [B, T, G + 2 df_bins]).
        band_bins [B] (optional): bins >= it read as silence."""
        if band_bins is not None:
            k = torch.arange(self.K, device=spec.device)
            spec = spec * (k[None, :] < band_bins[:, None]).to(spec.real.dtype)[:, None, :]
        P = (spec.real ** 2 + spec.imag ** 2) * self.pnorm
        tp = self.tp
        f = (torch.log10(P + tp["feat_eps"]) + tp["feat_offset"]) * tp["feat_scale"]
        f = f.clamp(-100.0, 100.0)
        if not self.df_bins:
            return f
        # Phase advance since the previous frame (zeros before the first), per DF bin:
        # u = X_t conj(X_{t-1}) pnorm / (sqrt(P_t P_{t-1}) + eps), as dsp/engines/denoise.c df_features.
        J = self.df_bins
        X = spec[..., :J]
        Xp = F.pad(torch.view_as_real(X), (0, 0, 0, 0, 1, 0))[:, :-1]      # [B, T, J, 2], X_{t-1}
        Xp = torch.view_as_complex(Xp.contiguous())
        Pj = P[..., :J]
        Pp = (Xp.real ** 2 + Xp.imag ** 2) * self.pnorm
        u = X * Xp.conj() * self.pnorm / (torch.sqrt(Pj * Pp) + tp["feat_eps"])
        u = torch.view_as_real(u).reshape(*u.shape[:-1], 2 * J)          # [re0, im0, re1, im1, ...]
        return torch.cat([f, u.to(f.dtype)], dim=-1)

    def head(self, o, spec):
        """Network output o [B, T, D] and noisy spec [B, T, K] -> (enhanced spec, gains [B, T, G]).
        Version 1: o are the gains. Version 2: dsp/engines/denoise.c head_v2 and deep filtering."""
        if not self.v2:
            return spec * o, o
        G, J, n = int(self.tp["grid_n"]), self.df_bins, self.df_order
        g = torch.sigmoid(o[..., :G])
        keep = None
        if self.floor_max > 0:
            phi = self.floor_max * torch.sigmoid(o[..., -1:])
            g = phi + (1 - phi) * g
            keep = 1 - phi
        Y = spec * g
        if J:
            c = torch.tanh(o[..., G:G + 2 * J * n]).reshape(*o.shape[:-1], n, J, 2)
            c = torch.view_as_complex(c.contiguous())                        # [B, T, n, J]
            X = spec[..., :J]
            acc = torch.zeros_like(X)
            for i in range(n):
                Xi = F.pad(torch.view_as_real(X), (0, 0, 0, 0, i, 0))[:, :X.shape[1]]
                acc = acc + c[..., i, :] * torch.view_as_complex(Xi.contiguous())
            if keep is not None:
                acc = acc * keep
            Y = torch.cat([Y[..., :J] + acc, Y[..., J:]], dim=-1)
        return Y, g

    def istft(self, spec, S):
        """spec [B, T+1, K] -> y [B, S] (overlap-add of the synthesis-windowed frames)."""
        H, N = self.H, self.N
        fr = torch.fft.irfft(spec, n=N, dim=-1) * self.ws        # [B, T+1, N]
        fr = fr[..., N - 2 * H:]                                  # synthesis support, 2H
        B, T1, L = fr.shape
        y = F.fold(fr.transpose(1, 2), output_size=(1, (T1 + 1) * H), kernel_size=(1, L), stride=(1, H))
        y = y.reshape(B, -1)                                      # covers [-H, T1*H)
        return y[:, H:H + S]

    def enhance(self, net, x, band_bins=None):
        """Full path: x [B, S] -> (y [B, S], gains [B, T+1, G])."""
        spec = self.stft(x)
        Y, g = self.head(net(self.features(spec, band_bins)), spec)
        return self.istft(Y, x.shape[1]), g
