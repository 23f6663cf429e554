#!/usr/bin/python3
"""synth_check.py — helpers of the synth/transfer app tests (tests/app/test_synth*.sh,
test_transfer.sh). Every check prints one line and exits 0 (pass) or 1 (fail) with the figures.

  mkmidi KIND OUT.mid       write a small MIDI file with mido (kinds below)
  onsets WAV MIDI TOL_MS    every note-on that follows >= 0.4 s of silence starts sounding in
                            [t_on - 1 ms, t_on + TOL_MS] (first sample over -50 dB re the note's
                            peak), and nothing sounds in the silences before it
  notes WAV MIDI            notes audible at the right times: mean RMS while notes are held is
                            >= 20 dB above the RMS in rests (>= 0.5 s with no key down, from 0.3 s
                            after the previous release), when the file has such rests
  pitch WAV T0 T1 HZ        the median f0 (YIN, voiced frames) between T0 and T1 s is HZ within 30 cents
  sisdr REF EST T0 T1       SI-SDR (dB) of EST against REF over [T0, T1) s
  rms WAV T0 T1             print the RMS (dBFS) of WAV between T0 and T1 seconds
  f0track IN OUT [CENTS]   f0 of OUT follows f0 of IN shifted by CENTS (default 0; both analysed
                            by the same small YIN, voiced frames of both): median |error| in
                            cents < 50 and >= 60 % of those frames within 50 cents
  f0lag IN OUT              lag (ms) that best aligns OUT's f0 contour with IN's (YIN every 2 ms,
                            lags within +-60 ms: the one with the smallest median |cents| error);
                            note changes make it sharp, whatever the timbre
  onsetlag IN OUT           first onset of OUT minus first onset of IN, ms (onset: first 2 ms window
                            whose RMS is within 30 dB of the file's loudest window)

Audio is read with scipy.io.wavfile (WAV only; the tests write WAV for analysis).
"""
import sys

import numpy as np
from scipy.io import wavfile


def read(path):
    rate, x = wavfile.read(path)
    if x.dtype == np.int16:
        x = x / 32768.0
    elif x.dtype == np.int32:
        x = x / 2147483648.0
    elif x.dtype == np.uint8:
        x = (x - 128.0) / 128.0
    x = np.asarray(x, dtype=np.float64)
    if x.ndim > 1:
        x = x.mean(axis=1)
    return rate, x


# ----------------------------------------------------------------------------- MIDI files --
def mkmidi(kind, out):
    import mido
    mid = mido.MidiFile(ticks_per_beat=480)
    tr = mido.MidiTrack()
    mid.tracks.append(tr)
    ev = []  # (seconds at 120 bpm unless a tempo change says otherwise, message)

    def note(t, dur, n, v=100, ch=0):
        ev.append((t, mido.Message('note_on', note=n, velocity=v, channel=ch)))
        ev.append((t + dur, mido.Message('note_on', note=n, velocity=0, channel=ch)))  # vel-0 off

    if kind == 'timing':
        # separated notes with a tempo change half way (120 -> 80 bpm at beat 4 = 2.0 s):
        # onsets are checked against mido's seconds, so libsmf's tempo map must agree
        for k, b in enumerate([1, 2.5, 3.5, 5, 6.5]):  # beats
            note(b, 0.5, 60 + 3 * k, 70 + 10 * k)
        tempo_change_beat = 4
        return write_beats(mid, tr, ev, tempo_change_beat, out)
    if kind in ('sustain', 'nosustain'):
        note(0.4, 0.3, 64, 100)  # beats at 120 bpm = 0.2 .. 0.35 s
        if kind == 'sustain':
            ev.append((0.6, mido.Message('control_change', control=64, value=127)))
            ev.append((4.0, mido.Message('control_change', control=64, value=0)))
        ev.append((5.0, mido.Message('note_on', note=30, velocity=0)))  # end of song at 2.5 s
        return write_beats(mid, tr, ev, None, out)
    if kind == 'chord':  # 4 notes held together, 0.25 .. 1.25 s
        for n in (60, 64, 67, 72):
            note(0.5, 2.0, n, 100)
        return write_beats(mid, tr, ev, None, out)
    if kind == 'single':  # one note of the chord alone
        note(0.5, 2.0, 60, 100)
        return write_beats(mid, tr, ev, None, out)
    if kind == 'bend':  # note 69 (440 Hz) 0.25..2.25 s, bend to +8191 (= +2 semitones) at 1.25 s
        note(0.5, 4.0, 69, 100)
        ev.append((2.5, mido.Message('pitchwheel', pitch=8191)))
        return write_beats(mid, tr, ev, None, out)
    if kind == 'bendrange':  # the same with RPN 0 set to 12 semitones first, bend +4096 = +6 st
        for c, v in ((101, 0), (100, 0), (6, 12), (38, 0), (101, 127), (100, 127)):
            ev.append((0.0, mido.Message('control_change', control=c, value=v)))
        note(0.5, 4.0, 69, 100)
        ev.append((2.5, mido.Message('pitchwheel', pitch=4096)))
        return write_beats(mid, tr, ev, None, out)
    if kind in ('cc64_down', 'cc64_up'):  # a note 0 .. 0.25 s, then only a pedal message at 1 s
        note(0.0, 0.5, 60, 100)        # (a lift that changes nothing, or a press after the note)
        ev.append((2.0, mido.Message('control_change', control=64, value=127 if kind == 'cc64_down' else 0)))
        return write_beats(mid, tr, ev, None, out)
    if kind == 'drums':  # only channel 10
        for b in range(4):
            note(b, 0.25, 36, 100, ch=9)
        return write_beats(mid, tr, ev, None, out)
    if kind == 'short':  # 3 s phrase for the live test: a melody, a chord, pedal and bend
        for k, n in enumerate([67, 69, 71, 72, 74]):
            note(0.5 + 0.5 * k, 0.45, n, 90)
        for n in (60, 64, 67):
            note(3.0, 1.5, n, 80)
        ev.append((3.25, mido.Message('pitchwheel', pitch=2048)))
        ev.append((4.0, mido.Message('pitchwheel', pitch=0)))
        return write_beats(mid, tr, ev, None, out)
    raise SystemExit('unknown kind ' + kind)


