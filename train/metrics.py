"""Objective speech-enhancement metrics for the Statewave dev set.

Definitions follow ../shared/data/devset/BASELINE.md (the reference numbers for the `noisy` and
`rnnoise` rows were produced with them); tests/py/test_metrics.py checks that this file reproduces them.

    si_sdr(ref, out)          scale-invariant SDR in dB (Le Roux et al., ICASSP 2019), means removed
    stoi(ref, out, fs)        short-time objective intelligibility (Taal et al., IEEE TASLP 19(7), 2011)
    lsd(ref, out, fs)         log-spectral distance in dB over the reference's own band and active frames
    align(ref, out, fs)       integer-lag cross-correlation alignment within +-100 ms, pad/cut to ref
    prepare(ref, fs, out, fs_out)   mono mix, resample to the reference rate, align
    read_audio(path)          any file sox can read -> (float64 samples [n] or [n, ch], rate)
    write_wav16(path, x, fs)  mono float -> 16-bit PCM WAV (rounded, clipped)
    band_level_diff(ref, out, fs)   output minus clean level (dB) per band over speech-active frames
                              (../shared/data/devset-wb/README.md, "Band-level measure")

Only numpy, scipy and the `sox` binary are used (no soundfile / pystoi on this machine).
Written for this project from the papers and the BASELINE.md definitions.
"""

import math
import os
import subprocess
import struct
import tempfile

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy import fft as sfft
from scipy.signal import resample_poly

EPS = np.finfo(np.float64).eps  # guards divisions by an all-zero band/segment (silent output)


# --------------------------------------------------------------------------------------------
# Audio I/O
# --------------------------------------------------------------------------------------------

class _WavFormatError(ValueError):
    pass


def _parse_wav(buf, path):
    """Parse a WAV held in memory: integer PCM (8/16/24/32 bit) or IEEE float (32/64 bit), plain or
    WAVE_FORMAT_EXTENSIBLE. Returns (samples [frames, channels] float64, rate); integer PCM is scaled
    by 2^-(bits-1) (so 16/24-bit data is exact). Other encodings raise _WavFormatError.
    """
    if len(buf) < 12 or buf[0:4] != b"RIFF" or buf[8:12] != b"WAVE":
        raise _WavFormatError(f"{path}: not a RIFF/WAVE stream")
    pos = 12
    fmt = None
    while pos + 8 <= len(buf):
        cid = buf[pos:pos + 4]
        size = struct.unpack_from("<I", buf, pos + 4)[0]
        body = pos + 8
        if cid == b"fmt ":
            if size < 16 or body + 16 > len(buf):
                raise _WavFormatError(f"{path}: short fmt chunk")
            tag, ch, rate, _, align, bits = struct.unpack_from("<HHIIHH", buf, body)
            if tag == 0xFFFE and size >= 40:  # extensible: real tag = first 2 bytes of the GUID
                tag = struct.unpack_from("<H", buf, body + 24)[0]
            fmt = (tag, ch, rate, align, bits)
        elif cid == b"data":
            if fmt is None:
                raise _WavFormatError(f"{path}: WAV data before fmt chunk")
            tag, ch, rate, align, bits = fmt
            width = bits // 8
            if ch < 1 or rate < 1 or bits % 8 or align != width * ch:
                raise _WavFormatError(f"{path}: unsupported WAV layout ch={ch} bits={bits} align={align}")
            # A streamed header may carry a placeholder size: trust the bytes actually there.
            avail = len(buf) - body
            nbytes = min(size, avail) if size > 0 else avail
            n = (nbytes // align) * ch
            if tag == 3 and bits in (32, 64):
                x = np.frombuffer(buf, dtype="<f%d" % width, count=n, offset=body).astype(np.float64)
            elif tag == 1 and bits in (16, 32):
                x = np.frombuffer(buf, dtype="<i%d" % width, count=n, offset=body) / float(2 ** (bits - 1))
            elif tag == 1 and bits == 8:  # unsigned, offset 128
                x = (np.frombuffer(buf, dtype=np.uint8, count=n, offset=body) - 128.0) / 128.0
            elif tag == 1 and bits == 24:
                b = np.frombuffer(buf, dtype=np.uint8, count=n * 3, offset=body).reshape(n, 3).astype(np.int32)
                v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
                x = (v - ((v & 0x800000) << 1)) / float(2 ** 23)  # sign-extend
            else:
                raise _WavFormatError(f"{path}: unsupported WAV encoding tag={tag} bits={bits}")
            return x.reshape(-1, ch), int(rate)
        pos = body + size + (size & 1)
    raise _WavFormatError(f"{path}: no data chunk")


def _run_decoder(argv, path):
    with tempfile.TemporaryFile() as err:
        # stderr to a file, not a second pipe: with one pipe, reading is a plain read to EOF.
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=err)
        if proc.returncode != 0:
            err.seek(0)
            raise IOError(f"{argv[0]} could not read {path}: {err.read().decode(errors='replace').strip()}")
    return proc.stdout


