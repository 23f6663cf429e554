#!/usr/bin/python3
"""Spectrograms of one MIDI phrase: the fluidsynth reference beside `statewave synth` with each model.

    /usr/bin/python3 train/instrument/spectrogram.py --mid .devdata_inst48/heldout/violin/PHRASE.mid \
        --models presets/instruments/violin.safetensors out/new/violin.safetensors --png out/spec.png

The reference is the phrase's .wav beside the .mid (build_data.py's 48 kHz held-out render) or, if
there is none, fluidsynth FluidR3_GM at --rate; ours are rendered dry (--reverb 0) at --rate. One panel
per signal, 0 to rate/2, dB re each signal's peak bin (80 dB range); the long-term level above 12 kHz
(relative to the signal's power) is in each title.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import soundfile as sf

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.abspath(os.path.join(HERE, "..")))
from instrument import render as R  # noqa: E402

REPO = os.path.abspath(os.path.join(HERE, "..", ".."))


def spec_db(x, sr, n=2048):
    w = np.hanning(n)
    fr = [x[i:i + n] * w for i in range(0, len(x) - n, n // 4)]
    S = np.abs(np.fft.rfft(np.array(fr), axis=1)) ** 2
    return 10 * np.log10(S.T + 1e-20), np.fft.rfftfreq(n, 1.0 / sr), len(x) / sr


def above(x, sr, hz=12000.0):
    X = np.abs(np.fft.rfft(x * np.hanning(len(x)))) ** 2
    f = np.fft.rfftfreq(len(x), 1.0 / sr)
    return 10 * np.log10(X[f >= hz].sum() / (X.sum() + 1e-30) + 1e-30)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mid", required=True)
    ap.add_argument("--models", nargs="+", required=True)
    ap.add_argument("--labels", nargs="*", default=None)
    ap.add_argument("--statewave", default=os.path.join(REPO, "build", "statewave"))
    ap.add_argument("--rate", type=int, default=48000)
    ap.add_argument("--png", required=True)
    args = ap.parse_args()
    sigs = []
    wav = args.mid[:-4] + ".wav"
    if os.path.exists(wav):
        x, sr = sf.read(wav, dtype="float32")
        assert sr == args.rate, "reference %s is %d Hz" % (wav, sr)
    else:
        x = R.render_midi(args.mid, args.rate, 0.5)
    sigs.append(("FluidR3_GM (reference)", x if x.ndim == 1 else x.mean(1)))
    labels = args.labels or [os.path.relpath(m) for m in args.models]
    with tempfile.TemporaryDirectory() as td:
        for lab, m in zip(labels, args.models):
            out = os.path.join(td, "o.wav")
            subprocess.run([args.statewave, "synth", "-q", "-m", m, "-r", str(args.rate), "--reverb", "0",
                            "-o", out, args.mid], check=True, stdout=subprocess.DEVNULL)
            y, _ = sf.read(out, dtype="float32")
            sigs.append((lab, y if y.ndim == 1 else y[:, 0]))
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(len(sigs), 1, figsize=(9, 2.6 * len(sigs)), sharex=True)
    for ax, (lab, x) in zip(np.atleast_1d(axes), sigs):
        S, f, dur = spec_db(x.astype(np.float64), args.rate)
        top = S.max()
        ax.imshow(S, origin="lower", aspect="auto", extent=(0, dur, 0, f[-1] / 1000), vmin=top - 80, vmax=top,
                  cmap="magma")
        ax.axhline(12, color="w", lw=0.5, ls=":")
        ax.set_ylabel("kHz")
        ax.set_title("%s: level above 12 kHz %.0f dB" % (lab, above(x.astype(np.float64), args.rate)), fontsize=9)
    np.atleast_1d(axes)[-1].set_xlabel("s")
    fig.suptitle(os.path.basename(args.mid), fontsize=9)
    fig.tight_layout()
    fig.savefig(args.png, dpi=90)
    print("wrote", args.png)


if __name__ == "__main__":
    main()
