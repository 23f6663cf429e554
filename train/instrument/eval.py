#!/usr/bin/python3
"""Held-out evaluation of the instrument timbres (issue #7 metrics), CPU.

    /usr/bin/python3 train/instrument/eval.py --data .devdata_inst --models presets/instruments \
        --gru out/inst --statewave build/statewave --json train/instrument/results/eval.json

For every timbre, on its HELD-OUT segments/phrases only (never trained on, never used to pick a model):
  * multi-resolution STFT distance (ddsp.mr_stft_distance, at --rate, default 24 kHz, lower is better) to the reference
    recording (fluidsynth render, or the real recording for cello_real), mean over 4 s segments;
  * audio-mode outputs (and the additive baseline, which uses the same lagging analysis) are advanced
    by the transfer latency the C engine reports, as `statewave transfer` does;
  * f0 error: |cents| between YIN (features.py) on the output and on the reference, median over
    frames voiced in both.
Systems:
  additive  a plain additive synth given the reference's f0 and loudness (1/k harmonic spectrum below
            12 kHz, frame power = the loudness feature), no noise;
  gru/ssm   the control nets (GRU baseline of equal MACs, shipped SSM) in audio mode (f0 + loudness
            + tracker features, the same information the additive baseline gets) and in MIDI mode
            (note features only: the net must invent the dynamics);
  ssm-C     `statewave synth PHRASE.mid --timbre T --rate 24000 --reverb 0`, the shipped C path,
            against the fluidsynth render of the same held-out MIDI phrase (MIDI timbres only).
Noise is seeded, so runs repeat exactly.
--rate R evaluates at R on packs built at R (build_data.py --rate R): every system is synthesized at
R, each model with its own training rate (task_params.sample_rate: a 24 kHz model has nothing above
12 kHz at R = 48000); the additive baseline's harmonics reach R/2. Scores at different rates are not
comparable with each other (the STFT sizes cover other bands and durations).
"""
import argparse
import glob
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.abspath(os.path.join(HERE, "..")))
import ddsp  # noqa: E402
import features as FT  # noqa: E402
import model as M  # noqa: E402
from swtorch.export import load_model  # noqa: E402

SR = ddsp.SR_TRAIN        # the evaluation rate (--rate)
HOP = SR // ddsp.CONTROL_RATE


def set_rate(sr):
    global SR, HOP
    SR, HOP = int(sr), int(sr) // ddsp.CONTROL_RATE


def model_rate(net):
    return int(getattr(net, "config", {}).get("task_params", {}).get("sample_rate", ddsp.SR_TRAIN))


def additive(pitch, feats):
    """[T] semitones, [T,8] audio-mode features -> audio [T*HOP] (1/k spectrum, power from loudness)."""
    T = pitch.shape[0]
    f0 = ddsp.pitch_to_hz(pitch)
    L = feats[:, 6] * 60.0 - 60.0
    power = torch.pow(10.0, L / 10.0)
    k = torch.arange(1, ddsp.N_HARMONICS + 1, dtype=torch.float32)
    w = (1.0 / k).expand(T, -1) * ((k * f0.unsqueeze(-1)) < SR / 2)
    norm = torch.sqrt(2.0 * power / (w.pow(2).sum(-1) + 1e-12))
    a = w * norm.unsqueeze(-1)
    return ddsp.harmonic(a.unsqueeze(0), f0.unsqueeze(0), SR, HOP)[0]


def f0_error_cents(y, ref):
    n = len(ref) // HOP
    fy, vy = FT.yin(np.asarray(y, np.float64), SR, n)
    fr, vr = FT.yin(np.asarray(ref, np.float64), SR, n)
    both = np.asarray(vy, bool) & np.asarray(vr, bool)
    if both.sum() == 0:
        return float("nan"), 0
    c = 1200.0 * np.abs(np.log2(np.asarray(fy)[both] / np.asarray(fr)[both]))
    return float(np.median(c)), int(both.sum())


def transfer_latency(pitch_range, sr=SR):
    """The delay sw_transfer_latency reports (dsp/engines/synth.c): tau_max + W/2 - T0/2 + one control frame,
    T0 the period at the centre of the model's pitch range. Audio-mode outputs are advanced by it
    before comparison, as `statewave transfer` does."""
    tau_min, tau_max, W, _ = FT.yin_params(sr)
    f0 = 440.0 * 2 ** ((0.5 * (pitch_range[0] + pitch_range[1]) - 69) / 12)
    return int(round(tau_max + 0.5 * W - 0.5 * sr / f0 + sr / ddsp.CONTROL_RATE))


def advance(y, lat):
    return torch.cat([y[lat:], torch.zeros(lat, dtype=y.dtype)])


def wav_float(a):
    if a.dtype == np.int16:
        return a.astype(np.float32) / 32768.0
    if a.dtype == np.int32:
        return a.astype(np.float32) / 2147483648.0
    return a.astype(np.float32)


def mrstft(y, ref):
    with torch.no_grad():
        return float(ddsp.mr_stft_distance(torch.as_tensor(y, dtype=torch.float32)[None],
                                           torch.as_tensor(ref, dtype=torch.float32)[None]))


