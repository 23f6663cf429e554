"""What the training recipes share: the S4D block stack and the SSM + GLU block of their model
configs, the walk over a config's layer tree (for their MAC counts), the warm-up plus cosine
learning-rate schedule, the optimizer step, the wall-clock-budgeted loop with a resumable
checkpoint, and the options of the test-model writers.
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch


def s4d_stack(d_in, d, n_blocks, n_state, d_out, glu):
    """The layers of a dsp/FORMAT.md S4D stack: linear in, n_blocks residual blocks (RMS norm, S4D,
    GELU, linear mix; with glu the mix doubles the width and a GLU halves it), RMS norm, linear out."""
    layers = [{"type": "linear", "name": "inp", "d_in": d_in, "d_out": d, "bias": True}]
    for i in range(n_blocks):
        block = [
            {"type": "norm", "name": "b%d_norm" % i, "kind": "rms", "d": d, "eps": 1e-5},
            {"type": "s4d", "name": "b%d_ssm" % i, "d": d, "n": n_state, "disc": "zoh"},
            {"type": "act", "fn": "gelu", "d": d},
            {"type": "linear", "name": "b%d_mix" % i, "d_in": d, "d_out": 2 * d if glu else d, "bias": True}]
        if glu:
            block.append({"type": "glu", "d_in": 2 * d})
        layers.append({"type": "residual", "layers": block})
    layers += [{"type": "norm", "name": "out_norm", "kind": "rms", "d": d, "eps": 1e-5},
               {"type": "linear", "name": "out", "d_in": d, "d_out": d_out, "bias": True}]
    return layers


def ssm_glu_block(prefix, d, ssm, norm):
    """The S4/SaShiMi block of width d around the SSM layer `ssm` (a layer config): residual{norm,
    ssm, GELU, linear(d -> 2d), GLU} and the GLU feed-forward residual{norm, linear(d -> 4d), GLU,
    linear(2d -> d)}; norm is the norms' kind ("rms" or "layer")."""
    return [
        {"type": "residual", "layers": [
            {"type": "norm", "name": prefix + "_n1", "kind": norm, "d": d},
            ssm,
            {"type": "act", "fn": "gelu", "d": d},
            {"type": "linear", "name": prefix + "_out", "d_in": d, "d_out": 2 * d},
            {"type": "glu", "d_in": 2 * d}]},
        {"type": "residual", "layers": [
            {"type": "norm", "name": prefix + "_n2", "kind": norm, "d": d},
            {"type": "linear", "name": prefix + "_ff1", "d_in": d, "d_out": 4 * d},
            {"type": "glu", "d_in": 4 * d},
            {"type": "linear", "name": prefix + "_ff2", "d_in": 2 * d, "d_out": d}]}]


def walk_layers(layers, rate_div=1):
    """Every layer of a dsp/FORMAT.md layer list and of the lists inside it, depth first (a
    residual or pool layer before its inner layers), as (layer, rate divisor): a residual's inner
    layers run at its rate, a pool's at 1/factor of it."""
    for lay in layers:
        yield lay, rate_div
        if lay["type"] == "residual":
            yield from walk_layers(lay["layers"], rate_div)
        elif lay["type"] == "pool":
            yield from walk_layers(lay["layers"], rate_div * lay["factor"])


def warmup_cosine(base, step, warm, frac, floor):
    """base, ramped up linearly over the first `warm` steps, times a cosine from 1 at frac = 0 down
    to `floor` at frac = 1 (frac: the part of the run done, by steps or by time)."""
    return base * min(1.0, (step + 1) / warm) * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * frac)))


def add_budget_args(ap, minutes, batch, lr, seed):
    """The options of a budgeted run (budgeted_loop): --out, --minutes, --steps, --batch, --lr, --seed,
    --resume, --device."""
    ap.add_argument("--out", required=True)
    ap.add_argument("--minutes", type=float, default=minutes, help="training time budget (wall clock)")
    ap.add_argument("--steps", type=int, default=0, help="stop after this many steps (0: time only)")
    ap.add_argument("--batch", type=int, default=batch)
    ap.add_argument("--lr", type=float, default=lr)
    ap.add_argument("--seed", type=int, default=seed)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")


def optimizer_step(net, opt, loss):
    """One optimizer step on loss, its gradient norm clipped at 1."""
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
    opt.step()


def resume(ck, net, opt, dev):
    """(step, seconds trained) of the checkpoint file ck, its weights and optimizer state loaded; (0, 0)
    when there is none."""
    if not os.path.exists(ck):
        return 0, 0.0
    st = torch.load(ck, map_location=dev)
    net.load_state_dict(st["net"])
    opt.load_state_dict(st["opt"])
    print("resumed at step %d (%.0f s)" % (st["step"], st["elapsed"]))
    return st["step"], st["elapsed"]


def budgeted_loop(args, net, opt, ck, step, elapsed, lr_at, loss_of, log_every):
    """Train from `step` (after `elapsed` seconds) until args.minutes of wall clock in all or args.steps
    steps: each step sets the learning rate lr_at(step, frac) (frac: the part of the budget spent),
    takes the loss of a fresh batch from loss_of(), and clips the gradient norm at 1. Every log_every
    steps the mean loss goes to stdout and OUT/log.jsonl; the checkpoint ck is written every minute
    and at the end. -> (steps, seconds trained)."""
    budget = args.minutes * 60.0
    t_start, t_ck, run = time.time(), time.time(), []

    def save_ck():
        torch.save({"net": net.state_dict(), "opt": opt.state_dict(), "step": step,
                    "elapsed": elapsed + time.time() - t_start, "args": vars(args)}, ck)

    with open(os.path.join(args.out, "log.jsonl"), "a") as log:
        while True:
            spent = elapsed + time.time() - t_start
            if spent >= budget or (args.steps and step >= args.steps):
                break
            lr = lr_at(step, min(spent / budget, 1.0))
            for g in opt.param_groups:
                g["lr"] = lr
            loss = loss_of()
            optimizer_step(net, opt, loss)
            step += 1
            run.append(loss.item())
            if step % log_every == 0:
                rec = {"step": step, "loss": float(np.mean(run)), "lr": lr, "t": round(spent, 1)}
                log.write(json.dumps(rec) + "\n")
                log.flush()
                print(rec, flush=True)
                run = []
            if time.time() - t_ck > 60:
                save_ck()
                t_ck = time.time()
    save_ck()
    return step, elapsed + time.time() - t_start


def model_writer_args(out, seed):
    """The options of a script that writes a random-init test model (--out, --seed, defaults out and
    seed), parsed, with torch's generator seeded."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=out)
    ap.add_argument("--seed", type=int, default=seed)
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    return a
