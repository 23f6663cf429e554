#!/usr/bin/python3
"""README figures of the denoiser on real wideband speech (../shared/data/devset-wb).

    /usr/bin/python3 train/figures/denoise_spectrograms.py [--out DIR] [--clip 006] [--model M] [--before B]

Writes into DIR (default build/figures; copy to docs/img/ to publish):
  denoise_spectrograms.png  one noisy devset-wb clip: spectrograms of clean / noisy / RNNoise v0.1.1 /
                            RNNoise 0.2 / statewave, 0-12 kHz, one colour scale (dB re the loudest
                            clean bin), aligned to the clean reference as the scorer aligns them
  denoise_band_levels.png   the devset-wb band-level medians (README "Band-level measure") of noisy,
                            RNNoise v0.1.1, RNNoise 0.2 and statewave, over all 48 clips and over the
                            32 clips at SNR >= 5 dB, with the +-1.5 dB band of the issue-11 check
statewave is run here (build/statewave denoise --model M) on the clip and on all 48 noisy files;
with --before B (an earlier model file, e.g. the v1 model from git history) a "statewave, before" row
is added to both figures;
the RNNoise rows are the set's shipped files (RNNoise 0.2: bit-identical to ours, train/anchors/).
Needs matplotlib (Debian python3-matplotlib).
"""

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))
import metrics as M  # noqa: E402  (train/metrics.py)

DEVSET_WB = os.path.join(REPO, "..", "shared", "data", "devset-wb")
FS = 48000
ROWS = (("clean", "clean speech (reference)"), ("noisy", "noisy input"), ("rnnoise", "RNNoise v0.1.1"),
        ("rnnoise_v0.2", "RNNoise 0.2"), ("statewave", "statewave"))
NFFT, HOP = 1024, 256       # 21.3 ms window, 5.3 ms hop at 48 kHz
FMAX = 12000.0              # Hz shown
RANGE_DB = 80.0             # colour scale: 0 to -80 dB re the loudest clean bin


def manifest():
    with open(os.path.join(DEVSET_WB, "MANIFEST.tsv"), encoding="utf-8") as f:
        rows = [ln.rstrip("\n").split("\t") for ln in f if ln.strip() and not ln.startswith("#")]
    return {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}


def run_statewave(app, model, inputs, outdir):
    """build/statewave denoise on every input (one process, outputs named NNN_sw.wav in outdir)."""
    cmd = [app, "denoise", "-q", "--model", model, "-f", "wav", "-s", "_sw", "-o", outdir + "/"] + inputs
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise SystemExit(f"denoise_spectrograms: {' '.join(cmd[:6])} ... failed: {p.stderr.strip()[-1000:]}")
    return {os.path.basename(i).split(".")[0]: os.path.join(outdir, os.path.basename(i).split(".")[0] + "_sw.wav")
            for i in inputs}


