#!/usr/bin/python3
"""Train the composer (an SSM over MIDI events) or one of its baselines; resumable.

    /usr/bin/python3 train/compose/train.py --arch s4d --minutes 6 --out out/compose/s4d
    /usr/bin/python3 train/compose/train.py --arch s4d --minutes 6 --out out/compose/s4d --resume
    /usr/bin/python3 train/compose/train.py --arch s4d --tiny --minutes 0.2 --out /tmp/c   # CPU smoke

--arch: s4d | lru | mamba (the C engine runs these; exported to OUT/compose.safetensors, task
"compose") | gru | transformer (PyTorch-only baselines, OUT/model.pt).

Data: .devdata_compose/compose_data.npz from build_data.py. Each step draws windows of --seq
tokens at random (every training token equally likely), transposes each by a random -5..+6
semitones that keeps it on the keyboard, and feeds [START, w_0 .. w_{T-2}] to predict w.
Windows of pieces shorter than --seq are padded and the padding is not scored.
The checkpoint OUT/ckpt.pt (weights, optimizer, step, seconds trained, best validation weights)
is written every minute; --resume continues it, also after the budget was raised.
At the end: validation and test NLL per event (nats) over every held-out piece, cut into
windows of --seq tokens that each start from START and the zero state -> OUT/results.json.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import events as E  # noqa: E402
import model as M  # noqa: E402
import trainutil as TU  # noqa: E402
from swtorch import layers as L  # noqa: E402
from swtorch.export import save_model  # noqa: E402
from swtorch.net import Net  # noqa: E402

SSM_ARCHS = ("s4d", "lru", "mamba")


def _fp32_forward(cls):
    """The recurrences (FFT kernels, scans) run in float32 also under bf16 autocast: cuFFT has no
    bf16 transform and long products of decays need the precision."""
    fwd = cls.forward

    def f(self, u):
        with torch.autocast(device_type=u.device.type, enabled=False):
            return fwd(self, u.float())
    cls.forward = f


for _cls in (L.S4D, L.LRU, L.Mamba):
    _fp32_forward(_cls)


def build(args):
    if args.arch in SSM_ARCHS:
        cfg = M.ssm_config(args.arch, args.d, args.blocks, args.n, args.block, args.expand, args.conv)
        return Net(cfg), cfg
    if args.arch == "gru":
        return M.GRUModel(args.d, args.hidden, args.layers), None
    return M.TransformerModel(args.d, args.layers, args.heads, args.ff), None


def windows(tokens, offsets, seq):
    """Held-out pieces cut into windows of at most seq tokens -> list of int64 arrays."""
    out = []
    for a, b in zip(offsets[:-1], offsets[1:]):
        for s in range(a, b, seq):
            out.append(tokens[s:min(s + seq, b)].astype(np.int64))
    return out


def nll(net, wins, dev, amp, batch=32):
    """Mean NLL per event (nats) over windows, each fed as [START, w_0 .. w_{n-2}]."""
    net.eval()
    tot, cnt = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(wins), batch):
            group = wins[i:i + batch]
            T = max(len(w) for w in group)
            y = torch.full((len(group), T), -100, dtype=torch.long)
            for j, w in enumerate(group):
                y[j, :len(w)] = torch.from_numpy(w)
            y = y.to(dev)
            x = torch.cat([torch.full_like(y[:, :1], E.START), y[:, :-1].clamp(min=0)], 1)
            with torch.autocast(device_type=dev.type, dtype=torch.bfloat16, enabled=amp):
                logits = net(x.unsqueeze(-1).float())
            tot += F.cross_entropy(logits.float().reshape(-1, E.VOCAB), y.reshape(-1), ignore_index=-100,
                                   reduction="sum").item()
            cnt += int((y >= 0).sum())
    net.train()
    return tot / max(cnt, 1)


class Sampler:
    """Random training windows on the device, transposed on the fly."""

    def __init__(self, tokens, offsets, seq, dev, gen):
        self.tok = torch.from_numpy(tokens.astype(np.int64)).to(dev)
        self.start = torch.from_numpy(offsets[:-1]).to(dev)
        self.end = torch.from_numpy(offsets[1:]).to(dev)
        lengths = (offsets[1:] - offsets[:-1]).astype(np.float64)
        self.p = torch.from_numpy(lengths / lengths.sum())
        self.seq, self.dev, self.gen = seq, dev, gen

    def batch(self, B):
        T = self.seq
        piece = torch.multinomial(self.p, B, replacement=True, generator=self.gen).to(self.dev)
        a, b = self.start[piece], self.end[piece]
        room = (b - a - T).clamp(min=0) + 1
        off = a + (torch.rand(B, generator=self.gen).to(self.dev) * room).long()
        idx = off.unsqueeze(1) + torch.arange(T, device=self.dev).unsqueeze(0)
        valid = idx < b.unsqueeze(1)
        y = self.tok[torch.minimum(idx, b.unsqueeze(1) - 1)]
        note = (y < E.SHIFT) & valid
        pitch = y % 128
        lo = torch.where(note, pitch, torch.full_like(pitch, 127)).min(1).values
        hi = torch.where(note, pitch, torch.zeros_like(pitch)).max(1).values
        shift = torch.randint(-5, 7, (B,), generator=self.gen).to(self.dev)
        shift = torch.maximum(torch.minimum(shift, 127 - hi), -lo)
        y = torch.where(note, y + shift.unsqueeze(1), y)
        y = torch.where(valid, y, torch.full_like(y, -100))
        x = torch.cat([torch.full_like(y[:, :1], E.START), y[:, :-1].clamp(min=0)], 1)
        return x, y


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", choices=SSM_ARCHS + ("gru", "transformer"), default="s4d")
    ap.add_argument("--d", type=int, default=128)
    ap.add_argument("--blocks", type=int, default=4, help="SSM blocks")
    ap.add_argument("--n", type=int, default=32, help="SSM state size (modes / d_state)")
    ap.add_argument("--block", choices=("plain", "gated", "gated_ff"), default="plain",
                    help="SSM block shape (model.py)")
    ap.add_argument("--expand", type=int, default=2, help="gated blocks: SSM width / d")
    ap.add_argument("--conv", type=int, default=4, help="gated blocks: causal conv kernel (1: none)")
    ap.add_argument("--hidden", type=int, default=224, help="GRU hidden size")
    ap.add_argument("--layers", type=int, default=2, help="GRU / Transformer layers")
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--ff", type=int, default=384)
    ap.add_argument("--seq", type=int, default=1024)
    ap.add_argument("--wd", type=float, default=0.05)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--val-every", type=float, default=60.0, help="seconds between validation runs")
    ap.add_argument("--amp", action="store_true", help="bf16 autocast (CUDA)")
    ap.add_argument("--tiny", action="store_true", help="tiny sizes and a data slice (CPU smoke test)")
    ap.add_argument("--data", default=os.path.join(ROOT, ".devdata_compose", "compose_data.npz"))
    TU.add_budget_args(ap, minutes=6.0, batch=64, lr=2e-3, seed=1)
    args = ap.parse_args()
    if args.tiny:
        args.d, args.blocks, args.n, args.hidden, args.ff, args.seq = 16, 1, 4, 16, 32, 128
        args.layers, args.heads = 1, 2
    torch.manual_seed(args.seed)
    dev = torch.device(args.device)
    if dev.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    os.makedirs(args.out, exist_ok=True)

    data = np.load(args.data)
    tr_tok, tr_off = data["train_tokens"], data["train_offsets"]
    if args.tiny:
        tr_off = tr_off[:9]
        tr_tok = tr_tok[:tr_off[-1]]
    val = windows(data["val_tokens"], data["val_offsets"], args.seq)
    test_by = {"piano": [], "nottingham": []}
    for i, c in enumerate(data["test_corpus"]):
        a, b = data["test_offsets"][i], data["test_offsets"][i + 1]
        test_by[("piano", "nottingham")[c]] += windows(data["test_tokens"], np.array([a, b]), args.seq)
    if args.tiny:
        val, test_by = val[:4], {k: v[:4] for k, v in test_by.items()}

    net, cfg = build(args)
    net = net.to(dev)
    n_params = sum(p.numel() for p in net.parameters())
    decay = [p for n_, p in net.named_parameters() if p.dim() >= 2 and "embed" not in n_]
    plain = [p for n_, p in net.named_parameters() if not (p.dim() >= 2 and "embed" not in n_)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.wd}, {"params": plain, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.98))
    ck = os.path.join(args.out, "ckpt.pt")
    step, elapsed, best = 0, 0.0, (float("inf"), None, 0)
    if args.resume and os.path.exists(ck):
        st = torch.load(ck, map_location=dev)
        net.load_state_dict(st["net"])
        opt.load_state_dict(st["opt"])
        step, elapsed = st["step"], st["elapsed"]
        best = (st["best_val"], st["best_net"], st["best_step"])
        print("resumed at step %d after %.0f s" % (step, elapsed), flush=True)
    macs = M.macs_per_event(cfg) if cfg else None
    print("arch %s: %d parameters, %s MACs/event, device %s" % (args.arch, n_params, macs, dev), flush=True)

    gen = torch.Generator().manual_seed(args.seed * 1000 + step)   # a resumed run draws new windows
    sampler = Sampler(tr_tok, tr_off, args.seq, dev, gen)
    budget = args.minutes * 60.0
    t0, t_ck, t_val = time.time(), time.time(), time.time()
    run = []

    def save_ck():
        torch.save({"net": net.state_dict(), "opt": opt.state_dict(), "step": step,
                    "elapsed": elapsed + time.time() - t0, "best_val": best[0], "best_net": best[1],
                    "best_step": best[2], "args": vars(args)}, ck)

    def validate():
        nonlocal best
        v = nll(net, val, dev, args.amp)
        if v < best[0]:
            best = (v, {k: t.detach().clone() for k, t in net.state_dict().items()}, step)
        return v

    with open(os.path.join(args.out, "log.jsonl"), "a") as log:
        while True:
            spent = elapsed + time.time() - t0
            if spent >= budget or (args.steps and step >= args.steps):
                break
            lr = TU.warmup_cosine(args.lr, step, args.warmup, min(spent / budget, 1.0), 0.05)
            for g in opt.param_groups:
                g["lr"] = lr
            x, y = sampler.batch(args.batch)
            with torch.autocast(device_type=dev.type, dtype=torch.bfloat16, enabled=args.amp):
                logits = net(x.unsqueeze(-1).float())
            loss = F.cross_entropy(logits.float().reshape(-1, E.VOCAB), y.reshape(-1), ignore_index=-100)
            if not torch.isfinite(loss):
                raise SystemExit("loss is %s at step %d: stopping (the checkpoint keeps the last good state)"
                                 % (loss.item(), step))
            TU.optimizer_step(net, opt, loss)
            step += 1
            run.append(loss.item())
            if step % 50 == 0:
                rec = {"step": step, "loss": round(float(np.mean(run)), 4), "lr": lr, "t": round(spent, 1)}
                if time.time() - t_val > args.val_every:
                    rec["val"] = round(validate(), 4)
                    t_val = time.time()
                log.write(json.dumps(rec) + "\n")
                log.flush()
                print(json.dumps(rec), flush=True)
                run = []
            if time.time() - t_ck > 60:
                save_ck()
                t_ck = time.time()
    final_val = validate()
    save_ck()
    trained = elapsed + time.time() - t0
    if best[1] is not None:
        net.load_state_dict(best[1])
    res = {"arch": args.arch, "params": n_params, "macs_per_event": macs, "steps": step,
           "train_seconds": round(trained, 1), "tokens_seen": step * args.batch * args.seq,
           "best_step": best[2], "val_nll": round(best[0], 4), "final_val_nll": round(final_val, 4)}
    all_w = test_by["piano"] + test_by["nottingham"]
    res["test_nll"] = round(nll(net, all_w, dev, args.amp), 4)
    for k, w in test_by.items():
        res["test_nll_" + k] = round(nll(net, w, dev, args.amp), 4)
    res["test_events"] = int(sum(len(w) for w in all_w))
    res["args"] = vars(args)
    res["device"] = torch.cuda.get_device_name() if dev.type == "cuda" else "cpu"
    net = net.float().cpu()
    if cfg:
        save_model(net, os.path.join(args.out, "compose.safetensors"), task="compose",
                   task_params=dict(M.TASK_PARAMS))
    else:
        torch.save({"config": net.config, "state": net.state_dict()}, os.path.join(args.out, "model.pt"))
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(res, f, indent=1)
    print("RESULT %s: test NLL %.4f nats/event (piano %.4f, nottingham %.4f), %d params, %d steps, %.0f s"
          % (args.arch, res["test_nll"], res["test_nll_piano"], res["test_nll_nottingham"], n_params, step,
             trained), flush=True)


if __name__ == "__main__":
    main()
