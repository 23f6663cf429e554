#!/usr/bin/python3
"""Train the SaShiMi-style generator (or the one-layer baseline) on mu-law piano audio.

    cd train && python3 sashimi/train.py --model sashimi --minutes 6 --out /tmp/run
    cd train && python3 sashimi/train.py --tiny --minutes 0.3 --out /tmp/smoke     # CPU smoke test

Data: .devdata_gen/{train,test}.npy from build_data.py (uint8 mu-law [clips, samples], 16 kHz;
test clips come from held-out pieces). Training: random windows of --seq samples, next-sample
cross-entropy over 256 classes, AdamW, cosine LR over a wall-clock budget (--minutes).
At the end: test NLL in bits/sample over every full test clip (the model starts from zero state
and the start code 128 = silence, exactly as the C generator does), then the model is exported
with swtorch.export.save_model (task "generate") and results go to <out>/<name>_results.json.
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
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))            # train/ -> swtorch
import model as M  # noqa: E402
import trainutil as TU  # noqa: E402
from swtorch import layers as L  # noqa: E402
from swtorch.net import Net  # noqa: E402
from swtorch.export import save_model, load_model  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
LN2 = math.log(2.0)

# The SSM convolution (complex kernel, FFT) always runs in float32, also under bf16 autocast:
# cuFFT has no bf16 transform and the kernel powers need the precision.
_s4d_forward = L.S4D.forward


def _s4d_forward_f32(self, u):
    with torch.autocast(device_type=u.device.type, enabled=False):
        return _s4d_forward(self, u.float())


L.S4D.forward = _s4d_forward_f32


def nll_bits(net, clips, device, chunk, amp):
    """Mean NLL (bits/sample) over whole clips [C, T] uint8: input = [128, x_0..x_{T-2}], target = x."""
    net.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(clips), chunk):
            x = torch.from_numpy(clips[i:i + chunk].astype(np.int64)).to(device)
            inp = torch.cat([torch.full_like(x[:, :1], M.TASK_PARAMS["start_code"]), x[:, :-1]], dim=1)
            with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=amp):
                logits = net(inp.unsqueeze(-1).float())
            ce = F.cross_entropy(logits.float().reshape(-1, M.CLASSES), x.reshape(-1), reduction="sum")
            total += ce.item()
            count += x.numel()
    net.train()
    return total / count / LN2


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", choices=("sashimi", "baseline"), default="sashimi")
    ap.add_argument("--tiny", action="store_true", help="tiny model and data slice (CPU smoke test)")
    ap.add_argument("--data", default=os.path.join(ROOT, ".devdata_gen"))
    ap.add_argument("--out", required=True)
    ap.add_argument("--minutes", type=float, default=6.0, help="training wall-clock budget")
    ap.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (0: time only)")
    ap.add_argument("--seq", type=int, default=32768)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--ssm-lr", type=float, default=1e-3)
    ap.add_argument("--wd", type=float, default=0.01)
    ap.add_argument("--warmup", type=int, default=150)
    ap.add_argument("--amp", action="store_true", help="bf16 autocast (CUDA)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--init-from", default=None,
                    help="continue from this exported model file (same config), e.g. a second budgeted run")
    ap.add_argument("--eval-chunk", type=int, default=6)
    ap.add_argument("--val-clips", type=int, default=14,
                    help="last train clips held out for validation (each clip is a distinct piece)")
    ap.add_argument("--val-every", type=float, default=45.0, help="seconds between validation runs")
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    amp = args.amp   # bf16 autocast; on the CPU only for smoke tests

    train = np.load(os.path.join(args.data, "train.npy"))
    test = np.load(os.path.join(args.data, "test.npy"))
    if args.tiny:
        cfg = (M.sashimi_config(d=8, n=4, layers=(1, 1, 1)) if args.model == "sashimi"
               else M.baseline_config(d=8, n=4))
        train, test = train[:10], test[:2, :8192]
        args.val_clips = 2
    # Validation = the last clips of train.npy: build_data.py gives every train clip its own
    # piece (one pass over the shuffled pieces), so this is a by-piece split too.
    else:
        cfg = M.sashimi_config() if args.model == "sashimi" else M.baseline_config()
    val = train[-args.val_clips:, :32768]
    train = train[:-args.val_clips]
    net = Net(cfg)
    if args.init_from:
        prev = load_model(args.init_from)
        if prev.config["layers"] != net.config["layers"]:
            raise SystemExit("--init-from: %s has a different layer config" % args.init_from)
        net.load_state_dict(prev.state_dict())
        print("initialized from %s" % args.init_from, flush=True)
    net = net.to(device)
    n_params = sum(p.numel() for p in net.parameters())
    print("model %s: %d parameters, %.0f MACs/sample, device %s, amp %s" %
          (args.model, n_params, M.macs_per_sample(cfg), device, amp), flush=True)

    ssm_names = ("log_dt", "log_A_real", "A_imag", "B_re", "B_im")
    ssm, decay, plain = [], [], []
    for name, p in net.named_parameters():
        if name.split(".")[-1] in ssm_names:
            ssm.append(p)
        elif p.dim() >= 2 and not name.startswith("embed"):
            decay.append(p)
        else:
            plain.append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.wd, "lr": args.lr},
                             {"params": plain, "weight_decay": 0.0, "lr": args.lr},
                             {"params": ssm, "weight_decay": 0.0, "lr": args.ssm_lr}], betas=(0.9, 0.98))
    base_lrs = [g["lr"] for g in opt.param_groups]

    data = torch.from_numpy(train).to(device)                      # uint8 [C, T] on the device
    n_clips, clip_len = data.shape
    seq = min(args.seq, clip_len - 1)
    gen = torch.Generator(device="cpu").manual_seed(args.seed)
    budget = args.minutes * 60.0
    t_start = time.time()
    step, ema = 0, None
    log = []
    best = (float("inf"), None, 0)                   # (val bits, state dict copy, step)
    next_val = args.val_every
    while True:
        elapsed = time.time() - t_start
        if elapsed >= budget or (args.max_steps and step >= args.max_steps):
            break
        frac = elapsed / budget
        scale = TU.warmup_cosine(1.0, step, args.warmup, frac, 0.05)
        for g, lr in zip(opt.param_groups, base_lrs):
            g["lr"] = lr * scale
        ci = torch.randint(0, n_clips, (args.batch,), generator=gen)
        off = torch.randint(0, clip_len - seq, (args.batch,), generator=gen)
        idx = off.unsqueeze(1) + torch.arange(seq + 1).unsqueeze(0)
        win = data[ci.to(device).unsqueeze(1), idx.to(device)].long()        # [B, seq+1]
        def fwd_bwd():
            with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=amp):
                logits = net(win[:, :-1].unsqueeze(-1).float())
            loss = F.cross_entropy(logits.float().reshape(-1, M.CLASSES), win[:, 1:].reshape(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            return loss
        try:
            loss = fwd_bwd()
        except RuntimeError as e:                    # one-shot device runs: fall back to fp32
            if not (amp and step == 0):
                raise
            print("bf16 autocast failed (%s); continuing in float32" % e, flush=True)
            amp = False
            loss = fwd_bwd()
        gnorm = torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        step += 1
        if step % 25 == 0 or step == 1:
            bits = loss.item() / LN2
            ema = bits if ema is None else 0.9 * ema + 0.1 * bits
            rec = dict(step=step, t=round(time.time() - t_start, 1), bits=round(bits, 4), ema=round(ema, 4),
                       gnorm=round(float(gnorm), 3), lr=round(opt.param_groups[0]["lr"], 6))
            if time.time() - t_start >= next_val:
                rec["val_bits"] = round(nll_bits(net, val, device, args.eval_chunk, amp), 4)
                next_val = time.time() - t_start + args.val_every
                if rec["val_bits"] < best[0]:
                    best = (rec["val_bits"], {k: v.detach().clone() for k, v in net.state_dict().items()}, step)
            log.append(rec)
            print(json.dumps(rec), flush=True)
    train_time = time.time() - t_start
    samples_seen = step * args.batch * seq
    final_val = nll_bits(net, val, device, args.eval_chunk, amp)
    print("final val %.4f bits, best earlier val %.4f at step %d" % (final_val, best[0], best[2]), flush=True)
    used_step = step
    if best[1] is not None and best[0] < final_val:
        net.load_state_dict(best[1])
        used_step = best[2]

    t0 = time.time()
    test_bits = nll_bits(net, test, device, args.eval_chunk, amp)
    train_bits = nll_bits(net, train[:len(test)], device, args.eval_chunk, amp)
    eval_time = time.time() - t0
    net_cpu = net.float().cpu()
    path = os.path.join(args.out, "%s.safetensors" % args.model)
    os.makedirs(args.out, exist_ok=True)
    save_model(net_cpu, path, task="generate", task_params=dict(M.TASK_PARAMS))
    res = dict(model=args.model, params=n_params, macs_per_sample=M.macs_per_sample(cfg), steps=step,
               train_seconds=round(train_time, 1), samples_seen=samples_seen,
               epochs=round(samples_seen / data.numel(), 2),
               test_nll_bits=round(test_bits, 4), train_subset_nll_bits=round(train_bits, 4),
               val_nll_bits=round(min(final_val, best[0]), 4), exported_step=used_step,
               test_clips=int(len(test)), test_samples=int(test.size), eval_seconds=round(eval_time, 1),
               amp=amp, seq=seq, batch=args.batch, lr=args.lr, device=str(device),
               torch=torch.__version__, args=vars(args), log=log[-8:])
    with open(os.path.join(args.out, "%s_results.json" % args.model), "w") as f:
        json.dump(res, f, indent=1)
    if device.type == "cuda":
        print("peak GPU memory %.1f GiB on %s" % (torch.cuda.max_memory_allocated() / 2 ** 30,
                                                  torch.cuda.get_device_name()), flush=True)
    print("RESULT %s: test NLL %.4f bits/sample (train subset %.4f), %d steps in %.0f s, %.2f epochs" %
          (args.model, test_bits, train_bits, step, train_time, res["epochs"]), flush=True)


if __name__ == "__main__":
    main()
