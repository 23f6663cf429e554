#!/usr/bin/python3
"""Expression of single notes: vibrato (with and without the mod wheel), attack and release times.

    /usr/bin/python3 train/instrument/expression.py [--statewave build/statewave] \
        [--models presets/instruments] [--json out/expression.json] [--timbres violin,flute]
    /usr/bin/python3 train/instrument/expression.py --set-vibrato [--models presets/instruments]
    /usr/bin/python3 train/instrument/expression.py --set-gain -24 [--models presets/instruments]

For every timbre in --models and three notes across its range (train/instrument/sustain.py's low,
middle, high), one MIDI file plays the note alone at velocity 100 for 4 s, then releases it; once
with the mod wheel (CC1) at 0 and once at 127. `statewave synth` renders it dry (--reverb 0) at
48 kHz, and for the
General MIDI timbres fluidsynth renders the same file with FluidR3_GM (the training reference, whose
default modulators also map CC1 to a vibrato) beside it. Measured, as a listener hears them:

- vibrato: the f0 (YIN, 250 frames/s) over 1.0-3.8 s in cents, a quadratic trend removed; depth =
  the standard deviation of what is left (cents), rate = the strongest frequency of it in 3-9 Hz,
  reported only where that band holds at least half the deviation's power (else the wobble is not
  a vibrato, and the rate is None);
- attack: from note-on until the level (RMS of 2 ms windows, every 0.5 ms) first comes within 20 dB
  of the note's steady level (median level over 0.3-3.5 s);
- release: from note-off until the level first falls 40 dB below its level in the 0.2 s before it;
- the long-term spectrum of the held part (1.0-3.5 s), relative to the note's power: the level above
  12 kHz, and the noise floor between the harmonics in seven bands from 0.5 to 20 kHz.

Prints one row per timbre (medians over its notes; the ratios are ours over the reference's, note
by note, then the median) and writes every note's numbers to --json.
"""
import argparse
import json
import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from instrument import features as FE  # noqa: E402
from instrument import render as R  # noqa: E402
from instrument import sustain as S  # noqa: E402

REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
SR = S.SR
FRAME_RATE = 250.0           # f0 frames per second (the instrument's control rate)
ON_S, OFF_S = 0.0, 4.0       # the note
VIB_WIN = (1.0, 3.8)         # s: where vibrato is measured (after any delayed onset)
STEADY_WIN = (0.3, 3.5)      # s: the note's steady level
ENV_WIN_S, ENV_HOP_S = 0.002, 0.0005
ATTACK_DB, RELEASE_DB = 20.0, 40.0
DRY = ("--reverb", "0")      # the reference renders dry; `statewave synth` adds a room by default


def fine_envelope_db(x, sr):
    """Level (dB) of ENV_WIN_S windows every ENV_HOP_S; frame j covers [j*hop, j*hop + win)."""
    w, h = int(round(ENV_WIN_S * sr)), int(round(ENV_HOP_S * sr))
    c = np.concatenate([[0.0], np.cumsum(x.astype(np.float64) ** 2)])
    starts = np.arange(0, len(x) - w, h)
    return 10.0 * np.log10((c[starts + w] - c[starts]) / w + 1e-14), (starts + w) / sr


def attack_release(x, sr):
    """(attack_ms, release_ms): see the module's docstring. None where the level never gets there."""
    env, t = fine_envelope_db(x, sr)
    steady = float(np.median(env[(t >= STEADY_WIN[0]) & (t <= STEADY_WIN[1])]))
    after_on = np.nonzero((t >= ON_S) & (env >= steady - ATTACK_DB))[0]
    attack = 1000.0 * (t[after_on[0]] - ON_S) if len(after_on) else None
    before = float(10.0 * np.log10(np.mean(10.0 ** (env[(t > OFF_S - 0.2) & (t <= OFF_S)] / 10.0))))
    after_off = np.nonzero((t > OFF_S) & (env <= before - RELEASE_DB))[0]
    release = 1000.0 * (t[after_off[0]] - OFF_S) if len(after_off) else None
    return attack, release, steady


