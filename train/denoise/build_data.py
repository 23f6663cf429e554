#!/usr/bin/python3
"""Pack the denoiser's training audio into one compact file (default .devdata/denoise_pack.npz).

    /usr/bin/python3 train/denoise/build_data.py --seed 1            # build + leak check
    /usr/bin/python3 train/denoise/build_data.py --check-only        # re-check an existing pack

Sources (real recordings only for speech; see ../shared/data/SOURCES.md and both dev sets' READMEs):
  speech  speechocean762 (16 kHz read English, 250 speakers, Ogg Opus): every speaker that
          ../shared/data/devset-wb reserves is excluded whole; of the rest, only takes whose
          MANIFEST estimates reach bandwidth >= 5500 Hz and SNR >= 30 dB are targets (the others are
          band-limited or noisy and would teach the model to cut the top octave or keep noise);
          a seeded set of whole speakers is held out as validation. Carried as the original Opus
          bytes in a second file (OUT with _opus before .npz), decoded by build/tools/opus2pcm.
          FSDD (8 kHz) indices 5-49 only (0-4 are the dev set's);
          Debian festvox-ru msu_ru_nsh_clunits (16 kHz) minus every file the dev MANIFEST names;
          Debian asterisk prompts en_US_f_Allison, es_MX_f_Allison, fr_CA_f_June, it_IT_m_Carlo,
          ru_RU_f_IvrvoiceRU (8 kHz) minus the en files the dev MANIFEST names. The 8 kHz corpora
          are band-limited: train.py uses them only as 8 kHz-rate inputs (input and target cut at
          4 kHz, features above read as silence, as the C engine sees an 8 kHz stream), never as
          a target for a full-band input.
  noise   noise/moodist (real ambiences, Opus bytes in the second file; training only, never
          shipped) and noise/keystrokes (FLAC) minus the files devset-wb reserves, and the rest of
          ../shared/data/noise minus everything the first dev MANIFEST reserves: whole files, the psTool
          recording sessions, and the reserved tail segments of long files (only the part before
          the segment is used, with a 0.5 s margin). bg_short.WAV is a truncated copy of the
          reserved bg.wav (correlation 1.0), so it is excluded too; every kept noise file is
          checked against the reserved whole files by cross-correlation.
  rir     noise/torch-audiomentations/ir/impulse_response_0.wav (plus synthetic RIRs in training).

The pack stays small enough to travel to the accelerator (<= ~50 MiB): speech as 8-bit mu-law at its
native rate (8 kHz sources are upsampled on the device), noise as 16-bit at 16 kHz, and a seeded subset
of the larger corpora (speaker/voice diversity over hours). Each corpus is one stream of utterances
separated by 0.1-0.5 s of digital silence (like the dev set's layout); a few files of each corpus are
held out as validation (never the dev set).
"""
import argparse
import glob
import json
import os
import re
import sys

import numpy as np
from scipy.io import wavfile
from scipy.signal import fftconvolve, resample_poly

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.abspath(os.path.join(HERE, "..")))
import metrics  # noqa: E402  (train/metrics.py: FLAC reading)
import opus_io  # noqa: E402
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
SHARED = os.path.abspath(os.path.join(REPO, "..", "shared", "data"))
MANIFEST = os.path.join(SHARED, "devset", "MANIFEST.tsv")
WB_MANIFEST = os.path.join(SHARED, "devset-wb", "MANIFEST.tsv")
SPEECHOCEAN = os.path.join(SHARED, "speech", "speechocean762")
SO_MIN_BANDWIDTH_HZ = 5500.0
SO_MIN_SNR_DB = 30.0
SO_VAL_SPEAKERS = 8
FESTVOX = "/usr/share/festival/voices/russian/msu_ru_nsh_clunits/wav"
ASTERISK = "/usr/share/asterisk/sounds"
ASTERISK_VOICES = ["en_US_f_Allison", "es_MX_f_Allison", "fr_CA_f_June", "it_IT_m_Carlo", "ru_RU_f_IvrvoiceRU"]
PSTOOL_SESSIONS = {"cafe": "2019-08-19_14.02.46", "street": "2019-08-19_10.07.44", "train": "33187"}


