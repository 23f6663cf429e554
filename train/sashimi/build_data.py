#!/usr/bin/python3
"""Render the piano MIDI set into 16 kHz 8-bit mu-law training data for the SaShiMi generator.

    /usr/bin/python3 train/sashimi/build_data.py            # -> .devdata_gen/{train,test}.npy

Seeded and self-contained (fluidsynth + FluidR3_GM, numpy, scipy). Steps per clip:
  1. pick a piece (the split is BY PIECE: test pieces never appear in train),
  2. read its MIDI with train/sashimi/midi.py, vary tempo (x0.85..1.15), transposition
     (-3..+3 semitones) and velocity (scale 0.7..1.2, offset -10..+10), cut an excerpt that
     starts on a note and write it as a new MIDI file,
  3. render it with fluidsynth at 16 kHz (its own reverb and chorus off),
  4. add a simple room: exponentially decaying, low-passed noise IR (RT60 0.15..0.7 s)
     with a few early reflections, random wet level,
  5. normalise to a random peak (-6..-1 dBFS) and mu-law encode (mu = 255, 256 classes).
Output: uint8 arrays [clips, samples] in train.npy / test.npy plus manifest.json
(pieces, parameters, split). The accelerator has no fluidsynth: these files travel there.
"""
import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import wave
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy.signal import fftconvolve, lfilter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import midi  # noqa: E402
from mulaw import mulaw_encode  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RATE = 16000
SF2 = "/usr/share/sounds/sf2/FluidR3_GM.sf2"


def room_ir(rng, rate=RATE):
    """Synthetic mono room impulse response: direct path + early reflections + noise tail."""
    rt60 = rng.uniform(0.15, 0.7)
    n = int(rate * rt60 * 1.2)
    t = np.arange(n) / rate
    tail = rng.standard_normal(n) * np.exp(-6.9078 * t / rt60)   # -60 dB at rt60
    a = rng.uniform(0.3, 0.8)                                      # air absorption: one-pole low-pass
    tail = lfilter([1 - a], [1, -a], tail)
    onset = int(rate * rng.uniform(0.005, 0.02))
    tail[:onset] = 0.0
    ir = np.zeros(n)
    ir[0] = 1.0
    for _ in range(4):
        k = int(rate * rng.uniform(0.002, 0.03))
        ir[k] += rng.uniform(-0.4, 0.4)
    wet = rng.uniform(0.05, 0.35)
    ir += wet * tail / (np.sqrt(np.sum(tail ** 2)) + 1e-9)
    return ir


def read_wav_mono(path):
    with wave.open(path, "rb") as w:
        if w.getsampwidth() != 2:
            raise RuntimeError("%s: expected 16-bit output from fluidsynth" % path)
        ch, rate = w.getnchannels(), w.getframerate()
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64) / 32768.0
    if rate != RATE:
        raise RuntimeError("%s: fluidsynth wrote %d Hz, asked for %d" % (path, rate, RATE))
    return x.reshape(-1, ch).mean(axis=1)