def vibrato(x, sr):
    """(rate_hz or None, depth_cents): see the module's docstring."""
    n_frames = int(len(x) * FRAME_RATE / sr)
    f0, voiced = FE.yin(x, sr, n_frames)
    t = np.arange(n_frames) / FRAME_RATE
    sel = (t >= VIB_WIN[0]) & (t <= VIB_WIN[1]) & voiced
    if sel.sum() < 100:
        return None, None
    c = 1200.0 * np.log2(f0[sel] / 440.0)
    ts = t[sel]
    c = c - np.polyval(np.polyfit(ts, c, 2), ts)
    depth = float(np.std(c))
    spec = np.abs(np.fft.rfft(c * np.hanning(len(c)), n=8192)) ** 2
    fr = np.fft.rfftfreq(8192, 1 / FRAME_RATE)
    band = (fr >= 3.0) & (fr <= 9.0)
    total = spec[(fr > 0.5)].sum()
    rate = float(fr[band][np.argmax(spec[band])]) if total > 0 and spec[band].sum() >= 0.5 * total else None
    return rate, depth


def curves(x, sr):
    """For the picture: f0 deviation (cents re 440 Hz x 2^k, the note's median removed) at 250 Hz, and
    the fine level envelope (dB re the steady level) with its times."""
    n_frames = int(len(x) * FRAME_RATE / sr)
    f0, voiced = FE.yin(x, sr, n_frames)
    c = 1200.0 * np.log2(f0 / 440.0)
    c = np.where(voiced, c - np.median(c[voiced]) if voiced.any() else c, np.nan)
    env, t = fine_envelope_db(x, sr)
    steady = float(np.median(env[(t >= STEADY_WIN[0]) & (t <= STEADY_WIN[1])]))
    return np.arange(n_frames) / FRAME_RATE, c, t, env - steady


