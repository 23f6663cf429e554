#!/usr/bin/python3
"""Expression of the shipped timbres (issue 12): vibrato, mod wheel, attacks and releases.

train/instrument/expression.py renders three notes per timbre (4 s, velocity 100, then released;
mod wheel at 0 and at 127) through the C engine, dry, beside the FluidR3_GM reference, and
measures them. Asserted, per timbre:
- the vibrato with the mod wheel down is the reference's (rate within 15 %, deviation within
  30 % + 1 cent: it was measured from the reference and written into the model file), and the
  mod wheel up brings a deviation of 20-35 cents (40 cents peak) at the same rate;
- attack (note-on to -20 dB of the steady level) and release (note-off to -40 dB) within a factor
  of 2 of the reference's, as the median over the notes of ours / reference, except what KNOWN
  lists: measured failures (README, "Attacks and releases"), bounded at their measured ratio
  + 0.3 so that they cannot get worse, and reported if they start to pass;
- for a timbre trained at 44.1 kHz or more (task_params.sample_rate), the full band: the level above
  12 kHz of its held notes (long-term spectrum relative to the note's power, median over the notes,
  mod wheel down) within 10 dB of the reference's (issue 12, item 4).
"""
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "train"))
from instrument import expression as E  # noqa: E402
from instrument import render as R  # noqa: E402

# (timbre, measure): highest allowed ratio, for measured failures
KNOWN = {("cello", "attack"): 2.86}


def main():
    sw = os.path.join(REPO, os.environ.get("BUILD", "build"), "statewave")
    models = os.path.join(REPO, "presets", "instruments")
    t0 = time.time()
    failed, passed = [], 0

    def check(ok, what):
        nonlocal passed
        print("%s %s" % ("ok  " if ok else "FAIL", what))
        if ok:
            passed += 1
        else:
            failed.append(what)

    with tempfile.TemporaryDirectory() as td:
        for f in sorted(os.listdir(models)):
            t = f[:-len(".safetensors")]
            if not f.endswith(".safetensors") or t not in R.TIMBRES:
                continue
            rows = E.measure_timbre(sw, os.path.join(models, f), t, td)
            ours0 = [r for r in rows if r["system"] == "statewave" and r["cc1"] == 0]
            ours1 = [r for r in rows if r["system"] == "statewave" and r["cc1"] == 127]
            refs0 = [r for r in rows if r["system"] != "statewave" and r["cc1"] == 0]
            r_o, d_o = E.median(ours0, "vib_rate_hz"), E.median(ours0, "vib_depth_cents")
            r_r, d_r = E.median(refs0, "vib_rate_hz"), E.median(refs0, "vib_depth_cents")
            check(r_o is not None and r_r is not None and abs(r_o - r_r) <= 0.15 * r_r and
                  abs(d_o - d_r) <= 0.3 * d_r + 1.0,
                  "%s: own vibrato %.2f Hz / %.1f cents, reference %.2f Hz / %.1f cents" % (t, r_o or -1, d_o, r_r or -1, d_r))
            r_w, d_w = E.median(ours1, "vib_rate_hz"), E.median(ours1, "vib_depth_cents")
            check(20.0 <= d_w <= 35.0 and r_w is not None and r_o is not None and abs(r_w - r_o) <= 0.15 * r_o,
                  "%s: mod wheel up: vibrato %.2f Hz / %.1f cents (20-35 cents)" % (t, r_w or -1, d_w))
            sr_t = int(E.task_params(os.path.join(models, f)).get("sample_rate", 24000))
            if sr_t >= 44100:
                h_o, h_r = E.median(ours0, "above_12k_db"), E.median(refs0, "above_12k_db")
                check(abs(h_o - h_r) <= 10.0, "%s (trained at %d Hz): level above 12 kHz %.1f dB, reference %.1f dB "
                      "(within 10 dB)" % (t, sr_t, h_o, h_r))
            for m in ("attack", "release"):
                q = E.median(ours0, m + "_ratio")
                bound = KNOWN.get((t, m))
                if bound is None:
                    check(q is not None and 0.5 <= q <= 2.0, "%s: %s %.2f x the reference's (0.5-2)" % (t, m, q or -1))
                else:
                    check(q is not None and q <= bound, "%s: %s %.2f x the reference's (known failure, bound %.2f)"
                          % (t, m, q or -1, bound))
                    if q is not None and 0.5 <= q <= 2.0:
                        print("NOTE %s %s now within 2x: drop it from KNOWN" % (t, m))
    print("test_instrument_expression: %d passed, %d failed (%.0f s)" % (passed, len(failed), time.time() - t0))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