# ----------------------------------------------------------------------------- MANIFEST --

def parse_manifest(path=MANIFEST):
    """-> dict(speech=set of abs/rel paths, noise_whole=set of rel paths, noise_tail={rel: start_s},
    pstool_sessions={class: session})."""
    speech, noise_whole, noise_tail = set(), set(), {}
    header_lines, rows = [], []
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#"):
                header_lines.append(line)
            elif line:
                rows.append(line.split("\t"))
    cols = rows[0]
    ci = {c: i for i, c in enumerate(cols)}
    for r in rows[1:]:
        for s in r[ci["speech_files"]].split(";"):
            s = s.strip()
            if ":" in s:                        # "<debian package>:<installed path>"
                s = s.split(":", 1)[1]
            speech.add(s)
        for n in r[ci["noise_files"]].split(";"):
            noise_whole.add(n.strip())           # refined below: long files only lose their tail
    # Whole-source exclusion line: "...; noise files: a [29.0 s, end=45.00 s]; b (whole file); c/{x,y}; ..."
    excl = [h for h in header_lines if "Whole-source exclusions" in h]
    assert excl, "MANIFEST: whole-source exclusion line not found"
    text = excl[0].split("noise files:", 1)[1]
    for item in text.split(";"):
        item = item.strip().rstrip(".")
        if not item:
            continue
        m = re.match(r"^(\S+)\s+\[([\d.]+) s, end=([\d.]+) s\]$", item)
        if m:
            noise_tail[m.group(1)] = float(m.group(2))
            continue
        m = re.match(r"^(\S+)\s+\(whole file\)$", item)
        if m:
            noise_whole.add(m.group(1))
            continue
        m = re.match(r"^(\S+)/\{(.*)\}$", item)
        if m:
            for n in m.group(2).split(","):
                noise_whole.add(m.group(1) + "/" + n.strip())
            continue
        raise AssertionError("MANIFEST: cannot parse exclusion item %r" % item)
    for k in noise_tail:                         # long files: only the tail segment is reserved
        noise_whole.discard(k)
    return dict(speech=speech, noise_whole=noise_whole, noise_tail=noise_tail,
                pstool_sessions=dict(PSTOOL_SESSIONS))


def parse_wb_manifest(path=WB_MANIFEST):
    """devset-wb's whole-source exclusion line -> dict(so_speakers=set, noise_whole=set of rel paths)."""
    with open(path) as f:
        line = [l for l in f if l.startswith("#") and "Whole-source exclusions" in l]
    assert line, "devset-wb MANIFEST: whole-source exclusion line not found"
    groups = re.findall(r"(\S+?)/\{([^}]*)\}", line[0])
    speakers, noise = set(), set()
    for prefix, items in groups:
        names = [n.strip() for n in items.split(",") if n.strip()]
        if prefix.endswith("speech/speechocean762"):
            speakers.update(names)
        elif prefix.startswith("noise/"):
            noise.update(prefix + "/" + n for n in names)
        else:
            raise AssertionError("devset-wb MANIFEST: unknown exclusion group %r" % prefix)
    assert len(speakers) >= 20 and len(noise) >= 10, "devset-wb MANIFEST: exclusion line looks truncated"
    return dict(so_speakers=speakers, noise_whole=noise)


