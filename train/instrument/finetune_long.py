#!/usr/bin/python3
"""Stage 2 of an instrument timbre: teach it to hold notes (issue 12, "sustain").

    /usr/bin/python3 train/instrument/finetune_long.py --data .devdata_inst --timbre violin \
        --init presets/instruments/violin.safetensors --minutes 10 --out out/inst_long/violin

Why: stage 1 (train.py) trains on 2 s crops of 4 s segments whose longest note is 3.2 s, so the
recurrent state never ran longer than 2 s and the age feature (saturating at 4 s) never reached
its end value. Held longer, the notes die (train/instrument/sustain.py measures it). This stage
continues from the stage-1 model on whole phrases from their start (zero state, as in the
engine), up to --seconds long:
  - long-note phrases made here: 1-3 notes held 5-24 s each across the timbre's range, random
    velocities, about half with a delayed pitch-bend vibrato, rendered by fluidsynth exactly as
    build_data.py renders (FluidR3_GM, same gain, 24 kHz) and analysed by the same code; seeded,
    cached in DATA/<timbre>_long<N>_s<seed>.npz;
  - the stage-1 training phrases, whole (their segments joined again), so nothing already learned
    is dropped.
Half of each batch is MIDI mode, half audio mode, as in stage 1; same loss (multi-resolution STFT
distance to the recording). Writes OUT/<timbre>.safetensors with the init file's task and
task_params, and OUT/ckpt.pt (resumable with --resume).

--rate R (default 24000) trains at rate R: DATA must hold packs built with build_data.py --rate R, the
long-note phrases are rendered at R, and an --init model of another rate is moved to R first
(ddsp.remap_rate: its noise-band rows re-placed on the new band grid, task_params.sample_rate = R).
"""
import argparse
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.abspath(os.path.join(HERE, "..")))
import ddsp  # noqa: E402
from instrument import build_data as BD  # noqa: E402
from instrument import render as R  # noqa: E402
import trainutil as TU  # noqa: E402
from swtorch.export import load_model, save_model  # noqa: E402


def long_phrase(rng, lo, hi):
    """1-3 held notes of 5-24 s with short rests; about half with vibrato (5-6 Hz, 10-40 cents)."""
    notes, bends = [], []
    t = R.q(rng.uniform(0.05, 0.3))
    for _ in range(int(rng.integers(1, 4))):
        d = rng.uniform(5.0, 24.0)
        p = int(rng.integers(lo, hi + 1))
        notes.append((R.q(t), R.q(t + d), p, int(rng.integers(40, 128))))
        if rng.random() < 0.5:
            bends += R._vibrato(rng, t, t + d, depth=rng.uniform(0.1, 0.4))
        t = t + d + rng.uniform(0.2, 1.5)
        if t > 26.0:
            break
    return {"notes": notes, "bends": bends}


def build_long(data, timbre, n_phrases, seed):  # at BD.SR (build_data.set_rate)
    """The long-note pack of a General MIDI timbre (cached in DATA/<timbre>_long<N>_s<seed>.npz;
    the first k phrases of a larger N are the phrases of N = k)."""
    path = os.path.join(data, "%s_long%d_s%d.npz" % (timbre, n_phrases, seed))
    if os.path.exists(path):
        return path
    program, lo, hi = R.TIMBRES[timbre]
    rng = np.random.default_rng(seed)
    pack = BD.Pack()
    for i in range(n_phrases):
        ph = R.sanitize(long_phrase(rng, lo, hi))
        x = R.render_phrase(ph, program, BD.SR, BD.GAIN)
        if float(np.abs(x).max()) >= 0.99:
            raise RuntimeError("%s long phrase %d would clip" % (timbre, i))
        x16 = BD.to_int16(BD.pad_to_segments(x))
        pack.add("%s_long_%03d" % (timbre, i), x16, BD.analyse(x16, ph["notes"], ph["bends"]))
    info = pack.save(path)
    print("%s: %d long phrases, %.0f s -> %s" % (timbre, n_phrases, info["seconds"], path), flush=True)
    return path


