#!/usr/bin/python3
"""Timbre transfer on speech and singing: how often does the played pitch slip an octave?

    /usr/bin/python3 train/instrument/tracking.py [--statewave build/statewave] [--timbre violin]
        [--json out/tracking.json]

Inputs: six real speech utterances (speechocean762: four adults, two women and two men, and two
children; wideband takes) and three real singing recordings (sms-tools: singing-female, soprano-E4, vignesh). Each goes
through `statewave transfer --reverb 0`; YIN (train/instrument/features.py, 250 frames/s) analyses
the input and the output. The reference pitch is the input's YIN pitch median-filtered over its
voiced frames (51 of them, about 0.2 s of voice, non-causal: what the transfer could know in
hindsight), so that a YIN slip of a few dozen ms does not move it. On frames voiced in both, with d = output pitch - reference pitch (semitones):
- octave frames: | |d| - 12 | < 2 (an octave, give or take a third), as a share of those frames;
- glitches: runs of octave frames (each is a slip a listener hears), per input.
The output's timing is the input's (statewave transfer compensates its latency).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import soundfile as sf
from scipy.ndimage import median_filter

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from instrument import features as FE  # noqa: E402

REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
DATA = os.path.join(REPO, "..", "shared", "data")
SPEECH = ["speech/speechocean762/0024/000240010.opus", "speech/speechocean762/0036/000360013.opus",
          "speech/speechocean762/0461/004610037.opus", "speech/speechocean762/0482/004820005.opus",
          "speech/speechocean762/0001/000010035.opus", "speech/speechocean762/0006/000060015.opus"]
SINGING = ["instruments/sms-tools/singing-female.wav", "instruments/sms-tools/soprano-E4.wav",
           "instruments/sms-tools/vignesh.wav"]
FRAME_RATE = 250.0
REF_FRAMES = 51


def pitch(x, sr):
    n = int(len(x) * FRAME_RATE / sr)
    f0, voiced = FE.yin(x, sr, n)
    return FE.hz_to_semitones(f0), voiced


def measure(x, sr, y, sr_y):
    p_in, v_in = pitch(x, sr)
    p_out, v_out = pitch(y, sr_y)
    n = min(len(p_in), len(p_out))
    p_in, v_in, p_out, v_out = p_in[:n], v_in[:n], p_out[:n], v_out[:n]
    # the reference: a running median over the input's voiced frames only (51 of them, ~0.2 s of
    # voice), long enough that a slip of YIN's lasting a few dozen ms cannot carry it
    ref = np.full(n, np.nan)
    idx = np.nonzero(v_in)[0]
    if len(idx):
        ref[idx] = median_filter(p_in[idx], size=REF_FRAMES, mode="nearest")
    both = v_in & v_out
    d = p_out - ref
    octave = both & (np.abs(np.abs(d) - 12.0) < 2.0)
    # glitches: runs of octave frames among the frames voiced in both
    seq = octave[both]
    glitches = int(np.sum(seq[1:] & ~seq[:-1]) + (1 if len(seq) and seq[0] else 0))
    yin_octave = v_in & (np.abs(np.abs(p_in - ref) - 12.0) < 2.0)
    return {"frames": int(both.sum()), "octave_share": float(octave.sum() / max(1, both.sum())),
            "input_yin_octave_share": float(yin_octave.sum() / max(1, v_in.sum())),
            "glitches": glitches,
            "seconds": n / FRAME_RATE}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--statewave", default=os.path.join(REPO, "build", "statewave"))
    ap.add_argument("--timbre", default="violin")
    ap.add_argument("--json", default=os.path.join(REPO, "out", "tracking.json"))
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as td:
        for kind, files in (("speech", SPEECH), ("singing", SINGING)):
            for rel in files:
                path = os.path.join(DATA, rel)
                x, sr = sf.read(path, dtype="float32", always_2d=True)
                x = x.mean(axis=1)
                out = os.path.join(td, "y.wav")
                subprocess.run([args.statewave, "transfer", "-q", "--timbre", args.timbre, "--reverb", "0",
                                "-o", out, path], check=True)
                y, sr_y = sf.read(out, dtype="float32", always_2d=True)
                r = measure(x, sr, y.mean(axis=1), sr_y)
                r.update(kind=kind, file=rel)
                rows.append(r)
                print("%-8s %-44s %5.1f s  octave frames %5.1f %% (input YIN %4.1f %%)  glitches %3d" % (
                    kind, rel, r["seconds"], 100 * r["octave_share"], 100 * r["input_yin_octave_share"],
                    r["glitches"]),
                    flush=True)
    for kind in ("speech", "singing"):
        rs = [r for r in rows if r["kind"] == kind]
        print("%s: octave frames median %.1f %% (max %.1f %%), glitches median %d (max %d) per input" % (
            kind, 100 * np.median([r["octave_share"] for r in rs]), 100 * max(r["octave_share"] for r in rs),
            int(np.median([r["glitches"] for r in rs])), max(r["glitches"] for r in rs)))
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump({"timbre": args.timbre, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