def eval_segments(z, nets, lat, seed=7):
    """Mean MR-STFT and median f0 error per system over the held-out segments of one pack."""
    audio = z["audio"].astype(np.float32) / 32768.0
    res = {}
    gen = torch.Generator().manual_seed(seed)
    for s in range(audio.shape[0]):
        ref = audio[s]
        if np.sqrt(np.mean(ref ** 2)) < 1e-4:      # an all-padding segment says nothing
            continue
        outs = {}
        af = torch.tensor(z["audio_feats"][s].astype(np.float32))
        ap = torch.tensor(z["yin_pitch"][s].astype(np.float32))
        outs["additive"] = advance(additive(ap, af), lat)
        with torch.no_grad():
            for name, net in nets.items():
                for mode, fk, pk in (("audio", "audio_feats", "yin_pitch"), ("midi", "midi_feats", "midi_pitch")):
                    f = torch.tensor(z[fk][s].astype(np.float32))[None]
                    p = torch.tensor(z[pk][s].astype(np.float32))[None]
                    o = net(f)
                    y = ddsp.synthesize(o, ddsp.pitch_to_hz(p), sr=SR, sr_train=model_rate(net), gen=gen)[0]
                    outs["%s-%s" % (name, mode)] = advance(y, lat) if mode == "audio" else y
        for k, y in outs.items():
            d = res.setdefault(k, {"mrstft": [], "cents": []})
            d["mrstft"].append(mrstft(y, ref))
            c, n = f0_error_cents(y.numpy(), ref)
            if n:
                d["cents"].append(c)
    return {k: {"mrstft": float(np.mean(v["mrstft"])), "f0_cents_median": float(np.median(v["cents"])),
                "segments": len(v["mrstft"])} for k, v in res.items()}


def eval_c(statewave, timbre, heldout_dir, models_dir):
    """The shipped C path on the held-out MIDI phrases: mean MR-STFT over 4 s windows and median f0 error."""
    from scipy.io import wavfile
    from scipy.signal import resample_poly
    mids = sorted(glob.glob(os.path.join(heldout_dir, timbre, "*.mid")))
    if not mids:
        return None
    d, cents = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for mid in mids:
            wav = mid[:-4] + ".wav"
            sr, ref = wavfile.read(wav)
            ref = wav_float(ref)
            if ref.ndim > 1:
                ref = ref.mean(1)
            if sr != SR:
                ref = resample_poly(ref, SR, sr).astype(np.float32)
            out = os.path.join(tmp, "o.wav")
            cmd = [statewave, "synth", mid, "-o", out, "--rate", str(SR), "--reverb", "0", "-q",
                   "--model", os.path.join(models_dir, timbre + ".safetensors")]
            subprocess.run(cmd, check=True)
            _, y = wavfile.read(out)
            y = wav_float(y)
            n = min(len(y), len(ref))
            y, r = y[:n], ref[:n]
            W = 4 * SR
            for i in range(0, n - W // 2, W):
                if np.sqrt(np.mean(r[i:i + W] ** 2)) < 1e-4:
                    continue
                d.append(mrstft(y[i:i + W], r[i:i + W]))
            c, k = f0_error_cents(y, r)
            if k:
                cents.append(c)
    return {"mrstft": float(np.mean(d)), "f0_cents_median": float(np.median(cents)), "phrases": len(mids)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=".devdata_inst")
    ap.add_argument("--models", default="presets/instruments")
    ap.add_argument("--gru", default="", help="folder with <timbre>_gru.pt or <timbre>_gru/<timbre>_gru.pt (baselines)")
    ap.add_argument("--statewave", default="", help="statewave binary: also evaluate the C path")
    ap.add_argument("--timbres", default="violin,flute,trumpet,cello")
    ap.add_argument("--json", default="")
    ap.add_argument("--rate", type=int, default=ddsp.SR_TRAIN, help="evaluation rate; the packs in --data must have it")
    args = ap.parse_args()
    set_rate(args.rate)
    torch.set_num_threads(2)
    table = {}
    for t in args.timbres.split(","):
        pack = os.path.join(args.data, "%s_heldout.npz" % t)
        mpath = os.path.join(args.models, "%s.safetensors" % t)
        if not (os.path.exists(pack) and os.path.exists(mpath)):
            print("skip %s (no held-out pack or model)" % t)
            continue
        nets = {"ssm": load_model(mpath).eval()}
        cands = [os.path.join(args.gru, "%s_gru.pt" % t), os.path.join(args.gru, "%s_gru" % t, "%s_gru.pt" % t)]
        gp = next((c for c in cands if args.gru and os.path.exists(c)), "")
        if gp:
            st = torch.load(gp, map_location="cpu")
            g = M.GRUControl(st["hidden"])
            g.load_state_dict(st["state_dict"])
            nets["gru"] = g.eval()
        z = np.load(pack)
        if int(z["sample_rate"]) != SR:
            sys.exit("eval: %s is a %d Hz pack, --rate is %d" % (pack, int(z["sample_rate"]), SR))
        row = eval_segments(z, nets, transfer_latency(nets["ssm"].config["task_params"]["pitch_range"], SR))
        if t != "cello_real":
            # how far the reference itself is from the MIDI pitch (vibrato in the sample, tuning, YIN
            # lag on bends): MIDI-mode oscillators play the MIDI pitch exactly, so this bounds them
            on = z["voiced"].astype(bool) & (z["midi_feats"][..., 2] > 0.5)
            dev = 100.0 * np.abs(z["midi_pitch"] - z["yin_pitch"])[on]
            row["reference-vs-midi-pitch"] = {"f0_cents_median": float(np.median(dev)), "frames": int(on.sum())}
        if args.statewave and t != "cello_real":
            c = eval_c(args.statewave, t, os.path.join(args.data, "heldout"), args.models)
            if c:
                row["ssm-C-midi"] = c
        table[t] = row
        print(t, json.dumps(row, indent=1), flush=True)
    if args.json:
        os.makedirs(os.path.dirname(args.json) or ".", exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(table, f, indent=1)


if __name__ == "__main__":
    main()