def write_beats(mid, tr, ev, tempo_change_beat, out):
    import mido
    tpb = mid.ticks_per_beat
    msgs = [(0, mido.MetaMessage('set_tempo', tempo=500000))]
    if tempo_change_beat is not None:
        msgs.append((tempo_change_beat * tpb, mido.MetaMessage('set_tempo', tempo=750000)))
    msgs += [(int(round(b * tpb)), m) for b, m in ev]
    msgs.sort(key=lambda x: x[0])  # stable: offs written after ons at a tick stay in order
    last = 0
    for tick, m in msgs:
        tr.append(m.copy(time=tick - last))
        last = tick
    mid.save(out)
    print('wrote %s (%.3f s)' % (out, mido.MidiFile(out).length))


def midi_notes(path):
    """[(on_s, off_s, note)] from mido (its own tempo handling), every channel but 10."""
    import mido
    t = 0.0
    active = {}
    notes = []
    for m in mido.MidiFile(path):
        t += m.time
        if m.type not in ('note_on', 'note_off') or m.channel == 9:
            continue
        key = (m.channel, m.note)
        if m.type == 'note_on' and m.velocity > 0:
            active.setdefault(key, []).append(t)
        elif active.get(key):
            notes.append((active[key].pop(0), t, m.note))
    for key, ons in active.items():
        notes += [(on, t, key[1]) for on in ons]
    notes.sort()
    return notes


# ---------------------------------------------------------------------------- checks --
def env_db(x, rate, win_s=0.005):
    w = max(1, int(round(win_s * rate)))
    n = len(x) // w
    e = np.sqrt(np.mean(x[:n * w].reshape(n, w) ** 2, axis=1) + 1e-20)
    return 20 * np.log10(e), w


def onsets(wav, mid, tol_ms):
    rate, x = read(wav)
    notes = midi_notes(mid)
    peak = np.max(np.abs(x))
    ok = True
    checked = 0
    last_off = -10.0
    for on, off, n in notes:
        if on - last_off >= 0.4:
            # nothing may sound before the note-on (but after the previous note died away)
            s_on = int(round(on * rate))
            seg_end = min(len(x), s_on + int(0.5 * rate))
            thr = peak * 10 ** (-50 / 20)
            above = np.nonzero(np.abs(x[s_on - int(0.001 * rate):seg_end]) > thr)[0]
            if len(above) == 0:
                print('note %d at %.3f s: never sounds' % (n, on))
                ok = False
                continue
            first = (s_on - int(0.001 * rate) + above[0]) / rate
            d_ms = (first - on) * 1e3
            checked += 1
            good = -1.0 <= d_ms <= tol_ms
            ok &= good
            print('note %d on at %.4f s: sound from %.4f s (%+.2f ms)%s' %
                  (n, on, first, d_ms, '' if good else '  <- outside [-1, %g] ms' % tol_ms))
        last_off = max(last_off, off)
    if checked < 2:
        print('only %d separated note-ons to check' % checked)
        ok = False
    return ok