def render_clip(job):
    """job: dict with piece path, clip length, seed -> (uint8 mu-law [n], info dict) or None."""
    rng = np.random.default_rng(job["seed"])
    events = midi.read(job["path"])
    tempo = float(rng.uniform(0.85, 1.15))
    notes = [e[0] / tempo for e in events if e[1] == "on"]
    length = job["seconds"]
    if not notes or notes[-1] - notes[0] < length * 0.5:
        return None
    end = notes[-1]
    starts = [t for t in notes if t <= max(notes[0], end - length)]
    t0 = float(starts[int(rng.integers(len(starts)))])
    params = dict(piece=job["rel"], t0=round(t0, 3), tempo=round(tempo, 4),
                  transpose=int(rng.integers(-3, 4)), vel_scale=round(float(rng.uniform(0.7, 1.2)), 3),
                  vel_offset=int(rng.integers(-10, 11)))
    ex = midi.excerpt(events, t0, length, tempo=tempo, transpose=params["transpose"],
                      vel_scale=params["vel_scale"], vel_offset=params["vel_offset"])
    with tempfile.TemporaryDirectory(prefix="swgen_") as tmp:
        mid, wav = os.path.join(tmp, "x.mid"), os.path.join(tmp, "x.wav")
        midi.write(mid, ex)
        subprocess.run(["fluidsynth", "-ni", "-q", "-R", "0", "-C", "0", "-g", "0.6", "-r", str(RATE),
                        "-T", "wav", "-O", "s16", "-F", wav, SF2, mid],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        x = read_wav_mono(wav)
    n = int(round(length * RATE))
    x = np.pad(x, (0, max(0, n - len(x))))[:n]
    x = fftconvolve(x, room_ir(rng))[:n]
    peak = np.max(np.abs(x))
    if peak < 1e-4:
        return None
    params["peak_db"] = round(float(rng.uniform(-6.0, -1.0)), 2)
    x = x / peak * 10 ** (params["peak_db"] / 20)
    return mulaw_encode(x), params


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data", "midi", "piano"))
    ap.add_argument("--out", default=os.path.join(ROOT, ".devdata_gen"))
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--seconds", type=float, default=8.0, help="clip length")
    ap.add_argument("--train-clips", type=int, default=270, help="270 x 8 s = 36 min")
    ap.add_argument("--test-clips", type=int, default=30, help="30 x 8 s = 4 min")
    ap.add_argument("--test-pieces", type=int, default=34, help="pieces held out for test (~10%%)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()

    with open(os.path.join(args.data, "metadata.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    pieces = []
    for r in rows:
        rel = r["midi"]
        path = os.path.join(args.data, rel)
        if not os.path.exists(path):      # metadata spells some names differently (D850 vs d850)
            d, b = os.path.split(path)
            cands = [c for c in os.listdir(d) if c.lower() == b.lower()] if os.path.isdir(d) else []
            if not cands:
                print("skip (missing): %s" % rel, file=sys.stderr)
                continue
            path = os.path.join(d, cands[0])
            rel = os.path.relpath(path, args.data)
        pieces.append((rel, path))
    pieces.sort()
    rnd = random.Random(args.seed)
    rnd.shuffle(pieces)
    test_p, train_p = pieces[:args.test_pieces], pieces[args.test_pieces:]

    def jobs_for(plist, count, base):
        jobs, i = [], 0
        order = list(plist)
        while len(jobs) < count + count // 8 + 4:   # spare jobs: some pieces yield no clip
            if i % len(order) == 0:
                rnd.shuffle(order)
            rel, path = order[i % len(order)]
            jobs.append(dict(rel=rel, path=path, seconds=args.seconds, seed=base + i))
            i += 1
        return jobs

    os.makedirs(args.out, exist_ok=True)
    manifest = dict(seed=args.seed, rate=RATE, encoding="mulaw", mu=255, seconds=args.seconds,
                    soundfont=os.path.basename(SF2), test_pieces=sorted(r for r, _ in test_p),
                    train_pieces=sorted(r for r, _ in train_p))
    for name, plist, count, base in (("test", test_p, args.test_clips, 10_000_000),
                                     ("train", train_p, args.train_clips, 20_000_000)):
        jobs = jobs_for(plist, count, args.seed + base)
        clips, infos = [], []
        with ThreadPoolExecutor(max_workers=args.jobs) as ex:
            for res in ex.map(render_clip, jobs):
                if res is not None and len(clips) < count:
                    clips.append(res[0])
                    infos.append(res[1])
                    if len(clips) % 20 == 0:
                        print("%s: %d/%d clips" % (name, len(clips), count), flush=True)
        if len(clips) < count:
            raise SystemExit("%s: only %d usable clips" % (name, len(clips)))
        arr = np.stack(clips).astype(np.uint8)
        np.save(os.path.join(args.out, name + ".npy"), arr)
        manifest[name + "_clips"] = infos
        print("%s: %s, %.1f min, %.1f MiB" % (name, arr.shape, arr.size / RATE / 60, arr.nbytes / 2 ** 20))
    assert not set(i["piece"] for i in manifest["train_clips"]) & set(i["piece"] for i in manifest["test_clips"])
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()
