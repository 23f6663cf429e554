"""Torch mirror of the C denoiser's signal path (dsp/stft.c, dsp/denoise.c) at the training rate.

Same asymmetric windows, same PSD normalisation and log features, same gain application and
overlap-add, so a network trained here sees exactly what the C engine feeds it. At 16 kHz with
frame_rate 200 and win_hops 4: H = 80, N = 320, 161 bins at exactly 50 Hz = the 161-point grid,
so grid <-> bin interpolation is the identity here (the C engine interpolates at other rates).

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
        """spec [B, T, K] -> features [B, T, G]. band_bins [B] (optional): bins >= it read as silence."""
        P = (spec.real ** 2 + spec.imag ** 2) * self.pnorm
        if band_bins is not None:
            k = torch.arange(self.K, device=spec.device)
            P = P * (k[None, :] < band_bins[:, None]).to(P.dtype)[:, None, :]
        tp = self.tp
        f = (torch.log10(P + tp["feat_eps"]) + tp["feat_offset"]) * tp["feat_scale"]
        return f.clamp(-100.0, 100.0)

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
        g = net(self.features(spec, band_bins))
        return self.istft(spec * g, x.shape[1]), g
