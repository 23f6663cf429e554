"""Control features of the neural instrument: the Python mirror of docs/INSTRUMENT.md.

Everything here follows INSTRUMENT.md literally; dsp/audio/yin.c (C side) must agree with it to float
rounding. Where the document leaves a detail open, the choice made here is marked "RESOLVED:" in a
comment; the C side has to make the same choice.

Conventions shared by all functions:
- control rate F_C = 250 Hz; frame t describes the instant t/F_C s after the start of the clip.
- frame t's loudness and f0 are measured on the audio that ends at sample n_t = round(t*sr/F_C)
  (exclusive), i.e. on x[.. n_t-1]. Samples before the start of the clip are silence (zeros), so
  frame 0 always sees silence (L = -100 dB, unvoiced, f0 = 220 Hz).
- pitches are in (float) semitones, MIDI numbering (69 = A4 = 440 Hz).
"""

import math

import numpy as np

F_C = 250                 # control rate (Hz)
N_FEATS = 8               # d_input of the net
YIN_THRESHOLD = 0.15      # absolute threshold of YIN step 4
VOICED_MAX_DPRIME = 0.25  # d'(tau*) below this (and L > -60 dB) means voiced
VOICED_MIN_DB = -60.0
GATE_ON_DB = -50.0        # tracker gate rises above this (and voiced)
GATE_OFF_DB = -56.0       # tracker gate falls below this
LEGATO_SEMITONES = 0.8    # tracker legato jump threshold
LEGATO_FRAMES = 3         # ... held for this many consecutive frames
F0_DEFAULT = 220.0        # f0 before the first voiced frame
ONSET_TAU = 0.05          # s, onset column decay
RELEASE_TAU = 0.25        # s, release column decay
AGE_MAX = 4.0             # s, age column saturation


def _round_half_up(num, den):
    """round(num/den) for non-negative integers, ties upwards, in exact integer arithmetic."""
    # RESOLVED: "round" in the spec (W_L = round(0.02 sr), n_t = round(t sr / f_c)) is taken as
    # floor(x + 0.5) computed exactly in integers (ties upwards), never through float 0.02*sr.
    return (2 * num + den) // (2 * den)


def frame_end_samples(n_frames, sr):
    """Sample index n_t = round(t*sr/250) (exclusive end of the analysed audio) for t = 0..n_frames-1."""
    t = np.arange(n_frames, dtype=np.int64)
    return (2 * t * int(sr) + F_C) // (2 * F_C)