def picture(path, pics, timbres):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(3, len(timbres), figsize=(3.4 * len(timbres), 7.2), squeeze=False)
    for j, t in enumerate(timbres):
        for (sysname, cc1), (tf, c, te, env) in sorted(pics[t].items()):
            ours = sysname == "statewave"
            style = dict(lw=0.9, color="C0" if ours and cc1 == 0 else "C1" if ours else "0.35",
                         ls="-" if ours else ":")
            label = ("ours" if ours else "FluidR3_GM") + (", mod wheel 127" if cc1 else "")
            ax[0][j].plot(tf, c, label=label, **style)
            if cc1 == 0:
                ax[1][j].plot(1000 * te, env, label=label, **style)
                ax[2][j].plot(1000 * (te - OFF_S), env, label=label, **style)
        ax[0][j].set_xlim(0, 4.2)
        ax[0][j].set_ylim(-60, 60)
        ax[0][j].set_title(t)
        ax[0][j].set_xlabel("s")
        ax[1][j].set_xlim(0, 60)
        ax[1][j].set_ylim(-60, 5)
        ax[1][j].axhline(-ATTACK_DB, color="0.8", lw=0.8)
        ax[1][j].set_xlabel("ms after note-on")
        ax[2][j].set_xlim(-50, 600)
        ax[2][j].set_ylim(-70, 5)
        ax[2][j].set_xlabel("ms after note-off")
        ax[0][j].legend(fontsize=6, loc="lower left")
    ax[0][0].set_ylabel("f0 deviation (cents)")
    ax[1][0].set_ylabel("attack: level vs steady (dB)")
    ax[2][0].set_ylabel("release: level vs steady (dB)")
    fig.suptitle("middle note of each timbre, velocity 100, dry: vibrato (top), attack, release", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print("wrote", path)


BANDS = ((500, 1000), (1000, 2000), (2000, 4000), (4000, 8000), (8000, 12000), (12000, 16000), (16000, 20000))


def spectrum_measures(x, sr, note):
    """Long-term spectrum of the held part (1.0-3.5 s; Hann, 8192 points, 50 % overlap), relative to
    the note's total power: the level above 12 kHz (dB), and per band in BANDS the noise floor
    between the harmonics (median power of the bins farther than f0/4 from every harmonic, dB)."""
    seg = x[int(1.0 * sr):int(3.5 * sr)].astype(np.float64)
    n = 8192
    w = np.hanning(n)
    frames = [seg[i:i + n] * w for i in range(0, len(seg) - n, n // 2)]
    P = np.mean([np.abs(np.fft.rfft(f)) ** 2 for f in frames], axis=0)
    fr = np.fft.rfftfreq(n, 1.0 / sr)
    total = P.sum() + 1e-30
    hf = 10.0 * np.log10(P[fr >= 12000].sum() / total + 1e-30)
    f0 = 440.0 * 2.0 ** ((note - 69) / 12.0)
    dist = np.abs(fr / f0 - np.round(fr / f0)) * f0          # Hz to the nearest harmonic
    floors = []
    for lo, hi in BANDS:
        sel = (fr >= lo) & (fr < hi) & (dist > f0 / 4)
        floors.append(float(10.0 * np.log10(np.median(P[sel]) / total + 1e-30)) if sel.any() else None)
    return hf, floors


def phrase(note, cc1):
    return {"notes": [(ON_S, OFF_S, note, 100)], "bends": [], "controls": [(0.0, 1, cc1)]}


def measure(x, note=None):
    rate, depth = vibrato(x, SR)
    attack, release, steady = attack_release(x, SR)
    r = {"vib_rate_hz": rate, "vib_depth_cents": depth, "attack_ms": attack, "release_ms": release,
         "steady_db": steady}
    if note is not None:
        r["above_12k_db"], r["floor_db"] = spectrum_measures(x, SR, note)
    return r


def measure_timbre(statewave, model, t, td, pics=None):
    """Every row of one timbre: its three notes, mod wheel 0 and 127, ours and (for a General MIDI
    timbre) the reference; our rows also get attack_ratio / release_ratio against the reference's
    same note. pics (a dict), if given, gets the middle note's curves for the picture."""
    lo, hi = S.RANGES.get(t, (48, 72))
    rows = []
    for note in (lo, (lo + hi) // 2, hi):
        for cc1 in (0, 127):
            mid = os.path.join(td, "%s_%d_%d.mid" % (t, note, cc1))
            R.write_midi(phrase(note, cc1), R.TIMBRES.get(t, (0,))[0], mid)
            x = S.render_ours(statewave, model, mid, os.path.join(td, "o.wav"), DRY)
            ours = dict(timbre=t, note=note, cc1=cc1, system="statewave", **measure(x, note))
            rows.append(ours)
            mid_note = note == (lo + hi) // 2
            if pics is not None and mid_note:
                pics[("statewave", cc1)] = curves(x, SR)
            if t in R.TIMBRES:
                xr = R.render_midi(mid, SR, 0.5)
                ref = dict(timbre=t, note=note, cc1=cc1, system="fluidsynth FluidR3_GM", **measure(xr, note))
                rows.append(ref)
                if pics is not None and mid_note and cc1 == 0:
                    pics[("reference", cc1)] = curves(xr, SR)
            # ours against the reference's same note: the ratio a listener compares
            for k in ("attack_ms", "release_ms"):
                ok = t in R.TIMBRES and ours[k] is not None and ref[k]
                ours[k.replace("_ms", "_ratio")] = ours[k] / ref[k] if ok else None
    return rows


def median(rows, key):
    v = [r[key] for r in rows if r[key] is not None]
    return float(np.median(v)) if v else None


VIB_MAX_CENTS = 40.0     # depth (peak) with the mod wheel up: the top of what players use
VIB_DELAY_S, VIB_RAMP_S = 0.2, 0.3


def set_vibrato(models, timbres):
    """Measure each General MIDI timbre's natural vibrato in the reference (FluidR3_GM, the same
    three notes, CC1 at 0: median rate, peak depth = sqrt(2) x the median deviation) and write it
    into the model file's task_params as "vibrato" (docs/INSTRUMENT.md). Only the header changes;
    the weights stay byte for byte."""
    with tempfile.TemporaryDirectory() as td:
        for t in timbres:
            if t not in R.TIMBRES:
                continue
            lo, hi = S.RANGES[t]
            rates, depths = [], []
            for note in (lo, (lo + hi) // 2, hi):
                mid = os.path.join(td, "n.mid")
                R.write_midi(phrase(note, 0), R.TIMBRES[t][0], mid)
                rate, depth = vibrato(R.render_midi(mid, SR, 0.5), SR)
                if rate is not None:
                    rates.append(rate)
                if depth is not None:
                    depths.append(depth)
            vib = {"rate_hz": round(float(np.median(rates)) if rates else 5.5, 2),
                   "depth_cents": round(float(np.sqrt(2.0) * np.median(depths)) if depths else 0.0, 1),
                   "max_depth_cents": VIB_MAX_CENTS, "delay_s": VIB_DELAY_S, "ramp_s": VIB_RAMP_S}
            path = os.path.join(models, t + ".safetensors")
            set_task_params(path, {"vibrato": vib})
            print("%s: vibrato %s" % (path, json.dumps(vib)))


def task_params(path):
    with open(path, "rb") as f:
        b = f.read()
    n = int.from_bytes(b[:8], "little")
    return json.loads(json.loads(b[8:8 + n])["__metadata__"]["config"])["task_params"]


def set_task_params(path, updates):
    """Rewrite the keys `updates` of a model file's task_params; the weights stay byte for byte."""
    with open(path, "rb") as f:
        b = f.read()
    n = int.from_bytes(b[:8], "little")
    head = json.loads(b[8:8 + n])
    cfg = json.loads(head["__metadata__"]["config"])
    cfg["task_params"].update(updates)
    head["__metadata__"]["config"] = json.dumps(cfg)
    hb = json.dumps(head, separators=(",", ":")).encode()
    hb += b" " * ((8 - len(hb) % 8) % 8)      # keep the data 8-byte aligned
    with open(path, "wb") as f:
        f.write(len(hb).to_bytes(8, "little") + hb + b[8 + n:])


def loudness_db(statewave, model, timbre, td):
    """The level a player gets from a timbre: mean power (dBFS) of three held notes across its
    range (low, middle, high; velocity 100; 0.3-1.8 s of each), rendered dry."""
    lo, hi = S.RANGES.get(timbre, (48, 72))
    pw = []
    for note in (lo, (lo + hi) // 2, hi):
        mid = os.path.join(td, "l.mid")
        R.write_midi({"notes": [(0.0, 2.0, note, 100)], "bends": []}, R.TIMBRES.get(timbre, (0,))[0], mid)
        x = S.render_ours(statewave, model, mid, os.path.join(td, "l.wav"), DRY)
        pw.append(np.mean(x[int(0.3 * SR):int(1.8 * SR)].astype(np.float64) ** 2))
    return float(10.0 * np.log10(np.mean(pw)))


def set_gain(statewave, models, timbres, target_db):
    """Loudness matching: write each timbre's gain_db so that loudness_db() is target_db."""
    with tempfile.TemporaryDirectory() as td:
        for t in timbres:
            path = os.path.join(models, t + ".safetensors")
            L = loudness_db(statewave, path, t, td)
            g = round(task_params(path).get("gain_db", 0.0) + target_db - L, 2)
            set_task_params(path, {"gain_db": g})
            print("%s: loudness %.2f dBFS -> gain_db %+.2f" % (path, L, g))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--statewave", default=os.path.join(REPO, "build", "statewave"))
    ap.add_argument("--models", default=os.path.join(REPO, "presets", "instruments"))
    ap.add_argument("--timbres", default="")
    ap.add_argument("--json", default=os.path.join(REPO, "out", "expression.json"))
    ap.add_argument("--set-vibrato", action="store_true",
                    help="measure each timbre's natural vibrato in the reference and write it into its model file")
    ap.add_argument("--set-gain", type=float, default=None, metavar="DBFS",
                    help="loudness matching: write each timbre's gain_db so that its loudness is DBFS")
    ap.add_argument("--loudness", action="store_true", help="print each timbre's loudness and exit")
    ap.add_argument("--png", default="", help="also draw the middle notes' vibrato, attacks and releases")
    args = ap.parse_args()

    timbres = sorted(f[:-12] for f in os.listdir(args.models) if f.endswith(".safetensors"))
    if args.timbres:
        timbres = [t for t in timbres if t in args.timbres.split(",")]
    if args.set_vibrato:
        set_vibrato(args.models, timbres)
        return
    if args.set_gain is not None:
        set_gain(args.statewave, args.models, timbres, args.set_gain)
        return
    if args.loudness:
        demo = os.path.join(REPO, "presets", "demo", "instrument_demo.mid")
        with tempfile.TemporaryDirectory() as td:
            for t in timbres:
                model = os.path.join(args.models, t + ".safetensors")
                x = S.render_ours(args.statewave, model, demo, os.path.join(td, "d.wav"), DRY)
                print("%-8s %.2f dBFS (three notes)  %.2f dBFS (the demo phrase, mean power)" % (
                    t, loudness_db(args.statewave, model, t, td),
                    10.0 * np.log10(np.mean(x.astype(np.float64) ** 2) + 1e-30)))
        return
    rows, pics = [], {}
    with tempfile.TemporaryDirectory() as td:
        for t in timbres:
            pics[t] = {}
            rows += measure_timbre(args.statewave, os.path.join(args.models, t + ".safetensors"), t, td,
                                   pics[t] if args.png else None)
    fmt = lambda v, f: "–" if v is None else f % v
    print("| timbre | system | vibrato CC1=0: rate Hz / depth cents | CC1=127: rate / depth | attack ms (to −20 dB) | release ms (to −40 dB) | attack / release vs reference (median of notes' ratios) |")
    print("|---|---|---|---|---|---|---|")
    for t in timbres:
        for sysname in ("statewave", "fluidsynth FluidR3_GM"):
            rs = [r for r in rows if r["timbre"] == t and r["system"] == sysname]
            if not rs:
                continue
            r0 = [r for r in rs if r["cc1"] == 0]
            r1 = [r for r in rs if r["cc1"] == 127]
            ratios = "%s / %s" % (fmt(median(r0, "attack_ratio"), "%.2f×"), fmt(median(r0, "release_ratio"), "%.2f×")) \
                if sysname == "statewave" and t in R.TIMBRES else ""
            print("| %s | %s | %s / %s | %s / %s | %s | %s | %s |" % (
                t, "ours" if sysname == "statewave" else "FluidR3_GM",
                fmt(median(r0, "vib_rate_hz"), "%.1f"), fmt(median(r0, "vib_depth_cents"), "%.1f"),
                fmt(median(r1, "vib_rate_hz"), "%.1f"), fmt(median(r1, "vib_depth_cents"), "%.1f"),
                fmt(median(r0, "attack_ms"), "%.1f"), fmt(median(r0, "release_ms"), "%.0f"), ratios))
    print("\nSpectrum of the held notes (mod wheel 0), relative to each note's power, median over the notes:")
    print("| timbre | system | level above 12 kHz | noise floor between harmonics, dB: %s |" %
          " / ".join("%g-%g k" % (lo / 1000, hi / 1000) for lo, hi in BANDS))
    print("|---|---|---:|---|")
    for t in timbres:
        for sysname in ("statewave", "fluidsynth FluidR3_GM"):
            rs = [r for r in rows if r["timbre"] == t and r["system"] == sysname and r["cc1"] == 0]
            if not rs:
                continue
            fl = [median([{"v": r["floor_db"][b]} for r in rs], "v") for b in range(len(BANDS))]
            print("| %s | %s | %s dB | %s |" % (t, "ours" if sysname == "statewave" else "FluidR3_GM",
                                                fmt(median(rs, "above_12k_db"), "%.0f"),
                                                " / ".join(fmt(v, "%.0f") for v in fl)))
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump({"rows": rows}, f, indent=1)
    if args.png:
        picture(args.png, pics, timbres)


if __name__ == "__main__":
    main()
