"""Monophonic phrases: generation, Standard MIDI File writing (mido) and dry rendering with the fluidsynth CLI.

A phrase is a dict {"notes": [(onset s, offset s, pitch, velocity)], "bends": [(time s, semitones)],
"name": str}. All times are multiples of 4 ms (one control frame), so a note-on starts a control
frame exactly and the MIDI file (1 tick = 1 ms) stores them without rounding.
"""

import os
import subprocess
import tempfile

import mido
import numpy as np
import scipy.io.wavfile

SOUNDFONT = "/usr/share/sounds/sf2/FluidR3_GM.sf2"
TICKS_PER_BEAT = 1000
TEMPO = 1000000          # us per beat -> 1 tick = 1 ms
BEND_RANGE = 2           # semitones, set with RPN 0 in every file
GRID = 0.004             # s, all event times are on this grid
TAIL_S = 1.0             # s rendered after the last note-off (release tail)

TIMBRES = {              # GM program (0-based), comfortable range (MIDI notes)
    "violin": (40, 55, 96),
    "flute": (73, 60, 93),
    "trumpet": (56, 54, 82),
    "cello": (42, 36, 72),
}


def q(t):
    """Round a time (s) to the 4 ms grid."""
    return round(t / GRID) * GRID


def write_midi(phrase, program, path):
    """Write a phrase as a type-0 SMF on channel 0 with program, bend range RPN and end after TAIL_S.
    phrase: {"notes": [(on_s, off_s, pitch, velocity)], "bends": [(t_s, semitones)], optional
    "controls": [(t_s, cc, value)]}."""
    ev = []  # (tick, order, message); order puts setup first, note-offs before note-ons at a tick
    ms = lambda t: int(round(t * 1000))
    ev.append((0, 0, mido.Message("program_change", program=program, channel=0)))
    for cc, val in ((101, 0), (100, 0), (6, BEND_RANGE), (38, 0), (101, 127), (100, 127)):
        ev.append((0, 0, mido.Message("control_change", control=cc, value=val, channel=0)))
    ev.append((0, 1, mido.Message("pitchwheel", pitch=0, channel=0)))
    last = 0.0
    for (on, off, pitch, vel) in phrase["notes"]:
        ev.append((ms(on), 3, mido.Message("note_on", note=int(pitch), velocity=int(vel), channel=0)))
        ev.append((ms(off), 2, mido.Message("note_off", note=int(pitch), velocity=0, channel=0)))
        last = max(last, off)
    for (t, cc, val) in phrase.get("controls", []):
        ev.append((ms(t), 1, mido.Message("control_change", control=int(cc), value=int(val), channel=0)))
    for (t, semi) in phrase["bends"]:
        val = int(round(semi / BEND_RANGE * 8192))
        ev.append((ms(t), 1, mido.Message("pitchwheel", pitch=max(-8192, min(8191, val)), channel=0)))
    ev.sort(key=lambda e: (e[0], e[1]))
    mid = mido.MidiFile(type=0, ticks_per_beat=TICKS_PER_BEAT)
    tr = mido.MidiTrack()
    mid.tracks.append(tr)
    tr.append(mido.MetaMessage("set_tempo", tempo=TEMPO, time=0))
    now = 0
    for tick, _, msg in ev:
        tr.append(msg.copy(time=tick - now))
        now = tick
    end = ms(last + TAIL_S)
    tr.append(mido.MetaMessage("end_of_track", time=max(0, end - now)))
    mid.save(path)
    return end / 1000.0


def render_midi(mid_path, sr, gain):
    """Render a MIDI file with fluidsynth (no reverb, no chorus) and return float32 mono audio."""
    with tempfile.TemporaryDirectory() as td:
        wav = os.path.join(td, "out.wav")
        cmd = ["fluidsynth", "-ni", "-q", "-R", "0", "-C", "0", "-r", str(sr), "-g", str(gain),
               "-O", "float", "-T", "wav", "-F", wav, SOUNDFONT, mid_path]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        rate, x = scipy.io.wavfile.read(wav)
    assert rate == sr, (rate, sr)
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 2:      # fluidsynth writes stereo; a centred mono voice has equal channels
        x = x.mean(axis=1)
    return x