def read_audio(path, mono=True):
    """Decode an audio file to float64 in [-1, 1).

    WAV (PCM or float) is parsed directly, FLAC through `flac -d` (3x faster than sox), anything else
    (and WAV encodings the parser does not know) through `sox` to 32-bit float. Integer PCM is scaled
    by 2^-(bits-1), exact for 16/24 bit. Returns (x, rate): x is 1-D when mono=True (channels
    averaged, as BASELINE.md prescribes), else [frames, channels].
    """
    path = str(path)
    if not os.path.isfile(path):
        raise IOError(f"{path}: no such file")
    x = None
    low = path.lower()
    try:
        if low.endswith(".wav"):
            with open(path, "rb") as f:
                x, rate = _parse_wav(f.read(), path)
        elif low.endswith(".flac"):
            x, rate = _parse_wav(_run_decoder(["flac", "-s", "-d", "-c", path], path), path)
    except _WavFormatError:
        x = None
    if x is None:
        buf = _run_decoder(["sox", "-V1", path, "-t", "wav", "-e", "floating-point", "-b", "32", "-"], path)
        x, rate = _parse_wav(buf, path)
    if mono:
        x = x.mean(axis=1) if x.shape[1] > 1 else x[:, 0].copy()
    return x, rate


def write_wav16(path, x, fs):
    """Write mono float samples as 16-bit PCM WAV: x * 32768 rounded to nearest, clipped to int16.

    Returns the number of samples that were clipped. Written to path + ".tmp", then renamed, so a
    reader never sees a half-written file.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1 or not np.all(np.isfinite(x)):
        raise ValueError(f"{path}: write_wav16 needs finite mono samples")
    q = np.round(x * 32768.0)
    clipped = int(np.count_nonzero((q > 32767) | (q < -32768)))
    data = np.clip(q, -32768, 32767).astype("<i2").tobytes()
    head = struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + len(data), b"WAVE", b"fmt ", 16, 1, 1,
                       int(fs), int(fs) * 2, 2, 16, b"data", len(data))
    tmp = str(path) + ".tmp"
    with open(tmp, "wb") as f:
        f.write(head)
        f.write(data)
    os.replace(tmp, path)
    return clipped


# --------------------------------------------------------------------------------------------
# Preparation: mono, rate, alignment
# --------------------------------------------------------------------------------------------

def to_mono(x):
    """Average channels of a [frames, channels] array; 1-D input is returned as is."""
    x = np.asarray(x, dtype=np.float64)
    return x.mean(axis=1) if x.ndim == 2 else x


def resample(x, fs_in, fs_out):
    """Polyphase resampling with scipy's Kaiser-windowed FIR (resample_poly default window)."""
    if fs_in == fs_out:
        return np.asarray(x, dtype=np.float64)
    g = math.gcd(int(fs_in), int(fs_out))
    return resample_poly(np.asarray(x, dtype=np.float64), int(fs_out) // g, int(fs_in) // g)


def find_lag(ref, out, max_lag):
    """Integer lag L in [-max_lag, max_lag] maximising sum_n out[n + L] * ref[n].

    Positive L = output late. Computed for all lags at once with one circular correlation by real
    FFT (signals are zero outside their support). The first maximum wins on exact ties.
    """
    ref = np.asarray(ref, dtype=np.float64)
    out = np.asarray(out, dtype=np.float64)
    if not np.any(out) or not np.any(ref):
        return 0  # nothing to correlate (silent output): no shift rather than the window's edge
    # Circular c[k] = sum_n out[(n + k) mod nfft] ref[n] equals the linear one for |k| <= max_lag
    # when nfft >= max(len) + max_lag: no index pair can wrap into the other signal's support.
    nfft = sfft.next_fast_len(max(len(ref), len(out)) + max_lag, real=True)
    c = sfft.irfft(sfft.rfft(out, nfft) * np.conj(sfft.rfft(ref, nfft)), nfft)
    lags = np.arange(-max_lag, max_lag + 1)
    return int(lags[int(np.argmax(c[lags % nfft]))])


def shift_to(out, lag, length):
    """Undo a lag found by find_lag, then zero-pad or cut to `length` samples."""
    if lag > 0:
        out = out[lag:]
    elif lag < 0:
        out = np.concatenate([np.zeros(-lag), out])
    if len(out) >= length:
        return out[:length].copy()
    return np.concatenate([out, np.zeros(length - len(out))])


def align(ref, out, fs, max_lag_s=0.1):
    """Align out to ref: (aligned out of len(ref), lag in samples; positive = output was late)."""
    lag = find_lag(ref, out, int(round(max_lag_s * fs)))
    return shift_to(np.asarray(out, dtype=np.float64), lag, len(ref)), lag


def prepare(ref, fs_ref, out, fs_out, max_lag_s=0.1):
    """Mono, resample out to the reference rate, align. Returns (ref, aligned out, lag)."""
    ref = to_mono(ref)
    out = resample(to_mono(out), fs_out, fs_ref)
    out, lag = align(ref, out, fs_ref, max_lag_s)
    return ref, out, lag


# --------------------------------------------------------------------------------------------
# SI-SDR
# --------------------------------------------------------------------------------------------

def si_sdr(ref, out):
    """Scale-invariant SDR in dB: means removed, t = (<y,s>/<s,s>) s, e = y - t, 10log10(|t|^2/|e|^2).

    A silent output gives -inf, a perfect one +inf (numerically: a very large number).
    """
    s = np.asarray(ref, dtype=np.float64)
    y = np.asarray(out, dtype=np.float64)
    if s.shape != y.shape:
        raise ValueError(f"si_sdr: length mismatch {s.shape} vs {y.shape}")
    s = s - s.mean()
    y = y - y.mean()
    ss = np.dot(s, s)
    if ss <= 0.0:
        raise ValueError("si_sdr: reference is silent")
    t = (np.dot(y, s) / ss) * s
    e = y - t
    tt, ee = np.dot(t, t), np.dot(e, e)
    with np.errstate(divide="ignore"):
        if tt == 0.0:
            return -math.inf
        if ee == 0.0:
            return math.inf
        return 10.0 * math.log10(tt / ee)


# --------------------------------------------------------------------------------------------
# STOI (Taal, Hendriks, Heusdens, Jensen 2011)
# --------------------------------------------------------------------------------------------

STOI_FS = 10000      # internal rate (Hz)
STOI_FRAME = 256     # Hann window length (25.6 ms)
STOI_HOP = 128       # 50 % overlap
STOI_NFFT = 512      # zero-padded FFT
STOI_BANDS = 15      # one-third-octave bands
STOI_FMIN = 150.0    # centre of the lowest band (Hz)
STOI_SEG = 30        # frames per intermediate-intelligibility segment (384 ms)
STOI_BETA = -15.0    # lower SDR bound (dB) of the clipping
STOI_RANGE = 40.0    # frames more than this many dB below the loudest clean frame are dropped


def _hann_symmetric_nozero(n):
    """MATLAB hanning(n): 0.5 - 0.5 cos(2 pi k / (n + 1)), k = 1..n (no zero end points)."""
    k = np.arange(1, n + 1)
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * k / (n + 1))


