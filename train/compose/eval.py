#!/usr/bin/python3
"""`make eval-compose`: the composer measured as a musician would hear it, next to its baselines.

    /usr/bin/python3 train/compose/eval.py [--prompts 50] [--model presets/compose.safetensors]

1. Test NLL per event (nats) on the held-out pieces: the shipped model re-scored here on the CPU
   (PyTorch, the same windows as training's score), the n-gram baseline counted here, and the
   GPU-trained runs (SSM variants, GRU, Transformer) as their training runs recorded them in
   train/compose/results/*.json.
2. Continuations through the C engine (`build/statewave compose`), each seeded: 50 held-out prompts
   (15 s excerpts of test pieces, seeded choice), 15 s continued, compared with the prompt and
   with what the piece really does next (the original continuation):
   - pitch-class histogram correlation with the prompt (duration-weighted; issue 14 asks >= 0.8,
     median over 50) and the same for the original continuation;
   - key consistency: the Krumhansl-Kessler key of the continuation equals the prompt's;
   - note density (notes per second) against the original's;
   - inter-onset intervals: the distribution of log IOI against the originals' (Jensen-Shannon
     divergence, bits), and the medians.
3. A piano roll of one prompt and its continuation (docs/img/compose_pianoroll.png).
4. Cost per event: C (`statewave compose`'s own count over 60 s of music) and PyTorch Net.step()
   on one thread, measured in this run.
Writes train/compose/results/eval.json and prints the README tables.
"""
import argparse
import glob
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "train"))
sys.path.insert(0, os.path.join(ROOT, "train", "sashimi"))
import events as E  # noqa: E402
import midi  # noqa: E402
import ngram  # noqa: E402
import train as T  # noqa: E402
from swtorch.export import load_model  # noqa: E402

DATA = os.path.join(ROOT, "..", "shared", "data", "midi")
APP = os.path.join(ROOT, "build", "statewave")
KK_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
KK_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
PROMPT_S, CONT_S = 15.0, 15.0


def pc_hist(notes):
    h = np.zeros(12)
    for on, off, p, _ in notes:
        h[p % 12] += off - on
    return h


def corr(a, b):
    if a.std() == 0 or b.std() == 0:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def key_of(notes):
    h = pc_hist(notes)
    best = (-2, None)
    for minor, prof in ((0, KK_MAJOR), (1, KK_MINOR)):
        for k in range(12):
            r = corr(h, np.roll(prof, k))
            if r > best[0]:
                best = (r, (k, minor))
    return best[1]


def iois(notes):
    on = np.unique(np.round([n[0] for n in notes], 3))
    return np.diff(on)


IOI_BINS = np.linspace(np.log10(0.01), np.log10(4.0), 25)


def js_bits(a, b):
    ha = np.histogram(np.log10(np.clip(a, 0.01, 4.0)), IOI_BINS)[0] + 1e-9
    hb = np.histogram(np.log10(np.clip(b, 0.01, 4.0)), IOI_BINS)[0] + 1e-9
    ha, hb = ha / ha.sum(), hb / hb.sum()
    m = 0.5 * (ha + hb)
    return float(0.5 * (ha * np.log2(ha / m)).sum() + 0.5 * (hb * np.log2(hb / m)).sum())


def excerpt(notes, t0, t1):
    """Notes starting in [t0, t1), shifted to start at 0 and cut at t1."""
    return [(on - t0, min(off, t1) - t0, p, v) for on, off, p, v in notes if t0 <= on < t1]


def pick_prompts(manifest, n, seed):
    rnd = random.Random(seed)
    pieces = sorted(manifest["test"])
    rnd.shuffle(pieces)
    out = []
    for rel in pieces:
        notes = E.notes_from_events(midi.read(os.path.join(DATA, rel)))
        end = max(off for _, off, _, _ in notes)
        if end < PROMPT_S + CONT_S + 1:
            continue
        t0 = round(rnd.uniform(0, end - PROMPT_S - CONT_S), 2)
        prompt = excerpt(notes, t0, t0 + PROMPT_S)
        orig = excerpt(notes, t0 + PROMPT_S, t0 + PROMPT_S + CONT_S)
        if len(prompt) < 8 or len(orig) < 4:
            continue
        out.append((rel, t0, prompt, orig))
        if len(out) == n:
            break
    return out


def compose(prompt_path, out_path, seed, temperature, top_p, model, extra=()):
    cmd = [APP, "compose", "-p", prompt_path, "-s", str(CONT_S), "--seed", str(seed), "-t", str(temperature),
           "-P", str(top_p), "--only-new", "-o", out_path, "-m", model] + list(extra)
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit("compose failed: %s\n%s" % (" ".join(cmd), r.stderr))
    m = re.search(r"\(([0-9]+) events, ([0-9.]+) us per event", r.stderr)
    return (int(m.group(1)), float(m.group(2))) if m else (0, 0.0)


