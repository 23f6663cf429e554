"""Differentiable harmonic-plus-noise synthesis: the PyTorch mirror of dsp/engines/synth.c (docs/INSTRUMENT.md).

    o = net(features)                           # [B, T, 1+K+B] raw net outputs, one row per control frame
    a, m = decode(o, f0_hz, sr)                 # harmonic amplitudes [B,T,K], noise magnitudes [B,T,NB]
    y = synthesize(a, m, f0_hz, sr, hop, gen)   # [B, T*hop] audio (harmonic + filtered noise)

Frame t's outputs are the targets at the end of frame t; every parameter ramps linearly across the
frame from the previous frame's value (0 before the first frame for a and m; f0 starts at its first
value). Everything here is float32 except the phase accumulator (float64, then reduced mod 2 pi).
"""
import math

import torch
import torch.nn.functional as F

SR_TRAIN = 24000          # the default training rate; a model's own is its task_params.sample_rate
CONTROL_RATE = 250
N_HARMONICS = 64
N_BANDS = 65
LOG10 = math.log(10.0)

TASK_PARAMS = {"sample_rate": SR_TRAIN, "control_rate": CONTROL_RATE, "n_harmonics": N_HARMONICS,
               "n_noise_bands": N_BANDS, "features": 1}


def scale_fn(x):
    """DDSP's exp_sigmoid: 2 * sigmoid(x)^ln(10) + 1e-7."""
    return 2.0 * torch.sigmoid(x) ** LOG10 + 1e-7


def pitch_to_hz(p):
    return 440.0 * torch.pow(2.0, (p - 69.0) / 12.0)


def decode(o, f0_hz, sr=SR_TRAIN, sr_train=SR_TRAIN, n_harmonics=N_HARMONICS):
    """Net outputs [B,T,1+K+NB] and f0 [B,T] (Hz) -> harmonic amplitudes [B,T,K], noise mags [B,T,NB]."""
    K = n_harmonics
    amp = scale_fn(o[..., 0:1])
    logits = o[..., 1:1 + K]
    k = torch.arange(1, K + 1, device=o.device, dtype=o.dtype)
    limit = 0.5 * min(sr, sr_train)
    keep = (k * f0_hz.unsqueeze(-1)) < limit                       # [B,T,K]
    logits = logits.masked_fill(~keep, float("-inf"))
    c = torch.softmax(logits, dim=-1)
    c = torch.nan_to_num(c, nan=0.0)                                # every harmonic removed -> 0
    a = amp * c
    m = scale_fn(o[..., 1 + K:] - 5.0)
    return a, m


def ramp(x, hop, init=None):
    """Control frames x [B,T,C] -> per-sample [B,T*hop,C]: frame t goes linearly from x[t-1] (init
    for t = 0, zeros if None) to x[t], reaching x[t] at the frame's last sample."""
    B, T, C = x.shape
    prev = torch.cat([torch.zeros_like(x[:, :1]) if init is None else init, x[:, :-1]], dim=1)
    w = torch.arange(1, hop + 1, device=x.device, dtype=x.dtype) / hop             # [hop]
    y = prev.unsqueeze(2) + (x - prev).unsqueeze(2) * w.view(1, 1, hop, 1)         # [B,T,hop,C]
    return y.reshape(B, T * hop, C)


def harmonic(a, f0_hz, sr, hop):
    """Sum of K sinusoids at k*f0 with amplitudes a; phi_k[0] = 0, phi_k[n+1] = phi_k[n] + 2 pi k f0[n]/sr."""
    B, T, K = a.shape
    f0 = ramp(f0_hz.unsqueeze(-1), hop, init=f0_hz[:, :1].unsqueeze(-1)).squeeze(-1)   # [B,N]
    amps = ramp(a, hop)                                                                 # [B,N,K]
    w = (2.0 * math.pi / sr) * f0.double()
    phase1 = torch.cumsum(w, dim=1) - w                                                 # exclusive
    k = torch.arange(1, K + 1, device=a.device, dtype=torch.float64)
    phase = torch.remainder(phase1.unsqueeze(-1) * k, 2.0 * math.pi).float()            # [B,N,K]
    return (amps * torch.sin(phase)).sum(-1)


def band_matrix(n_bins, sr, n_fft, sr_train=SR_TRAIN, n_bands=N_BANDS, device=None):
    """[n_bins, NB] linear interpolation of band magnitudes at bin frequencies i*sr/n_fft (0 above sr_train/2)."""
    f = torch.arange(n_bins, dtype=torch.float64) * sr / n_fft
    pos = f / (0.5 * sr_train) * (n_bands - 1)
    M = torch.zeros(n_bins, n_bands, dtype=torch.float64)
    for i in range(n_bins):
        p = float(pos[i])
        if p > n_bands - 1 + 1e-9:
            continue
        j = min(int(math.floor(p)), n_bands - 2)
        t = p - j
        M[i, j] += 1.0 - t
        M[i, j + 1] += t
    return M.float().to(device)