def _octave_resample_filter(up, down):
    """Anti-aliasing FIR of Octave's resample(): Kaiser-windowed sinc, 60 dB rejection.

    Cut-off at half the lower Nyquist (1/(2 max(up, down)) of the upsampled rate), transition band a
    tenth of that; length from Kaiser's formula, beta = 0.1102 (A - 8.7) for A = 60 dB. Normalised
    to unit DC gain here; resample_poly multiplies by `up` itself.
    """
    g = math.gcd(up, down)
    up, down = up // g, down // g
    atten = 60.0
    fc = 1.0 / (2.0 * max(up, down))
    width = fc / 10.0
    half = int(math.ceil((atten - 8.0) / (28.714 * width)))
    t = np.arange(-half, half + 1)
    h = 2.0 * up * fc * np.sinc(2.0 * fc * t) * np.kaiser(2 * half + 1, 0.1102 * (atten - 8.7))
    return h / h.sum()


def _stoi_resample(x, fs):
    g = math.gcd(STOI_FS, int(fs))
    up, down = STOI_FS // g, int(fs) // g
    return resample_poly(x, up, down, window=_octave_resample_filter(up, down))


def _frame_starts(n, frame, hop):
    # Taal's stdft/removeSilentFrames: frames = 1:hop:(length(x) - frame) (1-based), i.e. the last
    # full frame is skipped when (n - frame) is a multiple of hop. Kept for bit-compatibility.
    return np.arange(0, max(n - frame, 0), hop)