def continuation_metrics(prompts, model, temperature, top_p, tmp, extra=()):
    rows = []
    for i, (rel, t0, prompt, orig) in enumerate(prompts):
        pp = os.path.join(tmp, "p%02d.mid" % i)
        gp = os.path.join(tmp, "g%02d.mid" % i)
        midi.write(pp, E.to_midi_events(prompt))
        compose(pp, gp, i + 1, temperature, top_p, model, extra)
        gen = E.notes_from_events(midi.read(gp))
        hp = pc_hist(prompt)
        rows.append(dict(piece=rel, t0=t0, n_gen=len(gen), n_orig=len(orig),
                         pc_corr_gen=corr(hp, pc_hist(gen)) if gen else 0.0,
                         pc_corr_orig=corr(hp, pc_hist(orig)),
                         key_same_gen=bool(gen) and key_of(gen) == key_of(prompt),
                         key_same_orig=key_of(orig) == key_of(prompt),
                         ioi_gen=iois(gen).tolist() if len(gen) > 1 else [], ioi_orig=iois(orig).tolist()))
    med = lambda k: float(np.median([r[k] for r in rows]))  # noqa: E731
    all_g = np.concatenate([r["ioi_gen"] for r in rows if r["ioi_gen"]] or [np.zeros(0)])
    all_o = np.concatenate([r["ioi_orig"] for r in rows])
    return rows, dict(
        temperature=temperature, top_p=top_p, options=" ".join(extra), n=len(rows),
        pc_corr_gen_median=round(med("pc_corr_gen"), 3), pc_corr_orig_median=round(med("pc_corr_orig"), 3),
        key_same_gen=round(float(np.mean([r["key_same_gen"] for r in rows])), 3),
        key_same_orig=round(float(np.mean([r["key_same_orig"] for r in rows])), 3),
        density_gen_median=round(med("n_gen") / CONT_S, 2), density_orig_median=round(med("n_orig") / CONT_S, 2),
        silent_continuations=int(sum(r["n_gen"] == 0 for r in rows)),
        ioi_js_bits=round(js_bits(all_g, all_o), 3) if len(all_g) else None,
        ioi_median_gen=round(float(np.median(all_g)), 3) if len(all_g) else None,
        ioi_median_orig=round(float(np.median(all_o)), 3))