def spectrogram_db(x):
    w = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(NFFT) / NFFT)
    x = np.concatenate([np.zeros(NFFT // 2), x, np.zeros(NFFT)])
    idx = np.arange(0, len(x) - NFFT, HOP)[:, None] + np.arange(NFFT)
    p = np.abs(np.fft.rfft(x[idx] * w, axis=1)) ** 2
    return 10 * np.log10(p + 1e-20)


def figure_spectrograms(plt, clip, sig, meta, path, rows):
    specs = {k: spectrogram_db(v) for k, v in sig.items()}
    ref = specs["clean"].max()
    f = np.fft.rfftfreq(NFFT, 1 / FS)
    keep = f <= FMAX
    t_end = len(sig["clean"]) / FS
    fig, axes = plt.subplots(len(rows), 1, figsize=(9, 2.2 * len(rows)), sharex=True, constrained_layout=True)
    for ax, (key, label) in zip(axes, rows):
        im = ax.imshow((specs[key][:, keep] - ref).T, origin="lower", aspect="auto", cmap="magma",
                       vmin=-RANGE_DB, vmax=0, extent=(0, t_end, 0, f[keep][-1] / 1000), interpolation="nearest")
        ax.set_ylabel("kHz")
        ax.set_yticks([0, 2, 4, 6, 8, 10, 12])
        ax.set_title(label, loc="left", fontsize=10)
    axes[-1].set_xlabel("time (s)")
    fig.colorbar(im, ax=axes, shrink=0.6, label=f"dB re loudest clean bin")
    fig.suptitle(f"devset-wb clip {clip}: {meta['noise_class']} noise at {meta['snr_db']} dB SNR, speaker "
                 f"{meta['speaker']} ({meta['gender']}, {meta['age']})", fontsize=11)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def band_medians(ours):
    """{system: {"all": [5], "snr>=5": [5]}} over the 48 devset-wb clips; ours = {row: {clip: path}}."""
    meta = manifest()
    per = {}
    for cid in sorted(meta):
        x, _ = M.read_audio(os.path.join(DEVSET_WB, "clean", cid + ".flac"))
        for name in ("noisy", "rnnoise", "rnnoise_v0.2") + tuple(ours):
            p = ours[name][cid] if name in ours else os.path.join(DEVSET_WB, name, cid + ".flac")
            y, fy = M.read_audio(p)
            _, y, _ = M.prepare(x, FS, y, fy)
            per.setdefault(name, {})[cid] = M.band_level_diff(x, y, FS)
    hi = [c for c in meta if float(meta[c]["snr_db"]) >= 5]
    return {n: {"all": np.median([v[c] for c in meta], axis=0),
                "snr>=5": np.median([v[c] for c in hi], axis=0)} for n, v in per.items()}, len(meta), len(hi)


def figure_bands(plt, med, n_all, n_hi, path):
    names = [("noisy", "noisy input", "#9e9e9e"), ("rnnoise", "RNNoise v0.1.1", "#6baed6"),
             ("rnnoise_v0.2", "RNNoise 0.2", "#2171b5")]
    if "statewave_before" in med:
        names.append(("statewave_before", "statewave, before", "#fdae6b"))
    names.append(("statewave", "statewave", "#e6550d"))
    ylo, yhi = -12.0, 4.0
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True, constrained_layout=True)
    xb = np.arange(len(M.BAND_NAMES))
    width = 0.8 / len(names)
    for ax, (key, title) in zip(axes, (("all", f"all {n_all} clips"), ("snr>=5", f"SNR >= 5 dB ({n_hi} clips)"))):
        ax.axhspan(-1.5, 1.5, color="#e5f5e0", zorder=0, label="within 1.5 dB")
        ax.axhline(0, color="black", lw=0.8)
        for k, (n, label, col) in enumerate(names):
            v = med[n][key]
            xs = xb + (k - (len(names) - 1) / 2) * width
            ax.bar(xs, np.clip(v, ylo, yhi), width, color=col, label=label, zorder=2)
            for xi, vi in zip(xs, v):
                if vi < ylo:  # off the scale: print the value at the bottom
                    ax.text(xi, ylo + 0.3, f"{vi:.0f}", ha="center", va="bottom", fontsize=7, rotation=90,
                            color="white", zorder=3)
        ax.set_xticks(xb, M.BAND_NAMES)
        ax.set_ylim(ylo, yhi)
        ax.set_title(title, fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("median output - clean level (dB)")
    axes[1].legend(loc="lower left", fontsize=8)
    fig.suptitle("devset-wb band levels over speech frames (0 = speech kept; below = speech removed)", fontsize=11)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join(REPO, "build", "figures"))
    ap.add_argument("--clip", default="006", help="devset-wb clip id for the spectrograms (default 006)")
    ap.add_argument("--model", default=os.path.join(REPO, "presets", "denoise.safetensors"))
    ap.add_argument("--app", default=os.path.join(REPO, "build", "statewave"))
    ap.add_argument("--before", default=None, help="an earlier model file, shown as 'statewave, before'")
    a = ap.parse_args(argv)
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise SystemExit("denoise_spectrograms: matplotlib missing (Debian package python3-matplotlib)")
    for p in (a.app, a.model) + ((a.before,) if a.before else ()):
        if not os.path.isfile(p):
            raise SystemExit(f"denoise_spectrograms: {p} missing (run `make` first)")
    meta = manifest()
    if a.clip not in meta:
        raise SystemExit(f"denoise_spectrograms: no clip {a.clip} in devset-wb")
    os.makedirs(a.out, exist_ok=True)
    with tempfile.TemporaryDirectory() as d:
        noisy = [os.path.join(DEVSET_WB, "noisy", c + ".flac") for c in sorted(meta)]
        ours = {"statewave": run_statewave(a.app, a.model, noisy, d)}
        rows = list(ROWS)
        if a.before:
            os.makedirs(os.path.join(d, "before"))
            ours["statewave_before"] = run_statewave(a.app, a.before, noisy, os.path.join(d, "before"))
            rows.insert(len(rows) - 1, ("statewave_before", "statewave, before (v1 model)"))
            rows[-1] = ("statewave", "statewave (this model)")
        x, _ = M.read_audio(os.path.join(DEVSET_WB, "clean", a.clip + ".flac"))
        sig = {"clean": x}
        for key, _ in rows[1:]:
            p = ours[key][a.clip] if key in ours else os.path.join(DEVSET_WB, key, a.clip + ".flac")
            y, fy = M.read_audio(p)
            sig[key] = M.prepare(x, FS, y, fy)[1]
        spath = os.path.join(a.out, "denoise_spectrograms.png")
        figure_spectrograms(plt, a.clip, sig, meta[a.clip], spath, rows)
        med, n_all, n_hi = band_medians(ours)
    bpath = os.path.join(a.out, "denoise_band_levels.png")
    figure_bands(plt, med, n_all, n_hi, bpath)
    print(f"wrote {spath}\nwrote {bpath}")
    print("band-level medians (dB, 0-1 ... 6-8 kHz):")
    for n, v in med.items():
        print(f"  {n:<16} all " + " ".join(f"{x:+.1f}" for x in v["all"])
              + "   SNR>=5 " + " ".join(f"{x:+.1f}" for x in v["snr>=5"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
