"""Build the neural-instrument data packs (issue #7) from ../shared and Debian packages, deterministically.

    /usr/bin/python3 train/instrument/build_data.py --out .devdata_inst [--only violin,flute] [--skip-real]
    /usr/bin/python3 train/instrument/build_data.py --out .devdata_inst48 --rate 48000 --only violin --skip-real

--rate sets the training rate of the packs (default 24000; 48000 keeps the band to 20 kHz): the same
phrases (the seeds do not depend on the rate), rendered by fluidsynth at that rate; segments stay 4 s
and 1000 control frames, so a segment holds 4*rate samples and a control frame rate/250.

Timbres rendered with the fluidsynth CLI (FluidR3_GM, -R 0 -C 0, at the pack's rate, fixed gain per timbre):
violin (GM 40), flute (73), trumpet (56), cello (42). Phrases: excerpts of
../shared/data/midi/nottingham/melody/*.mid (tempo-scaled, transposed into the timbre's range, random
velocities 30-127, some legato) and generated motifs (scales, arpeggios, held notes with 5-6 Hz
+-20..50 cent vibrato through pitch bend (range +-2 semitones set with RPN 0), legato slurs, repeated
notes, rests). Held-out phrases use different Nottingham files (md5 of the file name % 5 == 0) and
different generator seeds; they are never in the train files.
"cello_real": audio-only pack from the sms-tools cello recordings (CC BY 4.0, freesound.org user xserra,
see ../shared/data/SOURCES.md), resampled to the pack's rate, peak normalised to -1 dBFS; the last 20 % (by time)
of each file is held out.

Each phrase is rendered, padded with silence to a whole number of 4 s segments (96000 samples at 24 kHz
= 1000 control frames), analysed as one clip (features.py: frame t = instant t/250 s after the phrase start),
then cut into segments. Segment k of a phrase therefore carries the phrase's running state (t_on, held
f0, ...) at its start; seg_index says which segment of its phrase it is (0 = starts from silence).

Output files (.devdata_inst/<timbre>_{train,heldout}.npz, np.savez_compressed), N segments:
    audio        int16   [N, 4*rate]   x = audio / 32768 (24 kHz: [N, 96000])
    midi_feats   float16 [N, 1000, 8]  MIDI-mode features (true notes/bends; loudness columns 0).
                                       cello_real: audio_feats with columns 6, 7 zeroed
    audio_feats  float16 [N, 1000, 8]  audio-mode features (YIN + loudness + tracker on `audio`/32768)
    midi_pitch   float32 [N, 1000]     semitones the oscillator plays in MIDI mode (note + bend)
                                       cello_real: = yin_pitch
    yin_pitch    float32 [N, 1000]     semitones from YIN (held over unvoiced frames)
    voiced       uint8   [N, 1000]     YIN voiced flag
    loud_db      float32 [N, 1000]     loudness L (dB)
    phrase_id    int32   [N]           index into `phrases`
    seg_index    int32   [N]           segment number within its phrase
    phrases      str     [P]           phrase names
    sample_rate, control_rate          int scalars (the rate, 250)
Float16 on the features keeps col 0 within 1.2 cents; use midi_pitch / yin_pitch (float32) where exact
pitch matters.
Held-out extras: .devdata_inst/heldout/<timbre>/<phrase>.mid (SMF with program, RPN 0 bend range and
bends), .wav (fluidsynth reference at 48000 Hz, same settings and gain, float32), .json (notes, bends,
program, gain, duration). cello_real has .wav (the pack's rate, the held-out audio) and .json (source, span).
"""

import argparse
import hashlib
import json
import os
import sys
import time
import warnings

import numpy as np
import scipy.io.wavfile
import scipy.signal

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from instrument import features as F   # noqa: E402
from instrument import render as R     # noqa: E402

warnings.filterwarnings("ignore", category=scipy.io.wavfile.WavFileWarning)

SR = 24000
SEG = 96000
SEG_FRAMES = 1000
GAIN = 0.8                 # fluidsynth -g; loud trumpet phrases peak near 0.65 with it
REF_SR = 48000