def speechocean_selection(wb, rng):
    """-> (train rows, val rows, counts): usable takes of non-reserved speakers, val = whole speakers."""
    with open(os.path.join(SPEECHOCEAN, "MANIFEST.tsv")) as f:
        hdr = f.readline().rstrip("\n").split("\t")
        rows = [dict(zip(hdr, l.rstrip("\n").split("\t"))) for l in f if l.strip()]
    allowed = [r for r in rows if r["speaker"] not in wb["so_speakers"]]
    good = [r for r in allowed if float(r["bandwidth_hz"]) >= SO_MIN_BANDWIDTH_HZ
            and float(r["snr_proxy_db"]) >= SO_MIN_SNR_DB]
    speakers = sorted({r["speaker"] for r in good})
    val_spk = set(rng.choice(speakers, SO_VAL_SPEAKERS, replace=False).tolist())
    trn = [r for r in good if r["speaker"] not in val_spk]
    val = [r for r in good if r["speaker"] in val_spk]
    counts = {"corpus_files": len(rows), "not_reserved": len(allowed), "usable": len(good),
              "speakers": len(speakers), "val_speakers": sorted(val_spk)}
    return trn, val, counts


def so_path(r):
    return os.path.join(SPEECHOCEAN, r["speaker"], r["utt"] + ".opus")


def fsdd_index(path):
    m = re.match(r"^(\d)_([a-z]+)_(\d+)\.wav$", os.path.basename(path))
    return int(m.group(3)) if m else None


def speech_allowed(path, man):
    """True if `path` (absolute) may be used for training."""
    if "/speech/fsdd/" in path:
        i = fsdd_index(path)
        return i is not None and 5 <= i <= 49
    return path not in man["speech"]


def noise_allowed(rel, man):
    """-> None (excluded) or the number of seconds usable from the start (inf = whole file)."""
    if rel in man["noise_whole"] or rel in man.get("wb_noise_whole", ()):
        return None
    if rel.startswith("noise/psTool/"):
        cls = rel.split("/")[2]
        if os.path.basename(rel).startswith(man["pstool_sessions"].get(cls, "\0")):
            return None
    if rel == "noise/torch-audiomentations/bg_short/bg_short.WAV":
        return None                              # truncated copy of the reserved bg.wav
    if rel.endswith("ir/impulse_response_0.wav"):
        return None                              # an RIR, packed separately
    if rel in man["noise_tail"]:
        return max(0.0, man["noise_tail"][rel] - 0.5)
    return float("inf")


# ----------------------------------------------------------------------------- audio --

def read_wav(path):
    if path.lower().endswith(".flac"):
        x, sr = metrics.read_audio(path, mono=False)
        x = x.astype(np.float32)
        return sr, (x[:, 0] if x.shape[1] == 1 else x)
    sr, x = wavfile.read(path)
    if x.dtype == np.int16:
        x = x.astype(np.float32) / 32768.0
    elif x.dtype == np.int32:
        x = x.astype(np.float32) / 2147483648.0
    elif x.dtype == np.uint8:
        x = (x.astype(np.float32) - 128.0) / 128.0
    else:
        x = x.astype(np.float32)
    return sr, x


