#!/usr/bin/python3
"""Score a denoiser on the Statewave dev set against the noisy input and RNNoise v0.1.1.

    /usr/bin/python3 train/eval_devset.py                       # runs build/statewave on all 60 clips
    /usr/bin/python3 train/eval_devset.py --cmd 'build/statewave denoise {in} -o {out} -q --model M.swm'
    /usr/bin/python3 train/eval_devset.py --outdir DIR          # score existing DIR/NNN.{wav,flac}
    /usr/bin/python3 train/eval_devset.py --baseline-only       # only the noisy and rnnoise rows

Prints markdown: the command line, one row per system (mean SI-SDR, SI-SDRi, STOI, LSD, alignment lag)
and per-SNR (optionally per speech source / noise class) breakdowns. The metrics and the output
preparation (mono, resampling, alignment within +-100 ms, pad/cut) are those of
../shared/data/devset/BASELINE.md, implemented in train/metrics.py; tests/test_metrics.py checks that
the noisy and rnnoise rows reproduce BASELINE.md. Every system is scored on the same 60 clips; a
missing or unreadable output is an error, never skipped.

{in}, {out} and {id} in --cmd are replaced by the (shell-quoted) noisy input path, the output path
and the clip id; the command runs through /bin/sh from the repository root.
"""

import argparse
import concurrent.futures
import json
import math
import multiprocessing
import os
import resource
import shlex
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import metrics  # noqa: E402  (train/metrics.py, next to this file)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DEVSET = os.path.join(REPO, "..", "shared", "data", "devset")
DEFAULT_CMD = "build/statewave denoise {in} -o {out} -q"
METRICS = ("si_sdr", "si_sdri", "stoi", "lsd")


# --------------------------------------------------------------------------------------------
# Dev set
# --------------------------------------------------------------------------------------------

def read_manifest(devset):
    """Clip list from MANIFEST.tsv: [{id, snr, speech, noise}] in id order."""
    path = os.path.join(devset, "MANIFEST.tsv")
    clips = []
    header = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            cols = line.rstrip("\n").split("\t")
            if header is None:
                header = cols
                continue
            row = dict(zip(header, cols))
            clips.append({"id": row["id"], "snr": int(round(float(row["snr_db"]))),
                          "speech": row["speech_corpus"], "noise": row["noise_class"]})
    if not clips:
        raise SystemExit(f"eval_devset: no clips in {path}")
    return clips


def find_output(folder, cid):
    """The output file of clip cid in folder (NNN.flac or NNN.wav); None if missing."""
    found = [os.path.join(folder, cid + ext) for ext in (".flac", ".wav")
             if os.path.isfile(os.path.join(folder, cid + ext))]
    if len(found) > 1:
        raise SystemExit(f"eval_devset: both {found[0]} and {found[1]} exist; keep one")
    return found[0] if found else None


def collect(folder, clips, label):
    """{id: path} for every clip; exits listing the missing ones (a missing output is never skipped)."""
    paths = {c["id"]: find_output(folder, c["id"]) for c in clips}
    missing = [cid for cid, p in paths.items() if p is None]
    if missing:
        raise SystemExit(f"eval_devset: {label}: {len(missing)} of {len(clips)} outputs missing in "
                         f"{folder}: {', '.join(missing[:10])}{' ...' if len(missing) > 10 else ''}")
    return paths


# --------------------------------------------------------------------------------------------
# Running the denoiser
# --------------------------------------------------------------------------------------------