def render_phrase(phrase, program, sr, gain, keep_mid=None):
    """Write the phrase to a temporary (or kept) MIDI file and render it; returns float32 audio."""
    with tempfile.TemporaryDirectory() as td:
        path = keep_mid or os.path.join(td, "p.mid")
        write_midi(phrase, program, path)
        return render_midi(path, sr, gain)


# ---------------------------------------------------------------- phrase generators

def _vel(rng, base, jitter=15):
    return int(np.clip(round(base + rng.uniform(-jitter, jitter)), 30, 127))


def nottingham_notes(path):
    """Note list [(on s, off s, pitch)] of a monophonic melody SMF (overlaps cut to the next onset)."""
    mid = mido.MidiFile(path)
    t = 0.0
    active = {}
    notes = []
    for msg in mid:   # merged tracks, msg.time in seconds
        t += msg.time
        if msg.type == "note_on" and msg.velocity > 0:
            if msg.note in active:
                notes.append((active.pop(msg.note), t, msg.note))
            active[msg.note] = t
        elif msg.type in ("note_off", "note_on") and msg.note in active:
            notes.append((active.pop(msg.note), t, msg.note))
    notes.sort()
    out = []
    for i, (on, off, p) in enumerate(notes):
        if i + 1 < len(notes):
            off = min(off, notes[i + 1][0])
        if off - on > 0.02:
            out.append((on, off, p))
    return out


def nottingham_phrase(rng, notes, lo, hi, max_len):
    """Random excerpt of a melody: tempo-scaled, transposed into [lo, hi], random velocities, maybe legato."""
    if len(notes) < 4:
        return None
    stretch = rng.uniform(0.75, 1.3)
    start = int(rng.integers(0, max(1, len(notes) - 4)))
    t0 = notes[start][0]
    sel = [n for n in notes[start:] if (n[1] - t0) * stretch <= max_len]
    if len(sel) < 3:
        return None
    ps = [n[2] for n in sel]
    lo_shift, hi_shift = lo - min(ps), hi - max(ps)
    if lo_shift > hi_shift:
        return None
    shift = int(rng.integers(lo_shift, hi_shift + 1))
    lead = rng.uniform(0.05, 0.4)
    legato = rng.random() < 0.35
    detach = rng.uniform(0.6, 0.95) if (not legato and rng.random() < 0.5) else 1.0
    base = rng.uniform(45, 115)
    slope = rng.uniform(-40, 40)   # crescendo / diminuendo over the excerpt
    dur = (sel[-1][1] - t0) * stretch
    out = []
    for i, (on, off, p) in enumerate(sel):
        a = lead + (on - t0) * stretch
        b = lead + (off - t0) * stretch
        if legato and i + 1 < len(sel):
            nxt = lead + (sel[i + 1][0] - t0) * stretch
            if nxt - b < 0.05:
                b = nxt + rng.uniform(0.02, 0.06)   # overlap: slur into the next note
        elif detach < 1.0:
            b = a + max(0.06, (b - a) * detach)
        a, b = q(a), q(b)
        if b - a < GRID * 5:
            b = a + GRID * 5
        v = _vel(rng, base + slope * (a - lead) / max(dur, 1e-3))
        out.append((a, b, p + shift, v))
    bends = []
    for i, (a, b, p, v) in enumerate(out):   # vibrato on some long notes (ends before the next note-on)
        nxt = out[i + 1][0] if i + 1 < len(out) else b
        if b - a >= 0.6 and rng.random() < 0.5:
            bends += [e for e in _vibrato(rng, a, min(b, nxt)) if e[0] <= min(b, nxt)]
    return {"notes": out, "bends": bends}