def to_rate(x, sr, target):
    if sr == target:
        return x.astype(np.float32)
    g = np.gcd(int(sr), int(target))
    return resample_poly(x, target // g, sr // g).astype(np.float32)


MU = 255.0


def mulaw_encode(x):
    x = np.clip(x, -1.0, 1.0)
    y = np.sign(x) * np.log1p(MU * np.abs(x)) / np.log1p(MU)
    return np.clip(np.round((y + 1.0) * 127.5), 0, 255).astype(np.uint8)


def mulaw_decode(q):
    y = q.astype(np.float32) / 127.5 - 1.0
    return (np.sign(y) * ((1.0 + MU) ** np.abs(y) - 1.0) / MU).astype(np.float32)


def build_stream(files, sr, rng, max_seconds):
    """Concatenate utterances (in the given order, until max_seconds) with 0.1-0.5 s digital
    silence gaps; each utterance mean-removed and peak-normalised to a random -1..-6 dBFS so mu-law
    keeps its precision. Returns (stream float32, list of used files)."""
    parts, used, total = [], [], 0.0
    for p in files:
        fsr, x = read_wav(p)
        if x.ndim > 1:
            x = x[:, 0]
        x = to_rate(x, fsr, sr)
        x = x - x.mean()
        pk = np.max(np.abs(x))
        if pk < 1e-4:
            continue
        x = x / pk * 10 ** (-rng.uniform(1, 6) / 20)
        gap = np.zeros(int(rng.uniform(0.1, 0.5) * sr), np.float32)
        parts += [x.astype(np.float32), gap]
        used.append(p)
        total += (len(x) + len(gap)) / sr
        if total >= max_seconds:
            break
    return np.concatenate(parts), used


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default=os.path.join(REPO, ".devdata", "denoise_pack.npz"))
    ap.add_argument("--fsdd-s", type=float, default=400.0, help="seconds of FSDD digits")
    ap.add_argument("--festvox-s", type=float, default=1000.0, help="seconds of festvox-ru speech")
    ap.add_argument("--asterisk-s", type=float, default=150.0, help="seconds per asterisk voice")
    ap.add_argument("--val-frac", type=float, default=0.04)
    ap.add_argument("--check-only", action="store_true")
    args = ap.parse_args()
    man = parse_manifest()
    wb = parse_wb_manifest()
    man["wb_noise_whole"] = wb["noise_whole"]
    man["so_speakers"] = wb["so_speakers"]
    if args.check_only:
        check_pack(args.out, man)
        return
    rng = np.random.default_rng(args.seed)

    corpora = {}  # name -> (rate, train files, val files)
    fsdd = sorted(glob.glob(os.path.join(SHARED, "speech", "fsdd", "*.wav")))
    fsdd = [p for p in fsdd if speech_allowed(p, man)]
    fv = sorted(glob.glob(os.path.join(FESTVOX, "*.wav")))
    fv = [p for p in fv if speech_allowed(p, man)]
    corpora["fsdd"] = (8000, fsdd, args.fsdd_s)
    corpora["festvox"] = (16000, fv, args.festvox_s)
    for v in ASTERISK_VOICES:
        fl = sorted(glob.glob(os.path.join(ASTERISK, v, "**", "*.wav"), recursive=True))
        fl = [p for p in fl if speech_allowed(os.path.realpath(p), man) and speech_allowed(p, man)]
        corpora["asterisk_" + v] = (8000, fl, args.asterisk_s)

    out = {}
    meta = {"seed": args.seed, "corpora": {}, "noise": {}, "mulaw_mu": MU}
    for name, (sr, files, max_s) in corpora.items():
        files = list(files)
        rng.shuffle(files)
        n_val = max(2, int(round(len(files) * args.val_frac)))
        if name == "fsdd":                       # validation: whole digits-takes 45-49 of every speaker
            val = [p for p in files if fsdd_index(p) >= 45]
            trn = [p for p in files if fsdd_index(p) < 45]
        else:
            val, trn = files[:n_val], files[n_val:]
        s_tr, used_tr = build_stream(trn, sr, rng, max_s)
        s_va, used_va = build_stream(val, sr, rng, 60.0)
        out["speech_%s_train" % name] = mulaw_encode(s_tr)
        out["speech_%s_val" % name] = mulaw_encode(s_va)
        meta["corpora"][name] = {"rate": sr, "train_s": len(s_tr) / sr, "val_s": len(s_va) / sr,
                                 "train_files": used_tr, "val_files": used_va}
        print("%-32s %5d Hz  train %7.1f s (%4d files)  val %5.1f s" %
              (name, sr, len(s_tr) / sr, len(used_tr), len(s_va) / sr), flush=True)

    # Noise: every allowed file (usable part), 16 kHz, channels kept separately.
    noise_files = sorted(glob.glob(os.path.join(SHARED, "noise", "**", "*"), recursive=True))
    noise_files = [p for p in noise_files if os.path.isfile(p) and p.lower().endswith((".wav", ".flac"))]
    reserved_whole = [os.path.join(SHARED, r) for r in sorted(man["noise_whole"] | wb["noise_whole"])
                      if not r.endswith(".opus")]
    res_sigs = []
    for p in reserved_whole:
        if os.path.exists(p):
            sr, x = read_wav(p)
            res_sigs.append(to_rate(x if x.ndim == 1 else x[:, 0], sr, 16000))
    pst = {}  # psTool session streams
    noise_tr, noise_va, names_tr = [], [], []
    for p in noise_files:
        rel = os.path.relpath(p, SHARED)
        usable = noise_allowed(rel, man)
        if usable is None:
            continue
        sr, x = read_wav(p)
        chans = [x] if x.ndim == 1 else [x[:, c] for c in range(x.shape[1])]
        for ci, c in enumerate(chans):
            c = c[: int(min(len(c), usable * sr))] if np.isfinite(usable) else c
            c = to_rate(c, sr, 16000)
            c = c - c.mean()
            assert not is_copy_of_reserved(c, res_sigs), "%s matches a reserved noise file" % rel
            if rel.startswith("noise/psTool/"):
                base = os.path.basename(rel)
                sid = base[:19] if base.startswith("2019-") else (base[:5] if base[:5].isdigit() else base)
                sess = rel.split("/")[2] + ":" + sid
                pst.setdefault(sess, []).append(c)
                continue
            nm = rel + ("" if len(chans) == 1 else "#ch%d" % ci)
            if len(c) > 16000 * 20:              # long files: last 8% of the usable part -> validation
                k = int(len(c) * 0.92)
                noise_tr.append(c[:k]); names_tr.append(nm)
                noise_va.append(c[k:])
            else:
                noise_tr.append(c); names_tr.append(nm)
            meta["noise"][nm] = len(c) / 16000
    for sess, cl in sorted(pst.items()):
        s = np.concatenate(cl)
        noise_tr.append(s); names_tr.append("psTool/" + sess)
        meta["noise"]["psTool/" + sess] = len(s) / 16000
    def pack_list(lst, key):
        lens = np.array([len(a) for a in lst], np.int64)
        cat = np.concatenate(lst)
        scale = 0.99 / max(1e-9, float(np.max(np.abs(cat))))
        # 8-bit mu-law: its -38 dB quantisation floor is part of a noise, never of a target, and
        # the level is random in training anyway; halves the transfer to the training machine.
        out[key] = mulaw_encode(cat * scale)
        out[key + "_lens"] = lens
    pack_list(noise_tr, "noise_train")
    pack_list(noise_va, "noise_val")
    meta["noise_train_names"] = names_tr
    ir_sr, ir = read_wav(os.path.join(SHARED, "noise", "torch-audiomentations", "ir", "impulse_response_0.wav"))
    out["rir_real"] = to_rate(ir, ir_sr, 16000)
    # Wideband speech and real ambiences: the original Opus bytes, in the second file.
    opus_out = {}
    trn, val, counts = speechocean_selection(wb, rng)
    meta["opus"] = {"speechocean762": {"rate": 16000, "min_bandwidth_hz": SO_MIN_BANDWIDTH_HZ,
                                       "min_snr_db": SO_MIN_SNR_DB, **counts}}
    for split, rows in (("train", trn), ("val", val)):
        blobs = [open(so_path(r), "rb").read() for r in rows]
        opus_out["speech_speechocean762_%s" % split], opus_out["speech_speechocean762_%s_offs" % split], \
            opus_out["speech_speechocean762_%s_lens" % split] = opus_io.pack_bytes(blobs)
        meta["opus"]["speechocean762"]["%s_files" % split] = [os.path.relpath(so_path(r), SHARED) for r in rows]
        meta["opus"]["speechocean762"]["%s_s" % split] = sum(float(r["seconds"]) for r in rows)
        print("%-32s 16000 Hz  %s %7.1f s (%4d files, %d speakers)" %
              ("speechocean762 (Opus)", split, sum(float(r["seconds"]) for r in rows), len(rows),
               len({r["speaker"] for r in rows})), flush=True)
    amb = sorted(glob.glob(os.path.join(SHARED, "noise", "moodist", "*.opus")))
    amb = [p for p in amb if noise_allowed(os.path.relpath(p, SHARED), man) is not None]
    opus_out["noise_moodist"], opus_out["noise_moodist_offs"], opus_out["noise_moodist_lens"] = \
        opus_io.pack_bytes([open(p, "rb").read() for p in amb])
    meta["opus"]["moodist"] = [os.path.relpath(p, SHARED) for p in amb]
    print("%-32s %d files (Opus, training only)" % ("moodist ambiences", len(amb)), flush=True)
    opus_path = opus_pack_path(args.out)
    os.makedirs(os.path.dirname(os.path.abspath(opus_path)), exist_ok=True)
    np.savez(opus_path, **opus_out)
    hours = sum(v["train_s"] for v in meta["corpora"].values()) / 3600
    meta["speech_train_hours_wideband"] = meta["opus"]["speechocean762"]["train_s"] / 3600
    meta["speech_train_hours"] = hours
    meta["noise_train_s"] = float(sum(len(a) for a in noise_tr) / 16000)
    out["meta_json"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    np.savez_compressed(args.out, **out)
    print("speech train %.3f h mu-law + %.3f h wideband Opus, noise train %.1f s (%d sources) + %d ambiences; "
          "packs %s: %.1f MiB, %s: %.1f MiB" %
          (hours, meta["speech_train_hours_wideband"], meta["noise_train_s"], len(noise_tr), len(amb),
           args.out, os.path.getsize(args.out) / 2**20, opus_path, os.path.getsize(opus_path) / 2**20))
    check_pack(args.out, man)


def opus_pack_path(pack):
    return pack[:-4] + "_opus.npz" if pack.endswith(".npz") else pack + "_opus.npz"


def is_copy_of_reserved(x, res_sigs, n=8000):
    """True if the first second of x appears (|normalised correlation| > 0.95) in a reserved signal."""
    if len(x) < n:
        return False
    a = x[:n]
    na = np.sqrt(np.sum(a * a)) + 1e-12
    for r in res_sigs:
        if len(r) < n:
            continue
        c = fftconvolve(r, a[::-1], mode="valid")
        e = np.sqrt(np.maximum(fftconvolve(r * r, np.ones(n), mode="valid"), 0)) + 1e-12
        if np.max(np.abs(c) / (e * na)) > 0.95:
            return True
    return False


def check_pack(path, man):
    """Leak check: no file of the pack is reserved by the dev MANIFEST (asserts)."""
    z = np.load(path)
    meta = json.loads(bytes(z["meta_json"]).decode())
    n = 0
    for name, c in meta["corpora"].items():
        for p in c["train_files"] + c["val_files"]:
            assert speech_allowed(p, man), "LEAK: %s is a dev-set speech file" % p
            assert os.path.realpath(p) not in man["speech"], "LEAK: %s" % p
            n += 1
    so = meta.get("opus", {}).get("speechocean762", {})
    for rel in so.get("train_files", []) + so.get("val_files", []):
        spk = rel.split("/")[2]
        assert spk not in man["so_speakers"], "LEAK: %s is a devset-wb speaker" % rel
        n += 1
    for rel in meta.get("opus", {}).get("moodist", []):
        assert noise_allowed(rel, man) is not None, "LEAK: reserved ambience %s" % rel
    for nm in meta["noise"]:
        if nm.startswith("psTool/"):
            cls, sess = nm[len("psTool/"):].split(":")
            assert not sess.startswith(PSTOOL_SESSIONS[cls]), "LEAK: reserved psTool session %s" % nm
            continue
        rel = nm.split("#")[0]
        assert noise_allowed(rel, man) is not None, "LEAK: reserved noise %s" % rel
        lim = noise_allowed(rel, man)
        assert meta["noise"][nm] <= lim + 1e-6, "LEAK: %s uses %.2f s > %.2f s" % (nm, meta["noise"][nm], lim)
    print("leak check OK: %d speech files, %d noise sources + %d ambiences, none reserved by %s or %s" %
          (n, len(meta["noise"]), len(meta.get("opus", {}).get("moodist", [])), MANIFEST, WB_MANIFEST))


if __name__ == "__main__":
    main()
