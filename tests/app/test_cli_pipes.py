#!/usr/bin/python3
"""statewave denoise in pipelines and batches: `-` (standard input) and `-o -` (standard output,
a WAV stream or raw with --raw-format), --jobs N and --json, on real dev-set clips. Every
result is compared sample for sample with the plain file path (`statewave denoise IN -o OUT`)."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import soundfile as sf

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SW = os.path.join(ROOT, "build", "statewave")
DEV = os.path.join(ROOT, "..", "shared", "data", "devset", "noisy")
T = 300  # seconds: a bound for any one command on a loaded machine
failed = []


def check(name, ok, detail=""):
    print(f"{'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail and not ok else ''}")
    if not ok:
        failed.append(name)


def sw(args, stdin=None, **kw):
    return subprocess.run([SW, "denoise", "-q"] + args, stdin=stdin, capture_output=True, timeout=T, **kw)


def main():
    tmp = tempfile.mkdtemp(prefix="sw_pipes.")
    try:
        clips = [os.path.join(DEV, f"{i:03d}.flac") for i in range(1, 7)]
        for c in clips:
            if not os.path.exists(c):
                print(f"FAIL missing {c} (../shared/data)")
                return 1
        x, rate = sf.read(clips[0], dtype="int16")
        wav = os.path.join(tmp, "in.wav")
        sf.write(wav, x, rate, subtype="PCM_16")
        ref = os.path.join(tmp, "ref.wav")
        p = sw([wav, "-o", ref])
        check("file path", p.returncode == 0, p.stderr.decode())
        r = sf.read(ref, dtype="int16")[0]

        # WAV on standard input -> WAV stream into a pipe
        with open(wav, "rb") as f:
            p = subprocess.Popen([SW, "denoise", "-q", "-", "-o", "-"], stdin=f, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
            out, err = p.communicate(timeout=T)
        check("- -o - exits 0", p.returncode == 0, err.decode())
        check("WAV stream header", out[:4] == b"RIFF" and out[36:44] == b"data\xff\xff\xff\xff")
        y = np.frombuffer(out[44:], dtype="<i2")
        check("- -o - (pipe) is bit-identical to the file path", np.array_equal(y, r),
              f"{len(y)} vs {len(r)} samples")
        # redirected into a file: a complete WAV
        piped = os.path.join(tmp, "redir.wav")
        with open(wav, "rb") as f, open(piped, "wb") as o:
            p = subprocess.run([SW, "denoise", "-q", "-", "-o", "-"], stdin=f, stdout=o, timeout=T)
        info = sf.info(piped)
        check("- -o - > file.wav: a complete WAV", p.returncode == 0 and info.frames == len(r) and
              np.array_equal(sf.read(piped, dtype="int16")[0], r))
        # standard input -> a file
        o2 = os.path.join(tmp, "from_stdin.flac")
        with open(wav, "rb") as f:
            p = sw(["-", "-o", o2], stdin=f)
        ref2 = os.path.join(tmp, "ref.flac")  # the same conversion to FLAC by the file path
        sw([wav, "-o", ref2])
        check("- -o FILE", p.returncode == 0 and
              np.array_equal(sf.read(o2, dtype="int16")[0], sf.read(ref2, dtype="int16")[0]), p.stderr.decode())
        # raw in, raw out
        with open(wav, "rb") as f:
            f.seek(44)
            rawin = f.read()
        assert len(rawin) == 2 * len(x)
        p = subprocess.run([SW, "denoise", "-q", "--raw-format", f"s16le:{rate}:1", "-", "-o", "-"],
                           input=rawin, capture_output=True, timeout=T)
        check("--raw-format s16le in and out", p.returncode == 0 and
              np.array_equal(np.frombuffer(p.stdout, dtype="<i2"), r), p.stderr.decode())
        # --json with -o -: the summary goes to stderr, stdout is audio only
        p = subprocess.run([SW, "denoise", "-q", "--json", "--raw-format", f"s16le:{rate}:1", "-", "-o", "-"],
                           input=rawin, capture_output=True, timeout=T)
        js = json.loads(p.stderr.decode())
        check("--json with -o - on stderr", js["done"] == 1 and abs(js["files"][0]["duration"] - len(x) / rate) < 1e-3
              and np.array_equal(np.frombuffer(p.stdout, dtype="<i2"), r))

        # --jobs 2 --json: six files and a missing one, same outputs as one at a time
        d1, d2 = os.path.join(tmp, "j1"), os.path.join(tmp, "j2")
        os.makedirs(d1)
        os.makedirs(d2)
        missing = os.path.join(tmp, "missing.flac")
        p1 = sw(["-o", d1 + "/"] + clips)
        p2 = sw(["-j", "2", "--json", "-o", d2 + "/"] + clips + [missing])
        check("--jobs 2 exits 1 (one file failed)", p1.returncode == 0 and p2.returncode == 1,
              p2.stderr.decode())
        js = json.loads(p2.stdout)
        check("--json lists every file", len(js["files"]) == 7 and js["done"] == 6 and js["failed"] == 1)
        bad = [f for f in js["files"] if f["error"]]
        check("--json carries the error", len(bad) == 1 and bad[0]["input"] == missing and
              "No such file" in bad[0]["error"] and bad[0]["output"] is None)
        same = True
        for f, c in zip(js["files"], clips):
            a = sf.read(os.path.join(d1, os.path.basename(f["output"])), dtype="int16")[0]
            b = sf.read(f["output"], dtype="int16")[0]
            same &= f["input"] == c and np.array_equal(a, b) and abs(f["duration"] - sf.info(c).duration) < 1e-3
            same &= f["seconds"] > 0
        check("--jobs 2 outputs are those of one at a time", same)
        # two inputs that would write one output: refused up front
        a_dir, b_dir = os.path.join(tmp, "a"), os.path.join(tmp, "b")
        os.makedirs(a_dir)
        os.makedirs(b_dir)
        shutil.copy(clips[0], os.path.join(a_dir, "x.flac"))
        shutil.copy(clips[1], os.path.join(b_dir, "x.flac"))
        d3 = os.path.join(tmp, "j3")
        os.makedirs(d3)
        p = sw(["-j", "2", "--json", "-o", d3 + "/", os.path.join(a_dir, "x.flac"), os.path.join(b_dir, "x.flac")])
        js = json.loads(p.stdout)
        check("--jobs: one output for two inputs is refused", p.returncode == 1 and js["done"] == 1 and
              "also the output of" in (js["files"][1]["error"] or ""), p.stderr.decode())

        # usage errors
        for args, what in ((["-", "-"], "read once"), (["-"], "needs -o"),
                           (["-o", "-", clips[0], clips[1]], "single input"),
                           (["--raw-format", "s16le:48000", "-", "-o", "-"], "ENC:RATE:CHANNELS"),
                           (["--raw-format", "s16le:48000:1", clips[0], "-o", os.path.join(tmp, "z.wav")],
                            "standard input"),
                           (["-j", "0", clips[0]], "--jobs"), (["-f", "flac", "-", "-o", "-"], "no --format")):
            p = sw(args, stdin=subprocess.DEVNULL)
            check(f"usage: {' '.join(args)[:40]}", p.returncode == 2 and what in p.stderr.decode(),
                  f"rc {p.returncode}: {p.stderr.decode()}")
        # not audio on standard input
        p = subprocess.run([SW, "denoise", "-q", "-", "-o", "-"], input=b"hello, not audio" * 10,
                           capture_output=True, timeout=T)
        check("non-audio on standard input: a clear error", p.returncode == 1 and b"standard input" in p.stderr
              or b"raw samples need --raw-format" in p.stderr, p.stderr.decode())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if failed:
        print(f"test_cli_pipes: {len(failed)} FAILED: {', '.join(failed)}")
        return 1
    print("test_cli_pipes: all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
