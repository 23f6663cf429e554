#!/usr/bin/python3
"""The composer: C and Python agree, the C engine keeps its promises, bad input gets a clear error.

1. Codec: `statewave compose --dump-tokens` (dsp/engines/compose.c sw_compose_encode, app/compose.c's note
   reading) gives exactly train/compose/events.py's tokens for 217 real MIDI files (every 3rd piano
   performance, every 10th Nottingham tune).
2. Net: teacher-forced on 3,000 tokens of a real performance, the C next-event distribution
   (build/tools/compose_probe dist) matches PyTorch's recurrent Net.step() and its parallel
   forward (what training optimised) within 1e-3 on every value, for the shipped model.
3. Sampling: the same seed gives byte-identical MIDI, another seed other notes; the key, range,
   voice and density limits hold in what is generated; nothing is left sounding past --max-note.
4. Bad input: a corrupt or truncated MIDI prompt, a model of another task and an unwritable output
   each fail with exit 1 and one clear message, and leave no output file.
Run from the repository root (make test-scripts does).
"""
import glob
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path[:0] = [os.path.join(ROOT, "train", "compose"), os.path.join(ROOT, "train", "sashimi"),
                os.path.join(ROOT, "train")]
import events as E  # noqa: E402
import midi  # noqa: E402
from swtorch.export import load_model  # noqa: E402

APP = os.path.join(ROOT, "build", "statewave")
PROBE = os.path.join(ROOT, "build", "tools", "compose_probe")
DATA = os.path.join(ROOT, "..", "shared", "data", "midi")
MODEL = os.path.join(ROOT, "presets", "compose.safetensors")
TOL = 1e-3
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def app(*args):
    return subprocess.run([APP, "compose"] + list(args), capture_output=True, text=True)


def c_tokens(path):
    r = app("--dump-tokens", "-p", path)
    if r.returncode != 0:
        raise SystemExit("dump-tokens failed on %s: %s" % (path, r.stderr))
    return [int(t) for t in r.stdout.split()]


def test_codec():
    files = (sorted(glob.glob(os.path.join(DATA, "piano", "midis", "*", "*.mid")))[::3]
             + sorted(glob.glob(os.path.join(DATA, "nottingham", "full", "*.mid")))[::10])
    assert len(files) > 100, "MIDI data missing under %s" % DATA
    bad = []
    for f in files:
        py = E.encode(E.notes_from_events(midi.read(f)))
        if c_tokens(f) != py:
            bad.append(os.path.relpath(f, DATA))
    check(not bad, "codec: C and Python tokens identical on %d MIDI files%s" % (len(files), (": " + ", ".join(bad[:5])) if bad else ""))


def test_parity(tmp):
    f = os.path.join(DATA, "piano", "midis", "Chopin", "chpn_op10_e01.mid")
    if not os.path.exists(f):
        f = sorted(glob.glob(os.path.join(DATA, "piano", "midis", "*", "*.mid")))[0]
    tok = np.array(c_tokens(f)[:3000], dtype=np.uint16)
    n = len(tok)
    tp, op = os.path.join(tmp, "tok.u16"), os.path.join(tmp, "dist.f32")
    tok.astype("<u2").tofile(tp)
    subprocess.run([PROBE, "dist", MODEL, tp, str(n), op], check=True)
    pc = np.fromfile(op, dtype=np.float32).reshape(n, E.VOCAB).astype(np.float64)
    torch.set_num_threads(1)
    net = load_model(MODEL).eval()
    inp = torch.tensor(np.concatenate([[E.START], tok[:-1]]), dtype=torch.float32).view(1, n, 1)
    rows = []
    with torch.no_grad():
        state = net.init_state(1)
        for t in range(n):
            y, state = net.step(inp[:, t], state)
            rows.append(y[0])
        ps = torch.softmax(torch.stack(rows).double(), -1).numpy()
        pp = torch.softmax(net(inp)[0].double(), -1).numpy()
    d_step, d_par = np.abs(pc - ps).max(), np.abs(pc - pp).max()
    check(d_step <= TOL, "parity: C vs PyTorch step() over %d tokens, max |dp| = %.2e (<= %g)" % (n, d_step, TOL))
    check(d_par <= TOL, "parity: C vs PyTorch parallel forward, max |dp| = %.2e (<= %g)" % (d_par, TOL))
    nll = -np.log(np.maximum(pc[np.arange(n), tok], 1e-12)).mean()
    print("     (C teacher-forced NLL on this performance: %.3f nats/event)" % nll)


