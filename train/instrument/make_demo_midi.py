#!/usr/bin/python3
"""Write presets/demo/instrument_demo.mid: a short original tune (MIT, like the code) for `make demo`.

Melody over two-voice chords (up to 3 notes at once, so polyphony is heard), legato and detached notes,
a range of velocities, a pitch-bend vibrato on the last long note (bend range set with RPN 0 to
±2 semitones) and the sustain pedal over the final chord. 100 bpm, 480 ticks per beat.

    /usr/bin/python3 train/instrument/make_demo_midi.py presets/demo/instrument_demo.mid
"""
import math
import sys

import mido

TPB = 480
# (beat, length in beats, MIDI note, velocity): melody in D major
MELODY = [(0, 1, 74, 80), (1, 0.5, 76, 70), (1.5, 0.5, 78, 75), (2, 1, 79, 90), (3, 1, 78, 70),
          (4, 1.5, 76, 85), (5.5, 0.5, 74, 60), (6, 2, 73, 75),
          (8, 0.5, 71, 65), (8.5, 0.5, 73, 70), (9, 0.5, 74, 80), (9.5, 0.5, 76, 85), (10, 1, 78, 100),
          (11, 1, 81, 110), (12, 1.5, 79, 95), (13.5, 0.5, 78, 70), (14, 0.5, 76, 65), (14.5, 0.5, 73, 60),
          (15, 1, 74, 80), (16, 4, 74, 90)]
CHORDS = [(0, 4, (50, 57)), (4, 4, (45, 52)), (8, 4, (47, 54)), (12, 4, (43, 55)), (16, 4, (50, 57))]


def main(path):
    events = []                                    # (tick, order, message)
    for beat, length, note, vel in MELODY:
        on, off = int(beat * TPB), int((beat + length) * TPB) - 10
        events += [(on, 1, mido.Message("note_on", note=note, velocity=vel)),
                   (off, 0, mido.Message("note_off", note=note, velocity=0))]
    for beat, length, notes in CHORDS:
        for n in notes:
            events += [(int(beat * TPB), 1, mido.Message("note_on", note=n, velocity=55)),
                       (int((beat + length) * TPB) - 20, 0, mido.Message("note_off", note=n, velocity=0))]
    # vibrato (5.5 Hz, ±30 cents) on the last note, growing in after one beat
    t0, t1 = 17 * TPB, 20 * TPB
    sec_per_tick = 60.0 / 100 / TPB
    for tick in range(t0, t1, 12):
        depth = min(1.0, (tick - t0) / TPB) * 0.30
        semis = depth * math.sin(2 * math.pi * 5.5 * (tick - t0) * sec_per_tick)
        events.append((tick, 2, mido.Message("pitchwheel", pitch=int(round(semis / 2.0 * 8191)))))
    events.append((t1, 2, mido.Message("pitchwheel", pitch=0)))
    # sustain over the final chord: pedal down after its onset, up after the release
    events += [(16 * TPB + 60, 2, mido.Message("control_change", control=64, value=127)),
               (21 * TPB, 0, mido.Message("control_change", control=64, value=0))]
    mid = mido.MidiFile(ticks_per_beat=TPB)
    tr = mido.MidiTrack()
    mid.tracks.append(tr)
    tr.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(100), time=0))
    for c, v in ((101, 0), (100, 0), (6, 2), (38, 0)):              # RPN 0: bend range ±2 semitones
        tr.append(mido.Message("control_change", control=c, value=v, time=0))
    last = 0
    for tick, _, msg in sorted(events, key=lambda e: (e[0], e[1])):
        tr.append(msg.copy(time=tick - last))
        last = tick
    tr.append(mido.MetaMessage("end_of_track", time=TPB))
    mid.save(path)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "presets/demo/instrument_demo.mid")