def run_command(template, clips, devset, workdir, ext, jobs):
    """Run template once per clip (jobs in parallel). Returns ({id: out path}, stats dict)."""
    os.makedirs(workdir, exist_ok=True)
    first = template.split()[0] if template.split() else ""
    if first and "/" in first and not os.path.exists(os.path.join(REPO, first)) and not os.path.exists(first):
        raise SystemExit(f"eval_devset: {first} does not exist. Build it first (`make`), or pass "
                         f"--outdir DIR to score existing outputs, or --baseline-only.")

    def one(c):
        src = os.path.join(devset, "noisy", c["id"] + ".flac")
        dst = os.path.join(workdir, c["id"] + "." + ext)
        if os.path.exists(dst):
            os.remove(dst)  # never score a stale output of an earlier run
        cmd = (template.replace("{in}", shlex.quote(src)).replace("{out}", shlex.quote(dst))
               .replace("{id}", c["id"]))
        t0 = time.monotonic()
        p = subprocess.run(cmd, shell=True, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        wall = time.monotonic() - t0
        if p.returncode != 0:
            return c["id"], None, wall, (f"exit {p.returncode}: {cmd}\n"
                                         f"{p.stderr.decode(errors='replace').strip()[-2000:]}")
        if not os.path.isfile(dst):
            return c["id"], None, wall, f"exit 0 but no output file {dst}: {cmd}"
        return c["id"], dst, wall, None

    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as ex:
        results = list(ex.map(one, clips))
    wall = time.monotonic() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    errors = [(cid, err) for cid, _, _, err in results if err]
    if errors:
        msg = "\n".join(f"  {cid}: {err}" for cid, err in errors[:5])
        raise SystemExit(f"eval_devset: the denoiser failed on {len(errors)} of {len(clips)} clips:\n{msg}")
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    return ({cid: path for cid, path, _, _ in results},
            {"cpu_s": cpu, "wall_s": wall, "jobs": jobs})


# --------------------------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------------------------

def _score_clip(task):
    """Worker: score every system's output for one clip against its clean reference."""
    cid, clean_path, outputs = task
    x, fs = metrics.read_audio(clean_path)
    ref = metrics.Reference(x, fs)
    res = {}
    for name, path in outputs.items():
        try:
            y, fy = metrics.read_audio(path)
            res[name] = ref.score(y, fy)
        except (IOError, ValueError) as e:
            raise RuntimeError(f"clip {cid}, {name} ({path}): {e}") from None
    return cid, res


def score_systems(devset, clips, systems, jobs):
    """systems: {name: {id: path}} with the same ids. Returns {name: {id: metrics dict}}.

    SI-SDRi is added per clip against the `noisy` system, which must be present.
    """
    tasks = [(c["id"], os.path.join(devset, "clean", c["id"] + ".flac"),
              {name: paths[c["id"]] for name, paths in systems.items()}) for c in clips]
    if jobs > 1:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            done = pool.map(_score_clip, tasks, chunksize=1)
    else:
        done = [_score_clip(t) for t in tasks]
    out = {name: {} for name in systems}
    for cid, res in done:
        for name, m in res.items():
            out[name][cid] = m
    for name in systems:
        for cid, m in out[name].items():
            m["si_sdri"] = m["si_sdr"] - out["noisy"][cid]["si_sdr"]
    return out


def summarize(per_clip, ids):
    """Means over ids of each metric, and the lag median/min/max."""
    s = {"files": len(ids)}
    for k in METRICS:
        s[k] = float(np.mean([per_clip[i][k] for i in ids]))
    lags = [per_clip[i]["lag"] for i in ids]
    s["lag_median"] = float(np.median(lags))
    s["lag_min"] = int(min(lags))
    s["lag_max"] = int(max(lags))
    return s


# --------------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------------

def _f(v, nd):
    if isinstance(v, float) and math.isinf(v):
        return "-inf" if v < 0 else "inf"
    if isinstance(v, float) and math.isnan(v):
        return "nan"
    return f"{v:.{nd}f}"


def _g(v):
    return f"{v:g}"


ROW_LABEL = {"noisy": "noisy (input)"}
DIGITS = {"si_sdr": 2, "si_sdri": 2, "stoi": 3, "lsd": 2}
TITLE = {"si_sdr": "SI-SDR", "si_sdri": "SI-SDRi", "stoi": "STOI", "lsd": "LSD"}


def main_table(scores, clips):
    ids = [c["id"] for c in clips]
    lines = ["| system | files | SI-SDR (dB) | SI-SDRi (dB) | STOI | LSD (dB) | "
             "alignment lag (samples): median [min, max] |",
             "|---|---|---|---|---|---|---|"]
    for name, per_clip in scores.items():
        s = summarize(per_clip, ids)
        lines.append(f"| {ROW_LABEL.get(name, name)} | {s['files']} | {_f(s['si_sdr'], 2)} | "
                     f"{_f(s['si_sdri'], 2)} | {_f(s['stoi'], 3)} | {_f(s['lsd'], 2)} | "
                     f"{_g(s['lag_median'])} [{s['lag_min']}, {s['lag_max']}] |")
    return "\n".join(lines)


def group_table(scores, clips, key, title):
    groups = {}
    for c in clips:
        groups.setdefault(c[key], []).append(c["id"])
    names = list(scores)
    cols = []
    for m in METRICS:
        for n in names:
            if m == "si_sdri" and n == "noisy":
                continue  # identically 0
            cols.append((m, n))
    head = f"| {title} | files | " + " | ".join(f"{TITLE[m]} {n}" for m, n in cols) + " |"
    lines = [head, "|" + "---|" * (2 + len(cols))]
    for g in sorted(groups, key=lambda v: (isinstance(v, str), v)):
        ids = groups[g]
        cells = [_f(float(np.mean([scores[n][i][m] for i in ids])), DIGITS[m]) for m, n in cols]
        lines.append(f"| {g} | {len(ids)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--devset", default=DEFAULT_DEVSET, help="dev set folder (default ../shared/data/devset)")
    src = ap.add_mutually_exclusive_group()
    src.add_argument("--cmd", default=None,
                     help=f"denoiser command per clip, with {{in}} {{out}} {{id}} (default: '{DEFAULT_CMD}')")
    src.add_argument("--outdir", help="score existing outputs DIR/NNN.flac or DIR/NNN.wav instead")
    src.add_argument("--baseline-only", action="store_true", help="only the noisy and rnnoise rows")
    ap.add_argument("--name", default="ours", help="row label of the scored system (default ours)")
    ap.add_argument("--workdir", default=os.path.join("build", "eval", "out"),
                    help="where --cmd writes its outputs (default build/eval/out, relative to the repo)")
    ap.add_argument("--ext", default="wav", choices=["wav", "flac"], help="output file type for --cmd")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                    help="parallel denoiser runs and scoring workers (default 2)")
    ap.add_argument("--by", default="snr",
                    help="breakdowns, comma-separated from snr,speech,noise (default snr; '' for none)")
    ap.add_argument("--json", help="also write per-clip and mean scores to this JSON file")
    ap.add_argument("--clips", default="",
                    help="only these clip ids, e.g. 001,031 (quick checks; the means are then NOT "
                         "comparable with BASELINE.md or README figures)")
    a = ap.parse_args(argv)

    cmdline = "/usr/bin/python3 train/eval_devset.py" + "".join(" " + shlex.quote(v) for v in
                                                             (sys.argv[1:] if argv is None else argv))
    devset = os.path.abspath(a.devset)
    clips = read_manifest(devset)
    if a.clips:
        want = [v.strip() for v in a.clips.split(",") if v.strip()]
        known = {c["id"] for c in clips}
        bad = [v for v in want if v not in known]
        if bad:
            raise SystemExit(f"eval_devset: unknown clip ids {', '.join(bad)}")
        clips = [c for c in clips if c["id"] in want]
    systems = {"noisy": collect(os.path.join(devset, "noisy"), clips, "noisy"),
               "rnnoise": collect(os.path.join(devset, "rnnoise"), clips, "rnnoise")}
    if a.name in systems:
        raise SystemExit(f"eval_devset: --name {a.name} clashes with a baseline row")
    run_stats = None
    template = None
    if a.outdir:
        systems[a.name] = collect(a.outdir, clips, a.name)
    elif not a.baseline_only:
        template = a.cmd or DEFAULT_CMD
        workdir = a.workdir if os.path.isabs(a.workdir) else os.path.join(REPO, a.workdir)
        systems[a.name], run_stats = run_command(template, clips, devset, workdir, a.ext, max(1, a.jobs))

    t0 = time.monotonic()
    scores = score_systems(devset, clips, systems, max(1, a.jobs))
    t_score = time.monotonic() - t0

    print("# Dev set scores\n")
    print(f"Command (from the repository root):\n\n    {cmdline}\n")
    if template is not None:
        print(f"Denoiser command per clip: `{template}` ({{in}} = `noisy/NNN.flac`, "
              f"{{out}} = `{os.path.relpath(os.path.join(REPO, a.workdir), REPO)}/NNN.{a.ext}`)\n")
    elif a.outdir:
        print(f"Outputs of `{a.name}` scored from `{a.outdir}`\n")
    print(f"Dev set: `{os.path.relpath(devset, REPO)}`, {len(clips)} clips; all rows scored on the same "
          f"clips with train/metrics.py (definitions: devset/BASELINE.md).\n")
    if a.clips:
        print("**Subset of clips only: these means are not comparable with BASELINE.md.**\n")
    print(main_table(scores, clips))
    titles = {"snr": "SNR (dB)", "speech": "speech", "noise": "noise"}
    for key in [k.strip() for k in a.by.split(",") if k.strip()]:
        if key not in titles:
            raise SystemExit(f"eval_devset: unknown --by {key} (snr, speech, noise)")
        print(f"\nBy {titles[key].split(' ')[0]}:\n")
        print(group_table(scores, clips, key, titles[key]))
    if run_stats is not None:
        audio_s = sum(_duration(os.path.join(devset, "noisy", c["id"] + ".flac")) for c in clips)
        print(f"\nDenoiser runs: {run_stats['cpu_s']:.1f} s CPU (user+sys, all {len(clips)} processes "
              f"incl. start-up) for {audio_s:.1f} s of audio, {run_stats['wall_s']:.1f} s wall "
              f"with {run_stats['jobs']} in parallel.")
    print(f"\nScoring took {t_score:.1f} s wall.")

    if a.json:
        ids = [c["id"] for c in clips]
        blob = {"command": cmdline, "denoiser_command": template, "devset": devset,
                "summary": {n: summarize(pc, ids) for n, pc in scores.items()},
                "per_clip": scores, "clips": clips, "run": run_stats}
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump(blob, f, indent=1, allow_nan=True)
    return scores


def _duration(path):
    p = subprocess.run(["soxi", "-D", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return float(p.stdout.strip()) if p.returncode == 0 else 0.0


if __name__ == "__main__":
    main()