def yin_params(sr):
    """(tau_min, tau_max, W, W_L) for rate sr, computed exactly in integers."""
    sr = int(sr)
    tau_min = sr // 2000             # floor(sr/2000)
    tau_max = -(-sr // 50)           # ceil(sr/50)
    W = -(-sr // 40)                 # ceil(0.025 sr): exact, 0.025*24000 in floats is 600.0000000000001
    W_L = _round_half_up(sr, 50)     # round(0.02 sr)
    return tau_min, tau_max, W, W_L


def _windows(x, ends, length):
    """[T, length] matrix of x[n-length .. n-1] for each n in ends, zeros before the start of x."""
    x = np.asarray(x, dtype=np.float64)
    xp = np.concatenate([np.zeros(length), x])
    ends = np.minimum(np.asarray(ends, dtype=np.int64), len(x))
    # RESOLVED: frames that end past the end of x (only if n_frames asks for more audio than
    # exists) see x only up to its end (no zeros after it); build_data always pads the audio first.
    idx = ends[:, None] + np.arange(length)[None, :]   # index into xp: xp[n + j] = x[n - length + j]
    return xp[idx]


def loudness_db(x, sr, n_frames):
    """Loudness L (dB re full scale) per frame: 10 log10(mean of the last W_L=round(0.02 sr) samples^2 + 1e-10)."""
    _, _, _, W_L = yin_params(sr)
    ends = frame_end_samples(n_frames, sr)
    win = _windows(x, ends, W_L)
    return 10.0 * np.log10(np.mean(win * win, axis=1) + 1e-10)


def _yin_dprime(buf, tau_max, W):
    """Cumulative-mean-normalised difference d'(tau), tau = 0..tau_max, for buffers [T, W+tau_max]."""
    T, L = buf.shape
    nfft = 1
    while nfft < L:       # circular correlation of a (length W, zero padded) with b (length L)
        nfft *= 2         # has no wrap-around for lags 0..tau_max once nfft >= L
    a = buf[:, :W]
    A = np.fft.rfft(a, nfft, axis=1)
    B = np.fft.rfft(buf, nfft, axis=1)
    r = np.fft.irfft(np.conj(A) * B, nfft, axis=1)[:, :tau_max + 1]   # r[tau] = sum_j b[j] b[j+tau]
    sq = buf * buf
    csum = np.concatenate([np.zeros((T, 1)), np.cumsum(sq, axis=1)], axis=1)
    e0 = csum[:, W]                                   # sum_{j<W} b[j]^2
    taus = np.arange(tau_max + 1)
    e_tau = csum[:, taus + W] - csum[:, taus]         # sum_{j<W} b[j+tau]^2
    d = e0[:, None] + e_tau - 2.0 * r
    # RESOLVED: the FFT form can give tiny negative d(tau) by rounding; d is clamped at 0.
    d = np.maximum(d, 0.0)
    d[:, 0] = 0.0
    cum = np.cumsum(d[:, 1:], axis=1)                 # sum_{k=1}^{tau} d(k)
    dp = np.ones((T, tau_max + 1))
    num = d[:, 1:] * taus[None, 1:]
    # RESOLVED: where sum_{k<=tau} d(k) == 0 (digital silence, constant signal) d'(tau) = 1.
    with np.errstate(divide="ignore", invalid="ignore"):
        dp[:, 1:] = np.where(cum > 0.0, num / np.where(cum > 0.0, cum, 1.0), 1.0)
    return dp


def _yin_pick(dp, tau_min, tau_max):
    """Steps 4-5 on one d' row: (tau_hat, d'(tau*))."""
    below = np.nonzero(dp[tau_min:tau_max + 1] < YIN_THRESHOLD)[0]
    if below.size:
        tau = tau_min + int(below[0])
        # local-minimum walk; RESOLVED: it stops at tau_max (there is no d'(tau_max+1)).
        while tau + 1 <= tau_max and dp[tau + 1] < dp[tau]:
            tau += 1
    else:
        # RESOLVED: argmin ties -> the smallest tau (first occurrence).
        tau = tau_min + int(np.argmin(dp[tau_min:tau_max + 1]))
    tau_hat = float(tau)
    # Parabolic interpolation through (tau-1, tau, tau+1). RESOLVED: not done at tau = tau_max
    # (no right neighbour) nor when the parabola is flat (a - 2b + c == 0); the offset
    # delta = (a - c) / (2 (a - 2b + c)) is kept only if |delta| <= 1 (the spec's "within +-1").
    if tau + 1 <= tau_max:
        a, b, c = dp[tau - 1], dp[tau], dp[tau + 1]
        den = a - 2.0 * b + c
        if den != 0.0:
            delta = 0.5 * (a - c) / den
            if abs(delta) <= 1.0:
                tau_hat = tau + delta
    return tau_hat, float(dp[tau])


def yin(x, sr, n_frames, loud=None):
    """YIN f0 (Hz, held over unvoiced frames, 220 before the first voiced one) and voiced flags per frame."""
    tau_min, tau_max, W, _ = yin_params(sr)
    if loud is None:
        loud = loudness_db(x, sr, n_frames)
    ends = frame_end_samples(n_frames, sr)
    f0 = np.empty(n_frames)
    voiced = np.zeros(n_frames, dtype=bool)
    last = F0_DEFAULT
    chunk = 512
    for s in range(0, n_frames, chunk):
        e = min(n_frames, s + chunk)
        buf = _windows(x, ends[s:e], W + tau_max)     # b[j] = x[n - W - tau_max + j]
        dp = _yin_dprime(buf, tau_max, W)
        for i in range(e - s):
            t = s + i
            tau_hat, dmin = _yin_pick(dp[i], tau_min, tau_max)
            v = dmin < VOICED_MAX_DPRIME and loud[t] > VOICED_MIN_DB
            if v:
                last = sr / tau_hat
            voiced[t] = v
            f0[t] = last
    return f0, voiced


def hz_to_semitones(f0):
    """p = 69 + 12 log2(f0/440)."""
    return 69.0 + 12.0 * np.log2(np.asarray(f0, dtype=np.float64) / 440.0)


def _event_columns(feats, t, t_on, t_off, gate):
    """Fill columns 3..5 (onset, release, age) of row t from the seconds since the events."""
    if t_on is not None:
        feats[t, 3] = math.exp(-t_on / ONSET_TAU)
        feats[t, 5] = min(t_on, AGE_MAX) / AGE_MAX
    if t_off is not None:
        feats[t, 4] = (1.0 - gate) * math.exp(-t_off / RELEASE_TAU)


def tracker(pitch_semitones, loud_db, voiced):
    """Audio-mode features [T,8] from per-frame YIN pitch (semitones, held), loudness (dB) and voiced flags."""
    p = np.asarray(pitch_semitones, dtype=np.float64)
    L = np.asarray(loud_db, dtype=np.float64)
    v = np.asarray(voiced, dtype=bool)
    T = len(p)
    feats = np.zeros((T, N_FEATS), dtype=np.float64)
    gate = 0
    p_note = 0.0
    vel = 0.0
    on_frame = None   # frame of the last note-on
    off_frame = None  # frame where the gate last fell
    run = 0           # consecutive frames with |p - p_note| > 0.8 while the gate is up
    for t in range(T):
        note_on = False
        if gate == 0:
            if L[t] > GATE_ON_DB and v[t]:
                gate = 1
                note_on = True
        else:
            if L[t] < GATE_OFF_DB:
                gate = 0
                off_frame = t
                run = 0
            else:
                # RESOLVED: the legato rule looks at p (held YIN pitch) whether or not the frame
                # is voiced; the counter is reset by any note-on and whenever the gate is down.
                if abs(p[t] - p_note) > LEGATO_SEMITONES:
                    run += 1
                    if run >= LEGATO_FRAMES:
                        note_on = True
                else:
                    run = 0
        if note_on:
            p_note = p[t]
            vel = min(max(1.0 + L[t] / 50.0, 0.05), 1.0)
            on_frame = t
            run = 0
        # RESOLVED: in audio mode the pitch column is the held YIN pitch on every frame (also
        # before the first note-on: the "first note's pitch" of MIDI mode would need look-ahead),
        # and the loudness columns 6, 7 are filled on every frame, before the first note-on too.
        feats[t, 0] = (p[t] - 60.0) / 24.0
        feats[t, 6] = (L[t] + 60.0) / 60.0
        feats[t, 7] = 1.0
        if on_frame is not None:
            feats[t, 1] = vel
            feats[t, 2] = gate
            t_on = (t - on_frame) / F_C
            t_off = None if off_frame is None else (t - off_frame) / F_C
            _event_columns(feats, t, t_on, t_off, gate)
    return feats


def audio_features(x, sr, n_frames):
    """Audio-mode pipeline: (features [T,8], yin pitch in semitones [T], loudness dB [T], voiced [T])."""
    loud = loudness_db(x, sr, n_frames)
    f0, voiced = yin(x, sr, n_frames, loud=loud)
    p = hz_to_semitones(f0)
    return tracker(p, loud, voiced), p, loud, voiced


def bend_curve(bends, n_frames):
    """Bend (semitones) at each frame instant t/250 from step events [(time_s, semitones)], 0 before the first."""
    out = np.zeros(n_frames)
    if not bends:
        return out
    bt = np.array([b[0] for b in bends], dtype=np.float64)
    bv = np.array([b[1] for b in bends], dtype=np.float64)
    order = np.argsort(bt, kind="stable")
    bt, bv = bt[order], bv[order]
    times = np.arange(n_frames) / F_C
    # an event at exactly t/250 already applies at frame t
    k = np.searchsorted(bt, times + 1e-9, side="right") - 1
    out[k >= 0] = bv[k[k >= 0]]
    return out


def midi_features(notes, bends, n_frames):
    """MIDI-mode features [T,8] of a monophonic phrase: notes [(onset s, offset s, pitch, velocity)], bends [(s, semitones)]."""
    # Monophonic, last-note priority: the current note is the most recent note-on at or before the
    # frame instant; the gate is 1 while any key is down (legato overlaps keep it up). An event at
    # exactly t/250 s already counts at frame t (times are compared with a 1e-9 s tolerance).
    # RESOLVED: after a note-off the velocity, pitch, onset and age columns keep describing the last
    # note (t_on keeps counting); pitch bend keeps applying to it.
    feats = np.zeros((n_frames, N_FEATS), dtype=np.float64)
    notes = sorted(notes, key=lambda n: (n[0], n[1]))
    bend = bend_curve(bends, n_frames)
    eps = 1e-9
    for t in range(n_frames):
        now = t / F_C
        cur = None
        gate = 0
        last_off = None
        for (on, off, pitch, vel) in notes:
            if on <= now + eps:
                cur = (on, off, pitch, vel)
                if now + eps < off:
                    gate = 1
            if off <= now + eps and (last_off is None or off > last_off):
                last_off = off
        if cur is None:
            first_pitch = notes[0][2] if notes else 60.0
            feats[t, 0] = (first_pitch + bend[t] - 60.0) / 24.0
            continue
        on, off, pitch, vel = cur
        feats[t, 0] = (pitch + bend[t] - 60.0) / 24.0
        feats[t, 1] = vel / 127.0
        feats[t, 2] = gate
        t_on = max(now - on, 0.0)
        # t_off counts from the moment the gate fell: the latest note-off at or before now while no
        # key is down (0 release while the gate is up).
        t_off = None if last_off is None else max(now - last_off, 0.0)
        _event_columns(feats, t, t_on, t_off, gate)
    return feats


REST_FRAMES = 25   # a C voice starts a note from the net's state after this many rest frames


def rest_prefix(pitch, n=REST_FRAMES):
    """Features [n, 8] of the rest before a note of `pitch` (semitones, bend included): all 0 but
    the pitch column. The C synth starts every voice from the state the net reaches on these
    (docs/INSTRUMENT.md, "Voices"), as a note after a rest starts in training."""
    f = np.zeros((n, N_FEATS), dtype=np.float64)
    f[:, 0] = (pitch - 60.0) / 24.0
    return f


def midi_pitch(notes, bends, n_frames):
    """Semitone pitch the oscillator must play in MIDI mode per frame (current note + bend; first note before it)."""
    f = midi_features(notes, bends, n_frames)
    return f[:, 0] * 24.0 + 60.0
