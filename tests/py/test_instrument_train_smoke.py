#!/usr/bin/python3
"""Instrument training smoke test (CPU, tiny, ~40 s): train/instrument end to end without a GPU.

A tiny data pack is made from a synthetic monophonic phrase (a 1/k-spectrum tone with an attack/decay
envelope per note, 24 kHz) and its MIDI-mode and audio-mode features (features.py). train.py runs
for a few hundred steps on it (the real recipe, smaller batch), then finetune_long.py (stage 2) for a
few steps; checks:
  - the MR-STFT loss falls by at least LOSS_DROP (start vs end of the log);
  - the exported file is a valid Statewave model (swtorch load_model round trip, same outputs);
  - stage 2 runs from that file, moves the weights and keeps its task_params;
  - when build/statewave exists, `statewave synth --model` renders a MIDI file with it (C loads the
    exported config and weights) and the output is finite and not silent.
Exits non-zero with a message on failure.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "train", "instrument"))
sys.path.insert(0, os.path.join(REPO, "train"))
import ddsp  # noqa: E402
import features as FT  # noqa: E402
from swtorch.export import load_model  # noqa: E402

LOSS_DROP = 1.3
STEPS = 60
SR = 24000
T = 1000                    # frames per segment (4 s)


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def phrase(seed):
    rng = np.random.default_rng(seed)
    notes, t = [], 0.1
    while t < 3.5:
        dur = rng.uniform(0.2, 0.6)
        notes.append((t, t + dur, float(rng.integers(55, 80)), int(rng.integers(40, 127))))
        t += dur + rng.uniform(0.0, 0.2)
    x = np.zeros(T * 96)
    for on, off, p, v in notes:
        f0 = 440.0 * 2 ** ((p - 69) / 12)
        n0, n1 = int(on * SR), min(int((off + 0.15) * SR), len(x))
        tt = np.arange(n1 - n0) / SR
        env = (v / 127.0) * (1 - np.exp(-tt / 0.02)) * np.where(tt < off - on, 1.0, np.exp(-(tt - (off - on)) / 0.05))
        tone = sum(np.sin(2 * np.pi * k * f0 * tt) / k for k in range(1, 12) if k * f0 < SR / 2)
        x[n0:n1] += 0.3 * env * tone
    return notes, x


def make_pack(path, n_seg=3):
    cols = {k: [] for k in ("audio", "midi_feats", "audio_feats", "midi_pitch", "yin_pitch")}
    for s in range(n_seg):
        notes, x = phrase(s)
        cols["audio"].append(np.clip(x * 32767, -32768, 32767).astype(np.int16))
        cols["midi_feats"].append(FT.midi_features(notes, [], T))
        cols["midi_pitch"].append(FT.midi_pitch(notes, [], T))
        af, yp = FT.audio_features(x, SR, T)[:2]
        cols["audio_feats"].append(af)
        cols["yin_pitch"].append(yp)
    arrs = {k: np.stack(v).astype(np.float32 if k != "audio" else np.int16) for k, v in cols.items()}
    arrs["phrase_id"] = np.arange(n_seg, dtype=np.int32)       # one segment per phrase
    arrs["seg_index"] = np.zeros(n_seg, dtype=np.int32)
    np.savez(path, **arrs)


def main():
    torch.set_num_threads(2)
    with tempfile.TemporaryDirectory() as tmp:
        make_pack(os.path.join(tmp, "smoke_train.npz"))
        out = os.path.join(tmp, "run")
        r = subprocess.run([sys.executable, os.path.join(REPO, "train/instrument/train.py"), "--data", tmp,
                            "--timbre", "smoke", "--arch", "ssm", "--steps", str(STEPS), "--minutes", "10",
                            "--batch", "4", "--crop-frames", "100", "--lr", "3e-3", "--out", out,
                            "--device", "cpu", "--log-every", "10"], capture_output=True, text=True)
        if r.returncode:
            fail("train.py failed:\n" + r.stdout + r.stderr)
        log = [json.loads(l) for l in open(os.path.join(out, "log.jsonl"))]
        first, last = log[0]["loss"], log[-1]["loss"]
        print("loss %.3f -> %.3f over %d steps" % (first, last, log[-1]["step"]))
        if not first > LOSS_DROP * last:
            fail("loss did not fall by x%.2f" % LOSS_DROP)
        path = os.path.join(out, "smoke.safetensors")
        net = load_model(path)
        if net.config["task"] != "synth" or net.config["task_params"]["n_harmonics"] != ddsp.N_HARMONICS:
            fail("exported config is not a synth model")
        feats = torch.tensor(np.load(os.path.join(tmp, "smoke_train.npz"))["midi_feats"][:1, :200])
        with torch.no_grad():
            y = net(feats)
        if not torch.isfinite(y).all():
            fail("reloaded model gives non-finite outputs")
        print("export/reload OK (%d params)" % sum(p.numel() for p in net.parameters()))
        # Stage 2 (held notes) on the same pack: whole phrases from their start, a few steps.
        out2 = os.path.join(tmp, "run2")
        r = subprocess.run([sys.executable, os.path.join(REPO, "train/instrument/finetune_long.py"), "--data",
                            tmp, "--timbre", "smoke", "--init", path, "--steps", "3", "--batch", "2",
                            "--seconds", "4", "--window", "1", "--out", out2, "--device", "cpu"],
                           capture_output=True, text=True)
        if r.returncode:
            fail("finetune_long.py failed:\n" + r.stdout + r.stderr)
        net2 = load_model(os.path.join(out2, "smoke.safetensors"))
        if net2.config["task_params"] != net.config["task_params"]:
            fail("stage 2 changed task_params: %s vs %s" % (net2.config["task_params"], net.config["task_params"]))
        moved = max(float((a - b).abs().max()) for a, b in zip(net2.state_dict().values(), net.state_dict().values()))
        if not moved > 0:
            fail("stage 2 did not change any weight")
        print("stage 2 OK (weights moved by up to %.2g, task_params kept)" % moved)
        sw = os.path.join(REPO, "build", "statewave")
        if os.path.exists(sw):
            import mido
            mid = mido.MidiFile()
            tr = mido.MidiTrack()
            mid.tracks.append(tr)
            for n in (60, 64, 67):
                tr.append(mido.Message("note_on", note=n, velocity=100, time=0))
                tr.append(mido.Message("note_off", note=n, velocity=0, time=240))
            mpath, wpath = os.path.join(tmp, "s.mid"), os.path.join(tmp, "s.wav")
            mid.save(mpath)
            r = subprocess.run([sw, "synth", mpath, "-o", wpath, "--model", path, "-q"],
                               capture_output=True, text=True)
            if r.returncode:
                fail("statewave synth could not use the exported model:\n" + r.stdout + r.stderr)
            from scipy.io import wavfile
            _, a = wavfile.read(wpath)
            a = a.astype(np.float64)
            if not np.all(np.isfinite(a)) or np.abs(a).max() == 0:
                fail("C render of the exported model is silent or non-finite")
            print("C render OK (%d samples, peak %.3g)" % (len(a), np.abs(a).max()))
        else:
            print("build/statewave not built: C render check not run")
    print("PASS")


if __name__ == "__main__":
    main()