def notes_of(path):
    return E.notes_from_events(midi.read(path))


def test_sampling(tmp):
    prompt = sorted(glob.glob(os.path.join(DATA, "nottingham", "full", "*.mid")))[7]
    a, b, c = (os.path.join(tmp, x) for x in ("a.mid", "b.mid", "c.mid"))
    for out, seed in ((a, 5), (b, 5), (c, 6)):
        r = app("-m", MODEL, "-p", prompt, "-s", "8", "--seed", str(seed), "-o", out, "-q")
        check(r.returncode == 0, "compose seed %d exits 0 (%s)" % (seed, r.stderr.strip()))
    same = open(a, "rb").read() == open(b, "rb").read()
    check(same, "same seed -> byte-identical MIDI")
    check(open(a, "rb").read() != open(c, "rb").read(), "another seed -> other notes")
    um = os.umask(0)
    os.umask(um)
    check(os.stat(a).st_mode & 0o777 == 0o666 & ~um, "the MIDI file has the mode of a new file (umask)")
    d = os.path.join(tmp, "d.mid")
    r = app("-m", MODEL, "-s", "20", "--seed", "3", "--key", "D", "--range", "C3-C6", "--max-voices", "3",
            "--density", "4", "--only-new", "-o", d, "-q")
    check(r.returncode == 0, "compose with limits exits 0 (%s)" % r.stderr.strip())
    notes = notes_of(d)
    d_major = {2, 4, 6, 7, 9, 11, 1}
    check(len(notes) > 0, "limits: notes were generated (%d)" % len(notes))
    check(all(p % 12 in d_major for _, _, p, _ in notes), "limits: every note in D major")
    check(all(48 <= p <= 84 for _, _, p, _ in notes), "limits: every note within C3-C6")
    ev = sorted([(on, 1) for on, _, _, _ in notes] + [(off, -1) for _, off, _, _ in notes], key=lambda e: (e[0], e[1]))
    live, most = 0, 0
    for _, k in ev:
        live += k
        most = max(most, live)
    check(most <= 3, "limits: at most 3 notes at once (%d)" % most)
    ons = np.array(sorted(n[0] for n in notes))
    dens = max(int(((ons >= t) & (ons < t + 1.0 - 1e-9)).sum()) for t in ons) if len(ons) else 0
    check(dens <= 4, "limits: at most 4 note-ons in any second (%d)" % dens)
    check(all(off - on <= 8.0 + 1e-6 for on, off, _, _ in notes), "limits: no note longer than --max-note 8 s")


def test_bad_input(tmp):
    good = sorted(glob.glob(os.path.join(DATA, "nottingham", "full", "*.mid")))[0]
    raw = open(good, "rb").read()
    cases = {"truncated.mid": raw[:len(raw) // 2 + 3], "garbage.mid": bytes(range(256)) * 4,
             "empty.mid": b""}
    for name, data in cases.items():
        p = os.path.join(tmp, name)
        with open(p, "wb") as f:
            f.write(data)
        out = os.path.join(tmp, "out_" + name)
        r = app("-m", MODEL, "-p", p, "-o", out)
        msg = r.stderr.strip().splitlines()
        check(r.returncode == 1 and len(msg) == 1 and "cannot read prompt" in msg[0] and not os.path.exists(out),
              "bad prompt %s: exit %d, one message (%s), no output" % (name, r.returncode, msg[0] if msg else ""))
    out = os.path.join(tmp, "other_task.mid")
    r = app("-m", os.path.join(ROOT, "presets", "denoise.safetensors"), "-o", out)
    check(r.returncode == 1 and "compose" in r.stderr and not os.path.exists(out),
          "a denoise model is refused: %s" % r.stderr.strip().splitlines()[-1:])
    r = app("-m", MODEL, "-s", "2", "-o", os.path.join(tmp, "no", "such", "dir", "x.mid"))
    check(r.returncode == 1 and r.stderr.strip(), "unwritable output: exit 1 with a message")
    r = app("-m", MODEL, "--key", "H#", "-o", os.path.join(tmp, "k.mid"))
    check(r.returncode == 2, "a bad key is a usage error (exit 2)")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        test_codec()
        test_parity(tmp)
        test_sampling(tmp)
        test_bad_input(tmp)
    if failures:
        print("FAILED: %d check(s)" % len(failures))
        sys.exit(1)
    print("all composer checks passed")


if __name__ == "__main__":
    main()