def _frames(x, frame, hop):
    starts = _frame_starts(len(x), frame, hop)
    if len(starts) == 0:
        return np.zeros((0, frame))
    return sliding_window_view(x, frame)[starts]


def _overlap_add(frames, hop):
    """Overlap-add windowed frames placed hop apart; length (K - 1) hop + frame."""
    k, frame = frames.shape
    out = np.zeros((k - 1) * hop + frame)
    for j in range(0, frame, hop):  # add each hop-long slice of every frame in one strided go
        w = min(hop, frame - j)
        dst = out[j:j + (k - 1) * hop + w]
        if w == hop:
            dst.reshape(k, hop)[:] += frames[:, j:j + hop]  # view: rows hop apart
        else:
            for i in range(k):
                out[j + i * hop:j + i * hop + w] += frames[i, j:j + w]
    return out


def _silent_frame_mask(x):
    """Windowed frames of the clean signal (10 kHz) and the mask of those within 40 dB of the loudest."""
    xf = _frames(x, STOI_FRAME, STOI_HOP) * _hann_symmetric_nozero(STOI_FRAME)
    if len(xf) == 0:
        return xf, np.zeros(0, dtype=bool)
    e = 20.0 * np.log10(np.sqrt(np.sum(xf * xf, axis=1)) + EPS)
    return xf, (e - np.max(e) + STOI_RANGE) > 0


def _drop_frames(frames, keep):
    """Rebuild a signal from the kept windowed frames only, by overlap-add (Taal's removeSilentFrames)."""
    if not np.any(keep):
        return np.zeros(0)
    return _overlap_add(frames[keep], STOI_HOP)