def _vibrato(rng, on, off, depth=None):
    """Pitch-bend events (every 8 ms) for a vibrato on a held note, starting after a short delay."""
    rate = rng.uniform(5.0, 6.0)
    depth = depth if depth is not None else rng.uniform(0.2, 0.5)   # semitones
    delay = rng.uniform(0.15, 0.5)
    ramp = rng.uniform(0.2, 0.6)
    bends = []
    t = q(on + delay)
    phase = rng.uniform(0, 2 * np.pi)
    while t < off:
        g = min(1.0, (t - on - delay) / ramp)
        bends.append((t, float(depth * g * np.sin(2 * np.pi * rate * (t - on - delay) + phase))))
        t = q(t + 0.008)
    bends.append((q(off), 0.0))
    return bends


def generated_phrase(rng, lo, hi, max_len):
    """Concatenation of 2-4 motifs (scale, arpeggio, vibrato note, legato slur, repeated notes) with rests."""
    notes, bends = [], []
    t = q(rng.uniform(0.05, 0.3))
    kinds = ["scale", "arp", "held", "slur", "repeat"]
    order = [kinds[i] for i in rng.permutation(len(kinds))]   # distinct motif kinds per phrase
    m = 0
    while True:
        kind = order[m % len(order)]
        m += 1
        base = rng.uniform(40, 115)
        mot = []
        if kind in ("scale", "arp"):
            steps = [2, 2, 1, 2, 2, 2, 1] if rng.random() < 0.6 else [2, 1, 2, 2, 1, 3, 1]
            if kind == "arp":
                steps = [4, 3, 5] if rng.random() < 0.5 else [3, 4, 5]
            n = int(rng.integers(5, 13))
            d = rng.uniform(0.12, 0.45)
            art = rng.uniform(0.5, 1.05)
            p = int(rng.integers(lo, max(lo + 1, hi - 12)))
            up = rng.random() < 0.6
            pitches = []
            for i in range(n):
                pitches.append(p)
                s = steps[i % len(steps)]
                p = p + s if up else p - s
                if p > hi or p < lo:
                    up = not up
                    p = min(max(p, lo), hi)
            for i, pp in enumerate(pitches):
                a = t + i * d
                mot.append((a, a + d * art, pp, _vel(rng, base + i * rng.uniform(-4, 4))))
        elif kind == "held":
            p = int(rng.integers(lo, hi + 1))
            d = rng.uniform(1.2, 3.2)
            mot.append((t, t + d, p, _vel(rng, base)))
            if rng.random() < 0.85:
                bends += _vibrato(rng, t, t + d)
        elif kind == "slur":
            p = int(rng.integers(lo + 3, hi - 2))
            n = int(rng.integers(3, 8))
            d = rng.uniform(0.2, 0.6)
            for i in range(n):
                a = t + i * d
                mot.append((a, a + d + rng.uniform(0.02, 0.06), p, _vel(rng, base, 8)))
                p = int(np.clip(p + rng.choice([-2, -1, 1, 2, 3, -3]), lo, hi))
        else:  # repeated notes at varied velocities
            p = int(rng.integers(lo, hi + 1))
            n = int(rng.integers(3, 9))
            d = rng.uniform(0.15, 0.5)
            art = rng.uniform(0.4, 0.9)
            for i in range(n):
                a = t + i * d
                mot.append((a, a + d * art, p, int(rng.integers(30, 128))))
        mot = [(q(a), q(b), p, v) for (a, b, p, v) in mot]
        end = max(m[1] for m in mot)
        if end > max_len and notes:
            break
        notes += [m for m in mot if m[1] <= max_len + 3.0]
        t = q(end + (rng.uniform(0.1, 0.8) if rng.random() < 0.7 else 0.0))   # rest (or not)
        if t > max_len:
            break
    bends = [b for b in bends if b[0] <= max(n[1] for n in notes)]
    return {"notes": notes, "bends": bends}


def sanitize(phrase):
    """Sort notes; a note may overlap the next one (legato) only if the pitches differ."""
    notes = sorted(phrase["notes"])
    out = []
    for i, (a, b, p, v) in enumerate(notes):
        for (a2, b2, p2, v2) in notes[i + 1:]:
            if p2 == p and a2 < b:
                b = a2
                break
        if b - a >= GRID * 2:
            out.append((a, b, p, v))
    return {"notes": out, "bends": sorted(phrase["bends"]), **{k: v for k, v in phrase.items()
                                                                 if k not in ("notes", "bends")}}