def set_rate(sr):
    """Make every pack built from here on at training rate sr (4 s segments of 1000 control frames)."""
    global SR, SEG
    if sr % F.F_C:
        raise ValueError("rate %d is not a multiple of the control rate %d" % (sr, F.F_C))
    SR, SEG = int(sr), 4 * int(sr)
TRAIN_S = 150.0
HELDOUT_S = 40.0
MAX_PHRASE_S = 10.0        # notes end before this; with the 1 s tail a phrase is <= 3 segments
SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared")
NOTT = os.path.join(SHARED, "data", "midi", "nottingham", "melody")
SMS = os.path.join(SHARED, "data", "instruments", "sms-tools")
REAL_FILES = ["cello-phrase.wav", "cello-double.wav", "cello-double-2.wav"]


def is_heldout_file(name):
    """Nottingham file split: md5(file name) % 5 == 0 -> held out."""
    return int(hashlib.md5(name.encode()).hexdigest(), 16) % 5 == 0


def pad_to_segments(x):
    """Pad audio with zeros to a whole number of 4 s segments (at least one)."""
    n = max(1, -(-len(x) // SEG)) * SEG
    return np.concatenate([x, np.zeros(n - len(x), dtype=x.dtype)])


def to_int16(x):
    """Float audio in [-1, 1) to int16 (the stored form, also what the features are computed on)."""
    return np.clip(np.round(x * 32768.0), -32768, 32767).astype(np.int16)


def analyse(x16, notes=None, bends=None):
    """Per-frame arrays of one padded clip: audio feats, yin pitch, voiced, loudness, midi feats, midi pitch."""
    x = x16.astype(np.float64) / 32768.0
    T = len(x) // SEG * SEG_FRAMES
    af, yp, loud, voiced = F.audio_features(x, SR, T)
    if notes is None:
        mf = af.copy()
        mf[:, 6:8] = 0.0
        mp = yp.copy()
    else:
        mf = F.midi_features(notes, bends, T)
        mp = mf[:, 0] * 24.0 + 60.0
    return dict(audio_feats=af, yin_pitch=yp, voiced=voiced, loud_db=loud, midi_feats=mf, midi_pitch=mp)


class Pack:
    """Accumulates segments of one timbre/split and writes the npz."""

    def __init__(self):
        self.rows = {k: [] for k in ("audio", "midi_feats", "audio_feats", "midi_pitch", "yin_pitch",
                                     "voiced", "loud_db", "phrase_id", "seg_index")}
        self.phrases = []
        self.peaks = []

    def add(self, name, x16, a):
        pid = len(self.phrases)
        self.phrases.append(name)
        self.peaks.append(float(np.abs(x16.astype(np.float64)).max() / 32768.0))
        for k in range(len(x16) // SEG):
            fs = slice(k * SEG_FRAMES, (k + 1) * SEG_FRAMES)
            self.rows["audio"].append(x16[k * SEG:(k + 1) * SEG])
            for key in ("midi_feats", "audio_feats"):
                self.rows[key].append(a[key][fs].astype(np.float16))
            for key in ("midi_pitch", "yin_pitch", "loud_db"):
                self.rows[key].append(a[key][fs].astype(np.float32))
            self.rows["voiced"].append(a["voiced"][fs].astype(np.uint8))
            self.rows["phrase_id"].append(pid)
            self.rows["seg_index"].append(k)

    def seconds(self):
        return len(self.rows["audio"]) * SEG / SR

    def save(self, path):
        arrs = {k: np.stack(v) if k not in ("phrase_id", "seg_index") else np.array(v, dtype=np.int32)
                for k, v in self.rows.items()}
        arrs["phrases"] = np.array(self.phrases)
        arrs["sample_rate"] = np.int32(SR)
        arrs["control_rate"] = np.int32(F.F_C)
        np.savez_compressed(path, **arrs)
        v = arrs["voiced"].mean()
        active = arrs["audio_feats"][:, :, 2].astype(np.float32).mean()
        return dict(seconds=self.seconds(), segments=len(self.rows["audio"]), phrases=len(self.phrases),
                    peak_max=max(self.peaks), peak_median=float(np.median(self.peaks)),
                    voiced=float(v), gate=float(active), bytes=os.path.getsize(path))


def nottingham_lists():
    """Sorted Nottingham melody files split into (train, heldout) by the name hash."""
    names = sorted(n for n in os.listdir(NOTT) if n.endswith(".mid"))
    return [n for n in names if not is_heldout_file(n)], [n for n in names if is_heldout_file(n)]


def make_phrase(rng, kind, files, lo, hi, cache):
    """One phrase (sanitised) of the given kind, or None when an excerpt does not fit the range."""
    if kind == "nott":
        name = files[int(rng.integers(len(files)))]
        if name not in cache:
            cache[name] = R.nottingham_notes(os.path.join(NOTT, name))
        ph = R.nottingham_phrase(rng, cache[name], lo, hi, rng.uniform(3.0, MAX_PHRASE_S))
        if ph is None:
            return None
        ph["source"] = name
    else:
        ph = R.generated_phrase(rng, lo, hi, rng.uniform(3.0, MAX_PHRASE_S))
        ph["source"] = "generated"
    return R.sanitize(ph)


def build_timbre(timbre, out, split, seed, target_s, files, log):
    """Render phrases of one timbre until target_s of segments; write the npz (and held-out extras)."""
    program, lo, hi = R.TIMBRES[timbre]
    rng = np.random.default_rng(seed)
    pack = Pack()
    cache = {}
    hdir = os.path.join(out, "heldout", timbre)
    if split == "heldout":
        os.makedirs(hdir, exist_ok=True)
    i = 0
    while pack.seconds() < target_s:
        kind = "nott" if i % 2 == 0 else "gen"
        ph = make_phrase(rng, kind, files, lo, hi, cache)
        if ph is None or not ph["notes"]:
            continue
        name = "%s_%s_%03d" % (timbre, kind, i)
        i += 1
        x = R.render_phrase(ph, program, SR, GAIN)
        peak = float(np.abs(x).max())
        if peak >= 0.99:
            raise RuntimeError("%s: fluidsynth output peaks at %.3f with gain %g (would clip)" % (name, peak, GAIN))
        x16 = to_int16(pad_to_segments(x))
        pack.add(name, x16, analyse(x16, ph["notes"], ph["bends"]))
        if split == "heldout":
            mid = os.path.join(hdir, name + ".mid")
            dur = R.write_midi(ph, program, mid)
            ref = R.render_midi(mid, REF_SR, GAIN)
            scipy.io.wavfile.write(os.path.join(hdir, name + ".wav"), REF_SR, ref.astype(np.float32))
            with open(os.path.join(hdir, name + ".json"), "w") as f:
                json.dump({"timbre": timbre, "program": program, "gain": GAIN, "source": ph["source"],
                           "duration_s": dur, "bend_range": R.BEND_RANGE,
                           "notes": [[a, b, int(p), int(v)] for (a, b, p, v) in ph["notes"]],
                           "bends": [[t, s] for (t, s) in ph["bends"]],
                           "note_format": "[onset s, offset s, MIDI pitch, velocity]",
                           "bend_format": "[time s, semitones] (step events)",
                           "ref_wav_rate": REF_SR, "npz_segments_rate": SR}, f, indent=1)
    info = pack.save(os.path.join(out, "%s_%s.npz" % (timbre, split)))
    log(timbre, split, info)
    return info


def read_any(path):
    """(rate, float64 samples) of any file: WAV directly, other formats through sox (in make deps)."""
    if path.lower().endswith(".wav"):
        try:
            return scipy.io.wavfile.read(path)
        except ValueError:
            pass
    import subprocess
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        w = os.path.join(tmp, "x.wav")
        subprocess.run(["sox", "-V1", path, "-b", "32", "-e", "floating-point", w], check=True)
        return scipy.io.wavfile.read(w)


def build_real(out, log, folder=SMS, files=REAL_FILES, name="cello_real",
               licence="CC BY 4.0, freesound.org user xserra"):
    """Audio-only ("train your own") pack from monophonic recordings: f0 by YIN, loudness and note events by
    the tracker, no MIDI; the last 20 % of each file is held out. Default: the sms-tools cello recordings."""
    train, held = Pack(), Pack()
    hdir = os.path.join(out, "heldout", name)
    os.makedirs(hdir, exist_ok=True)
    for fn in files:
        sr, x = read_any(os.path.join(folder, fn))
        x = x.astype(np.float64)
        if x.ndim == 2:
            x = x.mean(axis=1)
        g = np.gcd(sr, SR)
        y = scipy.signal.resample_poly(x, SR // g, sr // g)
        y *= 10 ** (-1 / 20) / np.abs(y).max()
        cut = int(round(0.8 * len(y)))
        base = os.path.splitext(fn)[0]
        for part, pack, seg in (("train", train, y[:cut]), ("heldout", held, y[cut:])):
            x16 = to_int16(pad_to_segments(seg))
            pack.add("%s_%s_%s" % (name, base, part), x16, analyse(x16))
            if part == "heldout":
                scipy.io.wavfile.write(os.path.join(hdir, base + ".wav"), SR, seg.astype(np.float32))
                with open(os.path.join(hdir, base + ".json"), "w") as f:
                    json.dump({"source": os.path.join(folder, fn), "licence": licence,
                               "span_s_at_source": [cut / SR, len(y) / SR], "sample_rate": SR,
                               "normalised_peak_dbfs": -1.0}, f, indent=1)
    for split, pack in (("train", train), ("heldout", held)):
        log(name, split, pack.save(os.path.join(out, "%s_%s.npz" % (name, split))))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=".devdata_inst")
    ap.add_argument("--only", default="", help="comma-separated timbres (default all)")
    ap.add_argument("--skip-real", action="store_true")
    ap.add_argument("--real-only", action="store_true")
    ap.add_argument("--rate", type=int, default=SR, help="training rate of the packs (Hz, default 24000)")
    ap.add_argument("--train-s", type=float, default=TRAIN_S)
    ap.add_argument("--heldout-s", type=float, default=HELDOUT_S)
    ap.add_argument("--folder", default="", help="train your own: a folder of monophonic recordings (any "
                    "format sox reads); builds only the pack NAME_{train,heldout}.npz from it")
    ap.add_argument("--name", default="mine", help="timbre name for --folder")
    args = ap.parse_args()
    set_rate(args.rate)
    os.makedirs(args.out, exist_ok=True)
    t0 = time.time()
    summary = []

    def log(timbre, split, info):
        summary.append((timbre, split, info))
        print("%-10s %-7s %6.1f s  %3d seg  %3d phrases  peak max %.3f (median %.3f)  voiced %.2f  gate %.2f"
              "  %.2f MiB  [%.0f s]" % (timbre, split, info["seconds"], info["segments"], info["phrases"],
                                        info["peak_max"], info["peak_median"], info["voiced"], info["gate"],
                                        info["bytes"] / 2**20, time.time() - t0), flush=True)

    if args.folder:
        exts = (".wav", ".flac", ".ogg", ".aif", ".aiff", ".mp3")
        files = sorted(f for f in os.listdir(args.folder) if f.lower().endswith(exts))
        if not files:
            sys.exit("build_data: no audio files in %s" % args.folder)
        build_real(args.out, log, folder=args.folder, files=files, name=args.name, licence="(yours)")
        return
    tr_files, ho_files = nottingham_lists()
    timbres = [t for t in R.TIMBRES if not args.only or t in args.only.split(",")]
    if not args.real_only:
        for k, timbre in enumerate(timbres):
            idx = list(R.TIMBRES).index(timbre)
            build_timbre(timbre, args.out, "train", 1000 + idx, args.train_s, tr_files, log)
            build_timbre(timbre, args.out, "heldout", 9000 + idx, args.heldout_s, ho_files, log)
    if not args.skip_real:
        build_real(args.out, log)
    tot = sum(os.path.getsize(os.path.join(args.out, f)) for f in os.listdir(args.out) if f.endswith("_train.npz"))
    print("all *_train.npz in %s: %.2f MiB (limit 40 MiB); %.0f s" % (args.out, tot / 2**20, time.time() - t0))


if __name__ == "__main__":
    main()
