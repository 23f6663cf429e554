"""The composer's event vocabulary (docs/COMPOSE.md) and the MIDI <-> token codec.

This file is the reference for dsp/engines/compose.c: both must turn the same MIDI into the same tokens
(tests/py/test_compose.py checks it through `statewave compose --dump-tokens`).

Tokens (VOCAB = 389), Performance-RNN style (Oore et al. 2018):
    0..127    NOTE_ON  pitch
    128..255  NOTE_OFF pitch
    256..355  TIME_SHIFT of (k + 1) * 10 ms, k = 0..99 (10 ms .. 1 s)
    356..387  VELOCITY bin b = velocity * 32 // 128 (0..31); it holds until the next VELOCITY
    388       START: the first input of every sequence, never generated

The sustain pedal is applied while encoding (a note released with the pedal down sounds until
the pedal goes up), so the model sees sounding notes, as a listener hears them. Channel 10 (drums)
is ignored; every other channel is one keyboard: a key struck again while it sounds ends the
sounding note first. Times are quantised to 10 ms; a note lasts at least one step.
"""

import math

N_PITCH = 128
ON, OFF, SHIFT, VEL, START = 0, 128, 256, 356, 388
N_SHIFT, N_VEL = 100, 32
VOCAB = 389
STEP_S = 0.01


def vel_bin(velocity):
    return max(0, min(N_VEL - 1, int(velocity) * N_VEL // 128))


def bin_vel(b):
    """Velocity a bin plays back at: the middle of its range."""
    return b * 4 + 2


def notes_from_events(events):
    """(time_s, kind, ch, a, b) events (train/sashimi/midi.py read()) -> notes [(on_s, off_s, pitch, vel)].

    kind 'on'/'off' (a = pitch, b = velocity) and 'cc' 64 (sustain, b >= 64 = down) are used, on
    every channel but 10, with the pedal as the OR of all channels' pedals."""
    pedal = {}                       # channel -> down
    sounding = {}                    # pitch -> (on_s, vel)
    held = set()                     # pitches whose key is still down
    sustained = set()                # sounding pitches whose key is up but the pedal holds them
    notes = []

    def end(p, t):
        on_s, vel = sounding.pop(p)
        sustained.discard(p)
        notes.append((on_s, t, p, vel))

    # At equal times note-offs come first (as app/midifile.c orders them): a repeated note written
    # as on/off at one tick must not cut the new note.
    events = sorted(events, key=lambda e: (e[0], 0 if e[1] == "off" else 1))
    for t, kind, ch, a, b in events:
        if ch == 9:
            continue
        if kind == "on":
            if a in sounding:
                end(a, t)
            sounding[a] = (t, b)
            held.add(a)
        elif kind == "off":
            if a not in held:
                continue
            held.discard(a)
            if any(pedal.values()):
                sustained.add(a)
            elif a in sounding:
                end(a, t)
        elif kind == "cc" and a == 64:
            was = any(pedal.values())
            pedal[ch] = b >= 64
            if was and not any(pedal.values()):
                for p in sorted(sustained):
                    if p in sounding:
                        end(p, t)
                sustained.clear()
    last = max((e[0] for e in events), default=0.0)
    for p in sorted(sounding):
        end(p, max(last, sounding[p][0]))
    notes.sort()
    return notes


def steps(t_s):
    """Seconds -> 10 ms steps, halves rounded up (as dsp/engines/compose.c; round() would round them to even)."""
    return int(math.floor(t_s / STEP_S + 0.5)) if t_s > 0 else 0


def encode(notes, stretch=1.0):
    """Notes -> token list (without START). stretch > 1 plays slower (tempo augmentation)."""
    evs = []
    for on_s, off_s, p, vel in notes:
        q_on = steps(on_s * stretch)
        q_off = max(steps(off_s * stretch), q_on + 1)
        evs.append((q_on, 1, p, vel))
        evs.append((q_off, 0, p, 0))
    evs.sort()          # (step, off before on, pitch, velocity): the order dsp/engines/compose.c uses
    out, q, vb = [], 0, -1
    for qe, is_on, p, vel in evs:
        while qe > q:
            k = min(qe - q, N_SHIFT)
            out.append(SHIFT + k - 1)
            q += k
        if is_on:
            b = vel_bin(vel)
            if b != vb:
                out.append(VEL + b)
                vb = b
            out.append(ON + p)
        else:
            out.append(OFF + p)
    return out


def decode(tokens, end_s=None):
    """Tokens -> notes [(on_s, off_s, pitch, vel)]. START is ignored; notes still sounding at the
    end are closed at the last time (or end_s)."""
    vel = 64
    sounding, notes = {}, []
    q = 0
    for tok in tokens:
        tok = int(tok)
        if tok < OFF:
            if tok in sounding:                  # struck again while sounding: end it first
                on_s, v = sounding.pop(tok)
                notes.append((on_s, q * STEP_S, tok, v))
            sounding[tok] = (q * STEP_S, vel)
        elif tok < SHIFT:
            p = tok - OFF
            if p in sounding:
                on_s, v = sounding.pop(p)
                notes.append((on_s, q * STEP_S, p, v))
        elif tok < VEL:
            q += tok - SHIFT + 1
        elif tok < START:
            vel = bin_vel(tok - VEL)
    t = q * STEP_S if end_s is None else end_s
    for p, (on_s, v) in sorted(sounding.items()):
        notes.append((on_s, max(t, on_s + STEP_S), p, v))
    notes.sort()
    return notes


def to_midi_events(notes):
    """Notes -> (time_s, kind, ch, a, b) events for train/sashimi/midi.py write()."""
    out = []
    for on_s, off_s, p, v in notes:
        out.append((on_s, "on", 0, p, v))
        out.append((off_s, "off", 0, p, 0))
    return out