def noise(m, sr, hop, gen=None, sr_train=SR_TRAIN):
    """Filtered noise: U(-1,1) frames of N = 2*hop under a periodic sqrt-Hann window, shaped in the
    rfft domain by the band magnitudes, windowed again and overlap-added with hop. Noise frame j is
    centred on sample j*hop and uses m[j-1] (the value reached at the end of control frame j-1;
    0 for j = 0). Output [B, T*hop]."""
    B, T, NB = m.shape
    N = 2 * hop
    L = T * hop
    u = torch.rand(B, L + 2 * hop, generator=gen, device=m.device) * 2.0 - 1.0        # padded by hop each side
    frames = u.unfold(1, N, hop)                                                        # [B, T+1, N]
    win = torch.sqrt(torch.hann_window(N, periodic=True, device=m.device))
    X = torch.fft.rfft(frames * win, dim=-1)                                           # [B, T+1, N/2+1]
    M = band_matrix(N // 2 + 1, sr, N, sr_train, NB, device=m.device)                   # [bins, NB]
    mags = torch.cat([torch.zeros_like(m[:, :1]), m], dim=1) @ M.t()                    # [B, T+1, bins]
    y = torch.fft.irfft(X * mags, n=N, dim=-1) * win                                   # [B, T+1, N]
    out = F.fold(y.transpose(1, 2), output_size=(1, L + 2 * hop), kernel_size=(1, N), stride=(1, hop))
    out = out.view(B, L + 2 * hop)
    return out[:, hop:hop + L]


def synthesize(o, f0_hz, sr=SR_TRAIN, hop=None, gen=None, harmonic_gain=1.0, noise_gain=1.0, sr_train=SR_TRAIN):
    """Net outputs [B,T,1+K+NB] + f0 [B,T] -> audio [B, T*hop] at rate sr (hop = sr/250) of a model
    trained at sr_train (its task_params.sample_rate)."""
    hop = hop or int(round(sr / CONTROL_RATE))
    a, m = decode(o, f0_hz, sr, sr_train)
    y = harmonic_gain * harmonic(a, f0_hz, sr, hop)
    if noise_gain != 0.0:
        y = y + noise_gain * noise(m, sr, hop, gen, sr_train)
    return y


def task_params(sr_train=SR_TRAIN):
    """The synth task_params of a model trained at sr_train (docs/INSTRUMENT.md)."""
    tp = dict(TASK_PARAMS)
    tp["sample_rate"] = int(sr_train)
    return tp


def remap_rate(net, sr_new):
    """Move a loaded synth model (swtorch Net) to training rate sr_new before fine-tuning it there:
    the noise bands sit at b*(sr/2)/(NB-1), so each band's output row (weights and bias of the last
    linear layer) becomes the old rows' linear interpolation at its new frequency, continued flat
    (the old top band) above the old Nyquist; the harmonic rows stay (harmonics up to the new
    Nyquist are then no longer removed). task_params.sample_rate becomes sr_new. Returns the old rate."""
    tp = net.config["task_params"]
    sr_old = int(tp["sample_rate"])
    if sr_old == int(sr_new):
        return sr_old
    K, NB = int(tp["n_harmonics"]), int(tp["n_noise_bands"])
    prm = dict(net.named_parameters())
    Wo, bo = prm["out.weight"], prm["out.bias"]          # the last linear layer (model.ssm_config)
    assert Wo.shape[0] == 1 + K + NB, Wo.shape
    with torch.no_grad():
        W, b = Wo[1 + K:].clone(), bo[1 + K:].clone()
        for j in range(NB):
            pos = min(j * sr_new / sr_old, NB - 1.0)
            i = min(int(math.floor(pos)), NB - 2)
            t = pos - i
            Wo[1 + K + j] = (1 - t) * W[i] + t * W[i + 1]
            bo[1 + K + j] = (1 - t) * b[i] + t * b[i + 1]
    tp["sample_rate"] = int(sr_new)
    return sr_old


# ------------------------------------------------------------------------------ loss --

def mr_stft_distance(x, y, ffts=(2048, 1024, 512, 256, 128, 64), eps=1e-7):
    """Multi-resolution STFT distance (DDSP's spectral loss): sum over FFT sizes of
    mean|S_x - S_y| + mean|log S_x - log S_y|, magnitudes, Hann window, 75 % overlap."""
    total = 0.0
    for n in ffts:
        w = torch.hann_window(n, device=x.device)
        X = torch.stft(x, n, n // 4, window=w, return_complex=True, center=True).abs()
        Y = torch.stft(y, n, n // 4, window=w, return_complex=True, center=True).abs()
        total = total + (X - Y).abs().mean() + (torch.log(X + eps) - torch.log(Y + eps)).abs().mean()
    return total


def envelope_distance(x, y, frame=96, floor_db=-100.0):
    """Level-envelope distance: mean |L_x - L_y| / 20 over frames of `frame` samples (4 ms at
    24 kHz), hop frame/2, L = 10 log10(mean square) in dB, floored at floor_db. The STFT distance
    barely sees how fast a note starts and dies (a 10 ms attack, a 200 ms release); this does,
    in the same units (20 dB off everywhere costs 1)."""
    def level(z):
        f = z.unfold(-1, frame, frame // 2)
        return (10.0 * torch.log10(f.pow(2).mean(-1) + 1e-12)).clamp(min=floor_db)
    return (level(x) - level(y)).abs().mean() / 20.0