class Phrases:
    """Whole phrases (segments joined in order) of one or more packs, on the training device."""

    def __init__(self, paths, device):
        self.items = []   # (audio [L], feats [2][T, 8], pitch [2][T])
        self.sr = None
        for path in paths:
            z = np.load(path)
            sr = int(z["sample_rate"]) if "sample_rate" in z else ddsp.SR_TRAIN
            if self.sr not in (None, sr):
                raise ValueError("%s: rate %d, other packs %d" % (path, sr, self.sr))
            self.sr = sr
            pid, seg = z["phrase_id"], z["seg_index"]
            for p in np.unique(pid):
                idx = np.nonzero(pid == p)[0]
                idx = idx[np.argsort(seg[idx])]
                audio = np.concatenate(z["audio"][idx]).astype(np.float32) / 32768.0
                feats = [np.concatenate(z[k][idx]).astype(np.float32) for k in ("midi_feats", "audio_feats")]
                pitch = [np.concatenate(z[k][idx]).astype(np.float32) for k in ("midi_pitch", "yin_pitch")]
                self.items.append((torch.tensor(audio, device=device),
                                   [torch.tensor(f, device=device) for f in feats],
                                   [torch.tensor(q, device=device) for q in pitch]))
        self.hop = self.sr // ddsp.CONTROL_RATE

    def batch(self, B, T, gen, long_ids, p_long=0.6):
        """B phrases from their start, each cut or zero-padded (silence, gate 0) to T frames."""
        feats, pitch, audio = [], [], []
        for _ in range(B):
            if long_ids and float(torch.rand(1, generator=gen)) < p_long:
                i = long_ids[int(torch.randint(0, len(long_ids), (1,), generator=gen))]
            else:
                i = int(torch.randint(0, len(self.items), (1,), generator=gen))
            a, fs, ps = self.items[i]
            md = int(torch.rand(1, generator=gen) < 0.5)
            f, p = fs[md][:T], ps[md][:T]
            x = a[:T * self.hop]
            if f.shape[0] < T:   # pad with what follows the phrase's tail: silence, key up
                n = T - f.shape[0]
                last = f[-1:].clone()
                last[:, 2:] = 0.0
                f = torch.cat([f, last.expand(n, -1)])
                p = torch.cat([p, p[-1:].expand(n)])
                x = torch.cat([x, x.new_zeros(n * self.hop)])
            feats.append(f)
            pitch.append(p)
            audio.append(x)
        return torch.stack(feats), torch.stack(pitch), torch.stack(audio)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--timbre", required=True)
    ap.add_argument("--init", required=True, help="the stage-1 model file")
    TU.add_budget_args(ap, minutes=10.0, batch=4, lr=3e-4, seed=21)
    ap.add_argument("--seconds", type=float, default=16.0, help="sequence length")
    ap.add_argument("--window", type=float, default=3.0, help="seconds of each sequence scored")
    ap.add_argument("--long-phrases", type=int, default=12)
    ap.add_argument("--rate", type=int, default=ddsp.SR_TRAIN, help="training rate (Hz); DATA's packs must have it")
    ap.add_argument("--env-weight", type=float, default=0.0,
                    help="weight of the level-envelope distance (attacks and releases) added to the loss")
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    dev = torch.device(args.device)
    BD.set_rate(args.rate)
    paths = [os.path.join(args.data, "%s_train.npz" % args.timbre)]
    n_stage1 = None
    if args.timbre in R.TIMBRES:
        z = np.load(paths[0])
        n_stage1 = len(np.unique(z["phrase_id"]))
        paths.append(build_long(args.data, args.timbre, args.long_phrases, args.seed))
    data = Phrases(paths, dev)
    long_ids = list(range(n_stage1, len(data.items))) if n_stage1 is not None else []
    if data.sr != args.rate:
        sys.exit("finetune_long: %s holds %d Hz packs, --rate is %d" % (args.data, data.sr, args.rate))
    net = load_model(args.init)
    old = ddsp.remap_rate(net, args.rate)
    if old != args.rate:
        print("init %s: %d Hz model moved to %d Hz (noise bands re-placed)" % (args.init, old, args.rate))
    net = net.train().to(dev)
    opt = torch.optim.Adam(net.parameters(), lr=args.lr)
    gen = torch.Generator().manual_seed(args.seed)
    ngen = torch.Generator(device=dev).manual_seed(args.seed + 1)
    T = int(round(args.seconds * ddsp.CONTROL_RATE))
    W = min(T, int(round(args.window * ddsp.CONTROL_RATE)))
    ck = os.path.join(args.out, "ckpt.pt")
    step, elapsed = TU.resume(ck, net, opt, dev) if args.resume else (0, 0.0)
    print("%s: %d phrases (%d long), batch %d x %.0f s, %s" % (
        args.timbre, len(data.items), len(long_ids), args.batch, args.seconds, dev), flush=True)

    def loss_of():
        feats, pitch, audio = data.batch(args.batch, T, gen, long_ids)
        # The net runs over the whole sequence (its state is what is trained); the audio is
        # synthesized and scored on one window of it, anywhere up to the end, which is where
        # a dying note shows. The oscillators' phase restarts at the window; the loss compares
        # magnitudes, so that changes nothing it sees.
        o = net(feats)
        w0 = int(torch.randint(0, T - W + 1, (1,), generator=gen))
        y = ddsp.synthesize(o[:, w0:w0 + W], ddsp.pitch_to_hz(pitch[:, w0:w0 + W]), sr=data.sr,
                            sr_train=data.sr, gen=ngen)
        ref = audio[:, w0 * data.hop:(w0 + W) * data.hop]
        loss = ddsp.mr_stft_distance(y, ref)
        if args.env_weight > 0:
            loss = loss + args.env_weight * ddsp.envelope_distance(y, ref)
        return loss

    step, seconds = TU.budgeted_loop(args, net, opt, ck, step, elapsed,
                                     lambda step, frac: TU.warmup_cosine(args.lr, step, 20.0, frac, 0.1),
                                     loss_of, 10)
    net = net.cpu().eval()
    path = os.path.join(args.out, "%s.safetensors" % args.timbre)
    save_model(net, path, task=net.config["task"])   # the init file's config, task_params included
    print("wrote %s after %d steps (%.0f s)" % (path, step, seconds), flush=True)


if __name__ == "__main__":
    main()
