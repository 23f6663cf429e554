#!/usr/bin/python3
"""Event sequences for the composer: ../shared/data/midi/{piano,nottingham} -> .devdata_compose/.

    /usr/bin/python3 train/compose/build_data.py [--seed 1] [--out .devdata_compose]

The split is BY PIECE (seeded): for each corpus a test and a validation set of whole pieces that
training never sees. Nottingham has byte-identical duplicate tunes; files are grouped by content
so that copies land on the same side. Training pieces are encoded at five tempo stretches
(0.9 .. 1.1; transposition is done on the fly by the trainer), validation and test at 1.0.

Output compose_data.npz: for each split S in (train, val, test): S_tokens int16 [total] (the
pieces one after another, no START) and S_offsets int64 [pieces + 1]; S_corpus int8 [pieces]
(0 piano, 1 nottingham). manifest.json lists the pieces of each split.
"""
import argparse
import glob
import hashlib
import json
import os
import random
import sys
from multiprocessing import Pool

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "sashimi"))
import events as E  # noqa: E402
import midi  # noqa: E402

DATA = os.path.join(ROOT, "..", "shared", "data", "midi")
STRETCHES = (0.9, 0.95, 1.0, 1.05, 1.1)
CORPORA = (("piano", "piano/midis/*/*.mid", 34, 17), ("nottingham", "nottingham/full/*.mid", 100, 50))


def encode_job(job):
    path, stretches = job
    try:
        notes = E.notes_from_events(midi.read(path))
    except midi.MidiError as e:
        print("skip %s: %s" % (path, e), file=sys.stderr)
        return path, []
    return path, [np.asarray(E.encode(notes, s), dtype=np.int16) for s in stretches]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default=os.path.join(ROOT, ".devdata_compose"))
    ap.add_argument("--limit", type=int, default=0, help="pieces per corpus (0: all; for smoke tests)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    split = {"train": [], "val": [], "test": []}
    for ci, (name, pattern, n_test, n_val) in enumerate(CORPORA):
        files = sorted(glob.glob(os.path.join(DATA, pattern)))
        if not files:
            raise SystemExit("no MIDI files at %s" % os.path.join(DATA, pattern))
        groups = {}
        for f in files:
            with open(f, "rb") as fh:
                groups.setdefault(hashlib.sha1(fh.read()).hexdigest(), []).append(f)
        keys = sorted(groups)
        rnd.shuffle(keys)
        if args.limit:
            keys = keys[:args.limit]
            n_test, n_val = max(1, args.limit // 10), max(1, args.limit // 10)
        parts = {"test": keys[:n_test], "val": keys[n_test:n_test + n_val], "train": keys[n_test + n_val:]}
        for s, ks in parts.items():
            for k in ks:
                # one representative per duplicate group: copies would only weight a tune twice
                split[s].append((ci, groups[k][0]))
    os.makedirs(args.out, exist_ok=True)
    arrays, manifest = {}, {"seed": args.seed, "vocab": E.VOCAB, "stretches": STRETCHES}
    with Pool(args.jobs) as pool:
        for s, items in split.items():
            stretches = STRETCHES if s == "train" else (1.0,)
            res = pool.map(encode_job, [(p, stretches) for _, p in items])
            toks, offs, corp, names = [], [0], [], []
            for (ci, p), (_, seqs) in zip(items, res):
                for seq in seqs:
                    if len(seq) < 64:
                        continue
                    toks.append(seq)
                    offs.append(offs[-1] + len(seq))
                    corp.append(ci)
                if seqs:
                    names.append(os.path.relpath(p, DATA))
            arrays[s + "_tokens"] = np.concatenate(toks)
            arrays[s + "_offsets"] = np.asarray(offs, dtype=np.int64)
            arrays[s + "_corpus"] = np.asarray(corp, dtype=np.int8)
            manifest[s] = sorted(names)
            print("%s: %d pieces, %d sequences, %d tokens" % (s, len(names), len(toks), offs[-1]), flush=True)
    assert not set(manifest["train"]) & set(manifest["test"]), "a test piece is in train"
    assert not set(manifest["train"]) & set(manifest["val"]), "a validation piece is in train"
    np.savez_compressed(os.path.join(args.out, "compose_data.npz"), **arrays)
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()