def notes_audible(wav, mid):
    rate, x = read(wav)
    notes = midi_notes(mid)
    held = np.zeros(len(x), bool)
    for on, off, _ in notes:
        held[int(on * rate):int(off * rate)] = True
    # rests: no key down for >= 0.5 s; measured from 0.3 s after the release
    rest = np.zeros(len(x), bool)
    edges = sorted((on, off) for on, off, _ in notes)
    cur_end = 0.0
    gaps = []
    for on, off in edges:
        if on - cur_end >= 0.5 and cur_end > 0:
            gaps.append((cur_end + 0.3, on))
        cur_end = max(cur_end, off)
    for a, b in gaps:
        rest[int(a * rate):int(b * rate)] = True
    rms_h = np.sqrt(np.mean(x[held] ** 2))
    h_db = 20 * np.log10(rms_h + 1e-20)
    print('held: %.1f s, rms %.1f dBFS' % (held.sum() / rate, h_db))
    if not rest.any():
        print('no rests >= 0.5 s in this file: only the held level is checked')
        return h_db > -50
    r_db = 20 * np.log10(np.sqrt(np.mean(x[rest] ** 2)) + 1e-20)
    print('rests: %d (%.1f s), rms %.1f dBFS -> held is %.1f dB louder' %
          (len(gaps), rest.sum() / rate, r_db, h_db - r_db))
    return h_db > -50 and h_db - r_db >= 20


def rms(wav, t0, t1):
    rate, x = read(wav)
    seg = x[int(float(t0) * rate):int(float(t1) * rate)]
    # past the end of the file counts as silence (the synth trims trailing silence)
    ss = np.sum(seg ** 2) / max(1, int(float(t1) * rate) - int(float(t0) * rate))
    print('%.2f' % (20 * np.log10(np.sqrt(ss) + 1e-20)))
    return True


def sisdr(ref, est, t0, t1):
    r1, a = read(ref)
    r2, b = read(est)
    a = a[int(float(t0) * r1):int(float(t1) * r1)]
    b = b[int(float(t0) * r2):int(float(t1) * r2)]
    n = min(len(a), len(b))
    a, b = a[:n], b[:n]
    s = np.dot(b, a) / max(np.dot(a, a), 1e-20) * a
    print('%.2f' % (10 * np.log10(np.sum(s ** 2) / max(np.sum((b - s) ** 2), 1e-20) + 1e-20)))
    return n > 0


def pitch(wav, t0, t1, hz):
    rate, x = read(wav)
    seg = x[int(float(t0) * rate):int(float(t1) * rate)]
    f0, conf, lev = yin(seg, rate)
    v = conf < 0.2
    if v.sum() < 5:
        print('only %d voiced frames in %s..%s s' % (v.sum(), t0, t1))
        return False
    med = np.median(f0[v])
    c = 1200 * np.log2(med / float(hz))
    print('%.1f Hz (%+.1f cents from %s Hz; %d of %d frames voiced)' % (med, c, hz, v.sum(), len(v)))
    return abs(c) <= 30


def yin(x, rate, hop_s=0.01, fmin=60.0, fmax=1500.0):
    """Small YIN (difference function, cumulative mean normalisation, threshold 0.15)."""
    w = int(0.03 * rate)
    tmin, tmax = int(rate / fmax), int(rate / fmin)
    hop = int(hop_s * rate)
    f0, conf, lev = [], [], []
    for s in range(0, len(x) - w - tmax, hop):
        fr = x[s:s + w + tmax]
        a = fr[:w]
        d = np.array([np.sum((a - fr[t:t + w]) ** 2) for t in range(1, tmax + 1)])
        cm = d * np.arange(1, tmax + 1) / np.maximum(np.cumsum(d), 1e-20)
        cand = np.nonzero(cm[tmin - 1:] < 0.15)[0]
        if len(cand):
            t = cand[0] + tmin - 1
            while t + 1 < len(cm) and cm[t + 1] < cm[t]:
                t += 1
        else:
            t = int(np.argmin(cm[tmin - 1:])) + tmin - 1
        f0.append(rate / (t + 1))
        conf.append(cm[t])
        lev.append(10 * np.log10(np.mean(a ** 2) + 1e-20))
    return np.array(f0), np.array(conf), np.array(lev)