def _third_octave_matrix():
    """[bands, NFFT/2+1] 0/1 matrix summing FFT power into one-third-octave bands (Taal thirdoct.m)."""
    f = np.linspace(0, STOI_FS, STOI_NFFT + 1)[:STOI_NFFT // 2 + 1]
    k = np.arange(STOI_BANDS, dtype=np.float64)
    lo = STOI_FMIN * 2.0 ** ((2 * k - 1) / 6)  # band edges a sixth of an octave either side
    hi = STOI_FMIN * 2.0 ** ((2 * k + 1) / 6)
    m = np.zeros((STOI_BANDS, len(f)))
    for i in range(STOI_BANDS):
        a = int(np.argmin((f - lo[i]) ** 2))  # nearest FFT bin to each edge
        b = int(np.argmin((f - hi[i]) ** 2))
        m[i, a:b] = 1.0                         # upper edge bin excluded, as in thirdoct.m
    return m


_OBM = _third_octave_matrix()


def _band_envelopes(x):
    """[bands, frames] one-third-octave magnitudes sqrt(sum of |X|^2 over the band's bins)."""
    w = _hann_symmetric_nozero(STOI_FRAME)
    spec = sfft.rfft(_frames(x, STOI_FRAME, STOI_HOP) * w, n=STOI_NFFT, axis=1)
    p = spec.real ** 2 + spec.imag ** 2
    return np.sqrt(_OBM @ p.T)


def _stoi_clean(x, fs):
    """Clean-side STOI analysis, reusable for every output of the same clip."""
    if fs != STOI_FS:
        x = _stoi_resample(x, fs)
    xf, keep = _silent_frame_mask(x)
    X = _band_envelopes(_drop_frames(xf, keep))
    if X.shape[1] < STOI_SEG:
        return {"keep": keep, "Xc": None}
    Xs = sliding_window_view(X, STOI_SEG, axis=1)  # [bands, segments, 30]: segments end at frame m >= 30
    Xc = Xs - Xs.mean(axis=2, keepdims=True)
    Xc = Xc / (np.linalg.norm(Xc, axis=2, keepdims=True) + EPS)
    return {"keep": keep, "Xs": Xs, "Xs_norm": np.linalg.norm(Xs, axis=2, keepdims=True), "Xc": Xc}


def _stoi_out(clean, y, fs):
    if clean["Xc"] is None:
        return math.nan  # fewer than 30 frames survive silent-frame removal: too short to score
    if fs != STOI_FS:
        y = _stoi_resample(y, fs)
    yf = _frames(y, STOI_FRAME, STOI_HOP) * _hann_symmetric_nozero(STOI_FRAME)
    Ys = sliding_window_view(_band_envelopes(_drop_frames(yf, clean["keep"])), STOI_SEG, axis=1)
    Xs = clean["Xs"]
    # Normalise the output envelope to the clean envelope's energy per band and segment, then clip
    # it at (1 + 10^(-beta/20)) times the clean one, i.e. an SDR floor of beta dB.
    alpha = clean["Xs_norm"] / (np.linalg.norm(Ys, axis=2, keepdims=True) + EPS)
    Yp = np.minimum(Ys * alpha, Xs * (1.0 + 10.0 ** (-STOI_BETA / 20.0)))
    # Correlation coefficient per band and segment, averaged over both.
    Yc = Yp - Yp.mean(axis=2, keepdims=True)
    Yc = Yc / (np.linalg.norm(Yc, axis=2, keepdims=True) + EPS)
    return float(np.mean(np.sum(clean["Xc"] * Yc, axis=2)))


def stoi(ref, out, fs):
    """STOI of out against the clean ref (same length, rate fs). About 0-1; ref vs ref = 1.

    Returns nan when fewer than 30 frames survive silent-frame removal (clip too short to score).
    """
    x = np.asarray(ref, dtype=np.float64)
    y = np.asarray(out, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"stoi: length mismatch {x.shape} vs {y.shape}")
    return _stoi_out(_stoi_clean(x, fs), y, fs)


# --------------------------------------------------------------------------------------------
# Log-spectral distance
# --------------------------------------------------------------------------------------------

LSD_FLOOR_DB = 80.0    # both spectra floored this far below the largest reference bin
LSD_FRAME_DB = 40.0    # frames within this of the loudest reference frame
LSD_BIN_DB = 60.0      # bins whose long-term reference power is within this of the strongest


def _power_stft(x, nfft, hop):
    n = np.arange(nfft)
    w = 0.5 - 0.5 * np.cos(2.0 * np.pi * n / nfft)  # periodic Hann
    if len(x) < nfft:
        x = np.concatenate([x, np.zeros(nfft - len(x))])
    frames = sliding_window_view(x, nfft)[::hop]
    spec = sfft.rfft(frames * w, axis=1)
    return spec.real ** 2 + spec.imag ** 2


def _lsd_clean(x, fs):
    """Reference-side LSD analysis: floored powers of the selected frames and bins, and the selection."""
    nfft = 1 << int(round(math.log2(0.032 * fs)))
    hop = nfft // 4
    P = _power_stft(x, nfft, hop)
    # Frame and bin selection look at the reference's own (unfloored) power; the floor only bounds
    # the log difference. (Flooring before the selection raises the long-term power of empty bins
    # and admits more of them: that variant gives 15.95 / 10.44 dB instead of BASELINE's
    # 15.90 / 10.42 for noisy / rnnoise; this one reproduces every per-SNR group to 0.01 dB.)
    e = P.sum(axis=1)
    if e.max() <= 0.0:
        raise ValueError("lsd: reference is silent")
    frames = e >= e.max() * 10.0 ** (-LSD_FRAME_DB / 10.0)
    lt = P[frames].mean(axis=0)
    bins = lt >= lt.max() * 10.0 ** (-LSD_BIN_DB / 10.0)
    floor = P.max() * 10.0 ** (-LSD_FLOOR_DB / 10.0)
    return {"nfft": nfft, "hop": hop, "frames": frames, "bins": bins, "floor": floor,
            "logP": 10.0 * np.log10(np.maximum(P[np.ix_(frames, bins)], floor))}


def _lsd_out(clean, y):
    Q = _power_stft(y, clean["nfft"], clean["hop"])
    d = clean["logP"] - 10.0 * np.log10(np.maximum(Q[np.ix_(clean["frames"], clean["bins"])], clean["floor"]))
    return float(np.mean(np.sqrt(np.mean(d * d, axis=1))))


def lsd(ref, out, fs):
    """Log-spectral distance (dB) of out against ref, per BASELINE.md.

    Periodic Hann window of 2^round(log2(0.032 fs)) samples (2048 at 48 kHz), hop a quarter of it;
    frames within 40 dB of the loudest reference frame; bins whose mean reference power over those
    frames is within 60 dB of the strongest bin; both power spectra floored 80 dB below the largest
    reference bin; LSD = mean over frames of sqrt(mean over bins of (10log10 P - 10log10 Q)^2).
    Not scale-invariant: a level change counts.
    """
    x = np.asarray(ref, dtype=np.float64)
    y = np.asarray(out, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"lsd: length mismatch {x.shape} vs {y.shape}")
    return _lsd_out(_lsd_clean(x, fs), y)


# --------------------------------------------------------------------------------------------
# Band levels (../shared/data/devset-wb/README.md, "Band-level measure")
# --------------------------------------------------------------------------------------------

BANDS = ((0, 1000), (1000, 2000), (2000, 4000), (4000, 6000), (6000, 8000))  # Hz, [lo, hi)
BAND_NAMES = ("0-1 kHz", "1-2 kHz", "2-4 kHz", "4-6 kHz", "6-8 kHz")
BAND_NFFT = 1024       # periodic Hann window and FFT length (21.3 ms at 48 kHz)
BAND_HOP = 512
BAND_ACTIVE_DB = 40.0  # speech-active frames: clean frame energy within this of the loudest
BAND_FLOOR = 1e-10     # an output band energy below this fraction of the clean one counts as -100 dB


def _band_power(x):
    """[frames, NFFT/2+1] power spectra: frames from sample 0, hop 512, x zero-padded by NFFT."""
    w = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(BAND_NFFT) / BAND_NFFT)  # periodic Hann
    x = np.concatenate([np.asarray(x, dtype=np.float64), np.zeros(BAND_NFFT)])
    starts = np.arange(0, len(x) - BAND_NFFT, BAND_HOP)
    spec = sfft.rfft(sliding_window_view(x, BAND_NFFT)[starts] * w, axis=1)
    return spec.real ** 2 + spec.imag ** 2