def pianoroll(prompt, gen, orig, path, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(2, 1, figsize=(11, 5.5), sharex=True, sharey=True)
    for ax, cont, label in ((axes[0], gen, "statewave compose (C engine)"), (axes[1], orig, "the piece itself")):
        for on, off, p, v in prompt:
            ax.add_patch(plt.Rectangle((on, p - 0.4), off - on, 0.8, color="0.45"))
        for on, off, p, v in cont:
            ax.add_patch(plt.Rectangle((PROMPT_S + on, p - 0.4), off - on, 0.8,
                                       color=plt.cm.viridis(0.2 + 0.7 * v / 127)))
        ax.axvline(PROMPT_S, color="r", lw=1)
        ax.set_ylabel("MIDI note")
        ax.set_title("prompt (grey) + continuation: " + label, fontsize=10)
    allp = [n[2] for n in prompt + gen + orig]
    axes[0].set_ylim(min(allp) - 2, max(allp) + 2)
    axes[0].set_xlim(0, PROMPT_S + CONT_S)
    axes[1].set_xlabel("time (s)")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def cost_per_event(model_path, tmp, runs=5):
    """C: us per event as `statewave compose` reports it for 60 s from nothing; PyTorch: Net.step()."""
    c_us = []
    for r in range(runs):
        n, us = compose_nothing(model_path, os.path.join(tmp, "cost.mid"), r + 1)
        c_us.append(us)
    torch.set_num_threads(1)
    net = load_model(model_path).eval()
    net.setup_step() if hasattr(net, "setup_step") else None
    x = torch.tensor([[float(E.START)]])
    py_us = []
    with torch.no_grad():
        for r in range(runs):
            state = net.init_state(1)
            t0 = time.perf_counter()
            for i in range(300):
                y, state = net.step(x, state)
                x = torch.tensor([[float(int(torch.argmax(y[0])))]])
            py_us.append((time.perf_counter() - t0) / 300 * 1e6)
    return dict(c_us_per_event=round(float(np.median(c_us)), 2), c_runs=c_us,
                torch_us_per_step=round(float(np.median(py_us)), 1), torch_runs=[round(v, 1) for v in py_us],
                speedup=round(float(np.median(py_us) / np.median(c_us)), 1))


def compose_nothing(model, out, seed):
    r = subprocess.run([APP, "compose", "-s", "60", "--seed", str(seed), "-o", out, "-m", model],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(r.stderr)
    m = re.search(r"\(([0-9]+) events, ([0-9.]+) us per event", r.stderr)
    return int(m.group(1)), float(m.group(2))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=os.path.join(ROOT, "presets", "compose.safetensors"))
    ap.add_argument("--data", default=os.path.join(ROOT, ".devdata_compose"))
    ap.add_argument("--prompts", type=int, default=50)
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--out", default=os.path.join(HERE, "results", "eval.json"))
    ap.add_argument("--figure", default=os.path.join(ROOT, "docs", "img", "compose_pianoroll.png"))
    args = ap.parse_args()
    if not os.path.exists(os.path.join(args.data, "compose_data.npz")):
        subprocess.run([sys.executable, os.path.join(HERE, "build_data.py"), "--out", args.data], check=True)
    with open(os.path.join(args.data, "manifest.json")) as f:
        manifest = json.load(f)
    d = np.load(os.path.join(args.data, "compose_data.npz"))
    res = {"model": os.path.relpath(args.model, ROOT)}

    # 1. NLL
    net = load_model(args.model).eval()
    test_by = {"piano": [], "nottingham": []}
    for i, c in enumerate(d["test_corpus"]):
        a, b = d["test_offsets"][i], d["test_offsets"][i + 1]
        test_by[("piano", "nottingham")[c]] += T.windows(d["test_tokens"], np.array([a, b]), 1024)
    dev = torch.device("cpu")
    shipped = {"arch": "shipped (re-scored here)",
               "test_nll": round(T.nll(net, test_by["piano"] + test_by["nottingham"], dev, False, 8), 4),
               "test_nll_piano": round(T.nll(net, test_by["piano"], dev, False, 8), 4),
               "test_nll_nottingham": round(T.nll(net, test_by["nottingham"], dev, False, 8), 4)}
    rows = [shipped]
    for p in sorted(glob.glob(os.path.join(HERE, "results", "run_*.json"))):
        with open(p) as f:
            r = json.load(f)
        r["name"] = os.path.basename(p)[4:-5]
        rows.append(r)
    tr = ngram.sequences(d["train_tokens"], d["train_offsets"], 1024)
    ng = ngram.NGram(tr, 3)
    rows.append({"name": "ngram", "arch": "3-gram (absolute discounting)",
                 "test_nll": round(ng.nll([np.concatenate([[E.START], w]) for w in test_by["piano"] + test_by["nottingham"]]), 4),
                 "test_nll_piano": round(ng.nll([np.concatenate([[E.START], w]) for w in test_by["piano"]]), 4),
                 "test_nll_nottingham": round(ng.nll([np.concatenate([[E.START], w]) for w in test_by["nottingham"]]), 4)})
    res["nll"] = rows
    print("| model | params | test NLL (nats/event) | piano | Nottingham |\n|---|---|---|---|---|")
    for r in rows:
        print("| %s | %s | %.3f | %.3f | %.3f |" % (r.get("name", r["arch"]), r.get("params", "-"), r["test_nll"],
                                                  r["test_nll_piano"], r["test_nll_nottingham"]))

    # 2. continuations
    prompts = pick_prompts(manifest, args.prompts, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        res["continuations"] = []
        for temp, top_p, extra in ((1.0, 0.95, ()), (1.0, 1.0, ()), (0.9, 0.95, ()), (1.0, 0.95, ("--key", "auto"))):
            per, summ = continuation_metrics(prompts, args.model, temp, top_p, tmp, extra)
            res["continuations"].append(summ)
            if (temp, top_p, extra) == (1.0, 0.95, ()):
                res["per_prompt"] = [{k: v for k, v in r.items() if not k.startswith("ioi")} for r in per]
                # 3. the picture: the first piano prompt
                k = next(i for i, p in enumerate(prompts) if p[0].startswith("piano"))
                gp = os.path.join(tmp, "fig.mid")
                pp = os.path.join(tmp, "figp.mid")
                midi.write(pp, E.to_midi_events(prompts[k][2]))
                compose(pp, gp, k + 1, temp, top_p, args.model)
                gen = E.notes_from_events(midi.read(gp))
                pianoroll(prompts[k][2], gen, prompts[k][3], args.figure,
                          "%s from %.1f s (held out), seed %d, T %.1f, top-p %.2f" % (prompts[k][0], prompts[k][1],
                                                                                       k + 1, temp, top_p))
        print("\n| T | top-p | options | PC corr. with prompt (median) | same key | notes/s | IOI JS (bits) | "
              "median IOI (s) | silent |\n|---|---|---|---|---|---|---|---|---|")
        for s in res["continuations"]:
            print("| %.1f | %.2f | %s | %.3f | %.0f %% | %.2f | %s | %s | %d |" % (
                s["temperature"], s["top_p"], s["options"] or "-", s["pc_corr_gen_median"], 100 * s["key_same_gen"],
                s["density_gen_median"], s["ioi_js_bits"], s["ioi_median_gen"], s["silent_continuations"]))
        s = res["continuations"][0]
        print("| the pieces themselves | | | %.3f | %.0f %% | %.2f | 0 | %.3f | 0 |" % (
            s["pc_corr_orig_median"], 100 * s["key_same_orig"], s["density_orig_median"], s["ioi_median_orig"]))
        # 4. cost
        res["cost"] = cost_per_event(args.model, tmp)
    c = res["cost"]
    print("\ncost per event: C %.1f us (median of %d runs), PyTorch step() %.0f us on one thread: %.0fx" %
          (c["c_us_per_event"], len(c["c_runs"]), c["torch_us_per_step"], c["speedup"]))
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