def f0track(inp, out, shift_cents=0.0):
    r1, x = read(inp)
    r2, y = read(out)
    if r1 != r2 or len(x) != len(y):
        print('rates/lengths differ: %d/%d Hz, %d/%d samples' % (r1, r2, len(x), len(y)))
        return False
    # decimate for speed when the rate is high (the analysis band stays far above 1.5 kHz)
    f1, c1, l1 = yin(x, r1)
    f2, c2, l2 = yin(y, r2)
    v = (c1 < 0.15) & (c2 < 0.25) & (l1 > -45) & (l2 > -60)
    if v.sum() < 20:
        print('only %d frames voiced in both (in: %d, out: %d)' % (v.sum(), (c1 < 0.15).sum(), (c2 < 0.25).sum()))
        return False
    cents = 1200 * np.log2(f2[v] / f1[v]) - float(shift_cents)
    med = np.median(np.abs(cents))
    within = np.mean(np.abs(cents) < 50)
    print('frames voiced in both: %d of %d; input f0 %.0f..%.0f Hz, output %.0f..%.0f Hz; error vs %+g cents: '
          '|median| %.1f, %.0f%% within 50 cents'
          % (v.sum(), len(v), np.percentile(f1[v], 5), np.percentile(f1[v], 95), np.percentile(f2[v], 5),
             np.percentile(f2[v], 95), float(shift_cents), med, 100 * within))
    return med < 50 and within >= 0.6


def yin_fast(x, rate, hop_s=0.002, fmin=60.0, fmax=1500.0):
    """YIN (threshold 0.15) every hop_s, the difference function from FFT correlations."""
    w = int(0.03 * rate)
    tmax = int(rate / fmin)
    tmin = int(rate / fmax)
    hop = max(1, int(hop_s * rate))
    starts = np.arange(0, len(x) - w - tmax, hop)
    nfft = 1 << int(np.ceil(np.log2(w + tmax + 1)))
    f0 = np.zeros(len(starts))
    conf = np.ones(len(starts))
    c2 = np.concatenate([[0.0], np.cumsum(x ** 2)])
    for i, s in enumerate(starts):
        a = x[s:s + w]
        b = x[s:s + w + tmax]
        r = np.fft.irfft(np.conj(np.fft.rfft(a, nfft)) * np.fft.rfft(b, nfft), nfft)[1:tmax + 1]
        e0 = c2[s + w] - c2[s]
        et = c2[s + 1 + np.arange(tmax) + w] - c2[s + 1 + np.arange(tmax)]
        d = np.maximum(e0 + et - 2 * r, 0)
        cm = d * np.arange(1, tmax + 1) / np.maximum(np.cumsum(d), 1e-20)
        cand = np.nonzero(cm[tmin - 1:] < 0.15)[0]
        if len(cand):
            t = cand[0] + tmin - 1
            while t + 1 < len(cm) and cm[t + 1] < cm[t]:
                t += 1
            f0[i] = rate / (t + 1)
            conf[i] = cm[t]
    return f0, conf, hop


def f0lag(inp, out):
    r1, x = read(inp)
    r2, y = read(out)
    f1, c1, hop = yin_fast(x, r1)
    f2, c2, _ = yin_fast(y, r2)
    n = min(len(f1), len(f2))
    f1, f2, c1, c2 = f1[:n], f2[:n], c1[:n], c2[:n]
    best = (np.inf, 0)
    maxlag = int(0.06 * r1 / hop)
    for k in range(-maxlag, maxlag + 1):
        a = slice(max(0, -k), n - max(0, k))
        b = slice(max(0, k), n - max(0, -k))
        v = (c1[a] < 0.15) & (c2[b] < 0.25)
        if v.sum() < 50:
            continue
        err = np.mean(np.abs(1200 * np.log2(f2[b][v] / f1[a][v])) > 50)  # share of frames off by > 50 cents
        if err < best[0]:
            best = (err, k)
    print('%.1f' % (best[1] * hop / r1 * 1e3))
    return np.isfinite(best[0])


def onsetlag(inp, out):
    r1, x = read(inp)
    r2, y = read(out)
    t = []
    for r, z in ((r1, x), (r2, y)):
        e, w = env_db(z, r, 0.002)
        t.append(np.nonzero(e > e.max() - 30)[0][0] * w / r)
    print('%.1f' % ((t[1] - t[0]) * 1e3))
    return True


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == 'mkmidi':
        mkmidi(*args)
        ok = True
    elif cmd == 'onsets':
        ok = onsets(args[0], args[1], float(args[2]))
    elif cmd == 'notes':
        ok = notes_audible(*args)
    elif cmd == 'sisdr':
        ok = sisdr(*args)
    elif cmd == 'pitch':
        ok = pitch(*args)
    elif cmd == 'rms':
        ok = rms(*args)
    elif cmd == 'f0track':
        ok = f0track(*args)
    elif cmd == 'f0lag':
        ok = f0lag(*args)
    elif cmd == 'onsetlag':
        ok = onsetlag(*args)
    else:
        raise SystemExit(__doc__)
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