def band_level_diff(ref, out, fs, bands=BANDS):
    """Level of out minus level of the clean ref (dB) in each band, over the ref's speech frames.

    ref and out: aligned, same length, rate fs. Per the devset-wb README: power STFT (above), active
    frames = 10log10(sum_k R) within 40 dB of its maximum, D = 10log10(sum Y / sum R) over active
    frames and the band's bins (lo <= f < hi), floored at -100 dB. Returns a list of floats.
    """
    x = np.asarray(ref, dtype=np.float64)
    y = np.asarray(out, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"band_level_diff: length mismatch {x.shape} vs {y.shape}")
    R, Y = _band_power(x), _band_power(y)
    e = 10.0 * np.log10(R.sum(axis=1) + 1e-30)
    act = e > e.max() - BAND_ACTIVE_DB
    f = np.arange(BAND_NFFT // 2 + 1) * (fs / BAND_NFFT)
    d = []
    for lo, hi in bands:
        m = (f >= lo) & (f < hi)
        er = R[act][:, m].sum()
        ey = Y[act][:, m].sum()
        if er <= 0.0:
            raise ValueError(f"band_level_diff: reference has no energy in {lo}-{hi} Hz")
        d.append(10.0 * math.log10(max(ey, BAND_FLOOR * er) / er))
    return d


# --------------------------------------------------------------------------------------------
# All of it for one file pair
# --------------------------------------------------------------------------------------------

class Reference:
    """A clean reference clip with its clean-side analyses, computed once and shared by every
    system scored against it (alignment spectrum, STOI envelopes, LSD spectra)."""

    def __init__(self, x, fs):
        self.x = to_mono(x)   # [n] float64, mono
        self.fs = int(fs)     # Hz
        if not np.all(np.isfinite(self.x)):
            raise ValueError("reference contains NaN/Inf")
        self._stoi = None     # dict from _stoi_clean, made on first use
        self._lsd = None      # dict from _lsd_clean, made on first use

    def score(self, out, fs_out, max_lag_s=0.1, bands=False):
        """Mono, resample to the reference rate, align, score.

        Returns a dict: si_sdr, stoi, lsd (floats) and lag (samples at the reference rate,
        positive = output late); with bands=True also "bands": band_level_diff of the aligned
        output (dB per BANDS entry).
        """
        out = resample(to_mono(out), fs_out, self.fs)
        if not np.all(np.isfinite(out)):
            raise ValueError("output contains NaN/Inf")
        out, lag = align(self.x, out, self.fs, max_lag_s)
        if self._stoi is None:
            self._stoi = _stoi_clean(self.x, self.fs)
            self._lsd = _lsd_clean(self.x, self.fs)
        res = {"si_sdr": si_sdr(self.x, out), "stoi": _stoi_out(self._stoi, out, self.fs),
               "lsd": _lsd_out(self._lsd, out), "lag": lag}
        if bands:
            res["bands"] = band_level_diff(self.x, out, self.fs)
        return res


def score(ref, fs_ref, out, fs_out):
    """Prepare (mono, rate, alignment) and score one output against its clean reference.

    Returns a dict: si_sdr, stoi, lsd, lag (samples at the reference rate, positive = output late).
    """
    return Reference(ref, fs_ref).score(out, fs_out)
