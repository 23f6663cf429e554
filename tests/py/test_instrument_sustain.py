#!/usr/bin/python3
"""Held notes: every shipped timbre holds a 60 s note (issue 12's first ask), through the C engine.

For each timbre in presets/instruments and three notes across its range (train/instrument/sustain.py:
low, middle, high), one MIDI file holds the note alone for 60 s at velocity 100; `statewave synth`
renders it at 48 kHz. The level (RMS in 50 ms windows) must stay within 3 dB of the note's level at
0.5 s for the whole minute. A note listed in KNOWN below is a measured, documented failure (README
"Held notes over a minute"): it must not get worse than the bounds written there, so a regression
still fails, and a known failure that starts to pass is reported so the list can shrink.
"""
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "train"))
from instrument import render as R  # noqa: E402
from instrument import sustain as S  # noqa: E402

SECONDS = 60.0
LIMIT = S.LIMIT_DB
# (timbre, note): (lowest allowed drift, highest allowed drift) in dB, for measured failures: the
# drift measured at the shipped models as a user hears them (the timbre's own vibrato on; README
# table) widened by 2 dB. The flute's top note dips by 11 dB for a few seconds; the violin's low
# note rises by 7 dB (its FluidR3_GM reference by 4); the cello's top note settles 8 dB below its
# attack; the vibrato's own level swing takes flute 60/76 and violin 75/96 past 3 dB.
KNOWN = {
    ("violin", 55): (-3.0, 9.3),
    ("violin", 75): (-5.6, 4.0),
    ("violin", 96): (-4.2, 6.0),
    ("flute", 60): (-3.9, 5.8),
    ("flute", 76): (-6.1, 6.4),
    ("flute", 93): (-13.1, 3.9),
    ("cello", 54): (-3.0, 6.6),
    ("cello", 72): (-9.9, 3.5),
}


def main():
    sw = os.path.join(REPO, os.environ.get("BUILD", "build"), "statewave")
    models = os.path.join(REPO, "presets", "instruments")
    t0 = time.time()
    failed, passed = [], 0
    with tempfile.TemporaryDirectory() as td:
        for f in sorted(os.listdir(models)):
            if not f.endswith(".safetensors"):
                continue
            timbre = f[:-len(".safetensors")]
            lo, hi = S.RANGES.get(timbre, (48, 72))
            for note in (lo, (lo + hi) // 2, hi):
                mid = os.path.join(td, "n.mid")
                R.write_midi({"notes": [(0.0, SECONDS, note, 100)], "bends": []},
                             R.TIMBRES.get(timbre, (0,))[0], mid)
                x = S.render_ours(sw, os.path.join(models, f), mid, os.path.join(td, "o.wav"))
                lo_db, hi_db, first, _, end = S.drift(S.envelope_db(x, S.SR), SECONDS)
                bounds = KNOWN.get((timbre, note))
                ok = -LIMIT <= lo_db and hi_db <= LIMIT
                what = "%-10s note %3d: %+7.1f .. %+5.1f dB over %.0f s (end %+.1f)" % (
                    timbre, note, lo_db, hi_db, SECONDS, end)
                if bounds is None:
                    print("%s  %s (limit +-%.0f dB)" % ("ok  " if ok else "FAIL", what, LIMIT))
                    if not ok:
                        failed.append(what)
                    else:
                        passed += 1
                else:
                    within = bounds[0] <= lo_db and hi_db <= bounds[1]
                    print("%s  %s (known failure, bounds %+.0f .. %+.0f dB)%s" % (
                        "ok  " if within else "FAIL", what, bounds[0], bounds[1],
                        "  -- now within +-3 dB: drop it from KNOWN" if ok else ""))
                    if not within:
                        failed.append(what + " (worse than its known bounds)")
    print("test_instrument_sustain: %d notes held within %.0f dB, %d known failures, %d failed (%.0f s)" % (
        passed, LIMIT, len(KNOWN), len(failed), time.time() - t0))
    if failed:
        print("FAIL:\n  " + "\n  ".join(failed))
        sys.exit(1)


if __name__ == "__main__":
    main()
