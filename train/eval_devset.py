#!/usr/bin/python3
"""Score a denoiser on both Statewave dev sets, next to the noisy input and RNNoise v0.1.1 / 0.2.

    /usr/bin/python3 train/eval_devset.py                       # build/statewave on devset + devset-wb
    /usr/bin/python3 train/eval_devset.py --model M.safetensors # the same with another model
    /usr/bin/python3 train/eval_devset.py --cmd 'build/statewave denoise {in} -o {out} -q --model M'
    /usr/bin/python3 train/eval_devset.py --outdir DIR          # score existing outputs (see --outdir)
    /usr/bin/python3 train/eval_devset.py --baseline-only       # only the anchor rows
    /usr/bin/python3 train/eval_devset.py --devset ../shared/data/devset   # one set only

Rows per set: `noisy` (the input), `rnnoise` (RNNoise v0.1.1, the set's shipped rnnoise/ files),
`rnnoise_v0.2` (RNNoise 0.2, @jitsi/rnnoise-wasm 0.2.1 run by train/anchors/rnnoise_anchor.py; where a
set ships its own rnnoise_v0.2/ files, as devset-wb does, those are scored and ours are compared with
them sample by sample), `rnnoise_master` (@shiguredo/rnnoise-wasm, RNNoise master, run by us) and the
scored system (default name `statewave`). The anchor outputs are cached in build/anchors/<set>/ and
made on first use (Node.js + npm ci of the pinned packages).

Prints markdown: per set the mean SI-SDR, SI-SDRi, STOI, LSD and alignment lag per system and per-SNR
breakdowns; for a set that ships band_levels.csv (devset-wb) the band-level table of its README
("Band-level measure": median over files of output-minus-clean level in 0-1, 1-2, 2-4, 4-6, 6-8 kHz
over speech frames), overall, at SNR >= 5 dB and per SNR; then a side-by-side table of both sets and
the "Done-when check" of issue 11 (statewave vs RNNoise 0.2). Without --clips the same markdown and a
JSON file with every per-clip value go to build/eval/devsets.{md,json} (--report changes the path).
The metrics and the output preparation (mono, resampling, alignment within +-100 ms, pad/cut) are
those of ../shared/data/devset/BASELINE.md, implemented in train/metrics.py; tests/py/test_metrics.py
checks that the noisy and rnnoise rows reproduce it. Every system is scored on the same clips; a
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
from anchors import rnnoise_anchor  # noqa: E402  (train/anchors/rnnoise_anchor.py)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(REPO, "..", "shared", "data")
DEFAULT_DEVSETS = (os.path.join(DATA, "devset"), os.path.join(DATA, "devset-wb"))
DEFAULT_CMD = "build/statewave denoise {in} -o {out} -q"
DEFAULT_REPORT = os.path.join("build", "eval", "devsets")
METRICS = ("si_sdr", "si_sdri", "stoi", "lsd")
V02 = "rnnoise_v0.2"

# Issue 11 "Done when": against RNNoise 0.2 on both sets, and the band levels of devset-wb.
DONE_SISDRI_MARGIN = 2.0   # dB above RNNoise 0.2's mean SI-SDRi
DONE_BAND_TOL = 1.5        # |median band level - clean| at SNR >= DONE_BAND_SNR, every band
DONE_BAND_SNR = 5


# --------------------------------------------------------------------------------------------
# Dev set
# --------------------------------------------------------------------------------------------

def read_manifest(devset):
    """Clip list from MANIFEST.tsv: [{id, snr, speech, noise, group}] in id order."""
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
                          "speech": row["speech_corpus"], "noise": row["noise_class"],
                          "group": row.get("speaker_group", "-")})
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


def has_band_table(devset):
    """A set that publishes the band-level table (band_levels.csv) is scored on it too."""
    return os.path.isfile(os.path.join(devset, "band_levels.csv"))


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
    key, clean_path, outputs, bands = task
    x, fs = metrics.read_audio(clean_path)
    ref = metrics.Reference(x, fs)
    res = {}
    for name, path in outputs.items():
        try:
            y, fy = metrics.read_audio(path)
            res[name] = ref.score(y, fy, bands=bands)
        except (IOError, ValueError) as e:
            raise RuntimeError(f"clip {key}, {name} ({path}): {e}") from None
    return key, res


def _run_tasks(tasks, jobs):
    if jobs > 1 and len(tasks) > 1:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            return pool.map(_score_clip, tasks, chunksize=1)
    return [_score_clip(t) for t in tasks]


def _tasks(devset, clips, systems, bands, tag=None):
    return [((tag, c["id"]), os.path.join(devset, "clean", c["id"] + ".flac"),
             {name: paths[c["id"]] for name, paths in systems.items()}, bands) for c in clips]


def _collate(done, systems):
    out = {name: {} for name in systems}
    for (_, cid), res in done:
        for name, m in res.items():
            out[name][cid] = m
    for name in systems:
        for cid, m in out[name].items():
            m["si_sdri"] = m["si_sdr"] - out["noisy"][cid]["si_sdr"]
    return out


def score_systems(devset, clips, systems, jobs, bands=False):
    """systems: {name: {id: path}} with the same ids. Returns {name: {id: metrics dict}}.

    SI-SDRi is added per clip against the `noisy` system, which must be present. bands=True adds
    each clip's band-level differences ("bands", dB per metrics.BANDS entry).
    """
    return _collate(_run_tasks(_tasks(devset, clips, systems, bands), jobs), systems)


def score_sets(sets, jobs):
    """Score several sets in one process pool. sets: {tag: (devset, clips, systems, bands)}."""
    tasks = []
    for tag, (devset, clips, systems, bands) in sets.items():
        tasks += _tasks(devset, clips, systems, bands, tag)
    done = _run_tasks(tasks, jobs)
    return {tag: _collate([d for d in done if d[0][0] == tag], sets[tag][2]) for tag in sets}


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


def band_medians(per_clip, ids):
    """Median over ids of each band's level difference (dB), in metrics.BANDS order."""
    return [float(np.median([per_clip[i]["bands"][b] for i in ids])) for b in range(len(metrics.BANDS))]


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


def _db1(v):
    s = f"{v:+.1f}"
    return "+0.0" if s == "-0.0" and v > -0.05 else s


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


def _groups(clips, key):
    groups = {}
    for c in clips:
        groups.setdefault(c[key], []).append(c["id"])
    return [(g, groups[g]) for g in sorted(groups, key=lambda v: (isinstance(v, str), v))]


def group_table(scores, clips, key, title):
    """One row per (group, system): files and the mean of each metric."""
    lines = [f"| {title} | system | files | SI-SDR (dB) | SI-SDRi (dB) | STOI | LSD (dB) |",
             "|---|---|---|---|---|---|---|"]
    for g, ids in _groups(clips, key):
        for n in scores:
            cells = [_f(float(np.mean([scores[n][i][m] for i in ids])), DIGITS[m]) for m in METRICS]
            lines.append(f"| {g} | {n} | {len(ids)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def band_table(scores, subsets):
    """subsets: [(label, ids)]; one row per (subset, system) of band medians."""
    head = "| subset | system | files | " + " | ".join(metrics.BAND_NAMES) + " |"
    lines = [head, "|" + "---|" * (3 + len(metrics.BANDS))]
    for label, ids in subsets:
        for n in scores:
            lines.append(f"| {label} | {n} | {len(ids)} | "
                         + " | ".join(_db1(v) for v in band_medians(scores[n], ids)) + " |")
    return "\n".join(lines)


def side_by_side(results):
    """One row per system, the four means of every set next to each other."""
    tags = list(results)
    names = []
    for t in tags:
        for n in results[t]["scores"]:
            if n not in names:
                names.append(n)
    head = "| system | " + " | ".join(f"{t} {TITLE[m]}" for t in tags for m in METRICS) + " |"
    lines = [head, "|" + "---|" * (1 + len(tags) * len(METRICS))]
    for n in names:
        cells = []
        for t in tags:
            sc, ids = results[t]["scores"], results[t]["ids"]
            if n not in sc:
                cells += ["-"] * len(METRICS)
                continue
            s = summarize(sc[n], ids)
            cells += [_f(s[m], DIGITS[m]) for m in METRICS]
        lines.append(f"| {ROW_LABEL.get(n, n)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def done_when(results, name, complete):
    """Issue 11 'Done when' checks of `name` against rnnoise_v0.2. Returns [(set, check, ok, text)]."""
    out = []
    for tag, r in results.items():
        sc, ids = r["scores"], r["ids"]
        if name not in sc or V02 not in sc:
            out.append((tag, "all", None, f"n/a: no {name if name not in sc else V02} row"))
            continue
        me, v2 = summarize(sc[name], ids), summarize(sc[V02], ids)
        out.append((tag, "SI-SDRi", me["si_sdri"] >= v2["si_sdri"] + DONE_SISDRI_MARGIN,
                    f"{name} {me['si_sdri']:.2f} dB vs RNNoise 0.2 {v2['si_sdri']:.2f} + "
                    f"{DONE_SISDRI_MARGIN:g} = {v2['si_sdri'] + DONE_SISDRI_MARGIN:.2f} dB"))
        out.append((tag, "STOI", me["stoi"] >= v2["stoi"],
                    f"{name} {me['stoi']:.3f} vs RNNoise 0.2 {v2['stoi']:.3f} (must be >=)"))
        out.append((tag, "LSD", me["lsd"] <= v2["lsd"],
                    f"{name} {me['lsd']:.2f} dB vs RNNoise 0.2 {v2['lsd']:.2f} dB (must be <=)"))
        if r["bands"]:
            sub = [c["id"] for c in r["clips"] if c["snr"] >= DONE_BAND_SNR]
            med = band_medians(sc[name], sub)
            bad = [f"{metrics.BAND_NAMES[b]} {_db1(v)}" for b, v in enumerate(med) if abs(v) > DONE_BAND_TOL]
            out.append((tag, f"bands at SNR >= {DONE_BAND_SNR} dB", not bad,
                        f"{name} medians over {len(sub)} files: "
                        + ", ".join(f"{_db1(v)}" for v in med) + f" dB (0-1 ... 6-8 kHz); |median| <= "
                        f"{DONE_BAND_TOL:g} dB" + (f"; outside: {', '.join(bad)}" if bad else "")))
    if not complete:
        out.append(("-", "note", None, "subset of clips only (--clips): not the Done-when figures"))
    return out


# --------------------------------------------------------------------------------------------

def _set_tag(devset):
    return os.path.basename(os.path.normpath(devset))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--devset", action="append", default=None,
                    help="dev set folder; repeat for several (default: ../shared/data/devset and "
                         "../shared/data/devset-wb)")
    src = ap.add_mutually_exclusive_group()
    src.add_argument("--cmd", default=None,
                     help=f"denoiser command per clip, with {{in}} {{out}} {{id}} (default: '{DEFAULT_CMD}')")
    src.add_argument("--model", help=f"run the default command with --model MODEL ('{DEFAULT_CMD} --model M')")
    src.add_argument("--outdir", help="score existing outputs DIR/NNN.flac or DIR/NNN.wav (one set) or "
                                      "DIR/<set name>/NNN.* (several sets) instead of running a command")
    src.add_argument("--baseline-only", action="store_true", help="only the noisy and RNNoise rows")
    ap.add_argument("--name", default="statewave", help="row label of the scored system (default statewave)")
    ap.add_argument("--anchors", default="v0.2,master",
                    help="RNNoise builds run by us, comma-separated from v0.2,master (default both; '' for "
                         "none: then only sets that ship rnnoise_v0.2/ have that row)")
    ap.add_argument("--anchor-cache", default=os.path.join("build", "anchors"),
                    help="where the anchor outputs are cached (default build/anchors)")
    ap.add_argument("--workdir", default=os.path.join("build", "eval", "out"),
                    help="where --cmd writes its outputs, one folder per set (default build/eval/out)")
    ap.add_argument("--ext", default="wav", choices=["wav", "flac"], help="output file type for --cmd")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                    help="parallel denoiser runs and scoring workers (default 2)")
    ap.add_argument("--by", default="snr",
                    help="breakdowns, comma-separated from snr,speech,noise,group (default snr; '' for none)")
    ap.add_argument("--report", default=None,
                    help=f"write PREFIX.md and PREFIX.json (default {DEFAULT_REPORT} unless --clips; "
                         f"'' for none)")
    ap.add_argument("--json", help="also write per-clip and mean scores to this JSON file")
    ap.add_argument("--clips", default="",
                    help="only these clip ids, e.g. 001,031 (quick checks; the means are then NOT "
                         "comparable with BASELINE.md or README figures)")
    a = ap.parse_args(argv)

    cmdline = "/usr/bin/python3 train/eval_devset.py" + "".join(" " + shlex.quote(v) for v in
                                                             (sys.argv[1:] if argv is None else argv))
    devsets = [os.path.abspath(d) for d in (a.devset or DEFAULT_DEVSETS)]
    tags = [_set_tag(d) for d in devsets]
    if len(set(tags)) != len(tags):
        raise SystemExit(f"eval_devset: two dev sets with the same folder name: {tags}")
    anchors = [v.strip() for v in a.anchors.split(",") if v.strip()]
    for v in anchors:
        if v not in rnnoise_anchor.ENGINES:
            raise SystemExit(f"eval_devset: unknown anchor {v} ({', '.join(rnnoise_anchor.ENGINES)})")
    if a.name in ("noisy", "rnnoise") or a.name.startswith("rnnoise_"):
        raise SystemExit(f"eval_devset: --name {a.name} clashes with a baseline row")
    by = [k.strip() for k in a.by.split(",") if k.strip()]
    titles = {"snr": "SNR (dB)", "speech": "speech", "noise": "noise", "group": "speaker group"}
    for key in by:
        if key not in titles:
            raise SystemExit(f"eval_devset: unknown --by {key} ({', '.join(titles)})")
    template = None
    if not a.outdir and not a.baseline_only:
        template = a.cmd or DEFAULT_CMD
        if a.model:
            if not os.path.isfile(a.model):
                raise SystemExit(f"eval_devset: --model {a.model}: no such file")
            template = f"{DEFAULT_CMD} --model {shlex.quote(os.path.abspath(a.model))}"
    cache_root = a.anchor_cache if os.path.isabs(a.anchor_cache) else os.path.join(REPO, a.anchor_cache)

    # Clips and the rows every set has on disk; then the scored system (run first: a broken
    # denoiser should fail before minutes of anchor runs).
    sets = {}
    for devset, tag in zip(devsets, tags):
        clips = read_manifest(devset)
        if a.clips:
            want = [v.strip() for v in a.clips.split(",") if v.strip()]
            known = {c["id"] for c in clips}
            bad = [v for v in want if v not in known]
            if bad:
                raise SystemExit(f"eval_devset: {tag}: unknown clip ids {', '.join(bad)}")
            clips = [c for c in clips if c["id"] in want]
        systems = {"noisy": collect(os.path.join(devset, "noisy"), clips, f"{tag} noisy"),
                   "rnnoise": collect(os.path.join(devset, "rnnoise"), clips, f"{tag} rnnoise")}
        sets[tag] = {"devset": devset, "clips": clips, "systems": systems, "run": None,
                     "bands": has_band_table(devset), "anchor_check": None, "anchor_src": {}}
    for tag, s in sets.items():
        if a.outdir:
            folder = a.outdir if len(sets) == 1 else os.path.join(a.outdir, tag)
            s["ours"] = collect(folder, s["clips"], f"{tag} {a.name}")
        elif template is not None:
            workdir = a.workdir if os.path.isabs(a.workdir) else os.path.join(REPO, a.workdir)
            s["ours"], s["run"] = run_command(template, s["clips"], s["devset"], os.path.join(workdir, tag),
                                              a.ext, max(1, a.jobs))

    # RNNoise 0.2 and master, run by us (cached); the shipped 0.2 files where a set has them.
    for tag, s in sets.items():
        shipped = os.path.join(s["devset"], V02)
        ours = {}
        for eng in anchors:
            folder, _, clipped = rnnoise_anchor.cache(s["devset"], cache_root, eng, max(1, a.jobs))
            ours[eng] = collect(folder, s["clips"], f"{tag} rnnoise_{eng}")
        if os.path.isdir(shipped):
            s["systems"][V02] = collect(shipped, s["clips"], f"{tag} {V02}")
            s["anchor_src"][V02] = f"the set's shipped {V02}/ files"
            if "v0.2" in ours:
                ids = [c["id"] for c in s["clips"]]
                folder = os.path.dirname(next(iter(ours["v0.2"].values())))
                cmp = rnnoise_anchor.compare(folder, shipped, ids)
                s["anchor_check"] = {cid: {"max_diff_lsb": v[0], "si_sdr_vs_shipped": v[1]}
                                     for cid, v in cmp.items()}
        elif "v0.2" in ours:
            s["systems"][V02] = ours["v0.2"]
            s["anchor_src"][V02] = (f"run by us, {os.path.relpath(os.path.dirname(next(iter(ours['v0.2'].values()))), REPO)}/")
        if "master" in ours:
            s["systems"]["rnnoise_master"] = ours["master"]
            s["anchor_src"]["rnnoise_master"] = (
                f"run by us, {os.path.relpath(os.path.dirname(next(iter(ours['master'].values()))), REPO)}/")
        if "ours" in s:
            s["systems"][a.name] = s["ours"]

    t0 = time.monotonic()
    scored = score_sets({tag: (s["devset"], s["clips"], s["systems"], s["bands"]) for tag, s in sets.items()},
                        max(1, a.jobs))
    t_score = time.monotonic() - t0
    results = {tag: {"scores": scored[tag], "ids": [c["id"] for c in s["clips"]], "clips": s["clips"],
                     "bands": s["bands"]} for tag, s in sets.items()}

    # ---- markdown
    md = []
    p = md.append
    p("# Dev set scores: " + " and ".join(tags) + "\n")
    p(f"Command (from the repository root):\n\n    {cmdline}\n")
    if template is not None:
        p(f"Denoiser command per clip: `{template}` ({{in}} = `<set>/noisy/NNN.flac`, "
          f"{{out}} = `{os.path.relpath(os.path.join(REPO, a.workdir), REPO)}/<set>/NNN.{a.ext}`)\n")
    elif a.outdir:
        p(f"Outputs of `{a.name}` scored from `{a.outdir}`\n")
    p("Rows: `noisy` = the input; `rnnoise` = RNNoise v0.1.1 (each set's shipped rnnoise/ files); "
      f"`{V02}` = RNNoise 0.2 (@jitsi/rnnoise-wasm {rnnoise_anchor.package_version('v0.2')[0]}); "
      f"`rnnoise_master` = RNNoise master (@shiguredo/rnnoise-wasm "
      f"{rnnoise_anchor.package_version('master')[0]}); both run by train/anchors/rnnoise_anchor.py "
      f"unless said otherwise below. All rows of a set are scored on the same clips with "
      f"train/metrics.py (definitions: devset/BASELINE.md; band levels: devset-wb/README.md).\n")
    if a.clips:
        p("**Subset of clips only: these means are not comparable with BASELINE.md.**\n")
    p("## Side by side (means over files)\n")
    p(side_by_side(results) + "\n")
    for tag, s in sets.items():
        sc, clips = scored[tag], s["clips"]
        p(f"## {tag} ({len(clips)} clips, `{os.path.relpath(s['devset'], REPO)}`)\n")
        for row, src in s["anchor_src"].items():
            p(f"- `{row}`: {src}")
        if s["anchor_check"] is not None:
            chk = s["anchor_check"]
            same = sum(1 for v in chk.values() if v["max_diff_lsb"] == 0)
            worst = max(v["max_diff_lsb"] for v in chk.values())
            low = min(v["si_sdr_vs_shipped"] for v in chk.values())
            verdict = "matches them" if worst == 0 else "DOES NOT match them"
            p(f"- RNNoise 0.2 run by us {verdict}: {same} of {len(chk)} clips bit-identical to the shipped "
              f"{V02}/ files, largest difference {worst:g} steps of 16 bits"
              + (f", lowest SI-SDR ours vs shipped {low:.1f} dB" if worst else ""))
        p("")
        p(main_table(sc, clips) + "\n")
        for key in by:
            if len({c[key] for c in clips}) > 1:
                p(f"By {titles[key]}:\n")
                p(group_table(sc, clips, key, titles[key]) + "\n")
        if s["bands"]:
            ids = [c["id"] for c in clips]
            hi = [c["id"] for c in clips if c["snr"] >= DONE_BAND_SNR]
            subsets = [("all", ids), (f"SNR >= {DONE_BAND_SNR} dB", hi)]
            subsets += [(f"SNR {g:+d} dB", gids) for g, gids in _groups(clips, "snr")]
            p("Band levels: median over files of output minus clean level (dB) over the clean speech "
              "frames, per band (devset-wb/README.md \"Band-level measure\"); 0 is ideal, negative = "
              "speech removed, positive = noise left.\n")
            p(band_table(sc, [sb for sb in subsets if sb[1]]) + "\n")
        if s["run"] is not None:
            audio_s = sum(_duration(os.path.join(s["devset"], "noisy", c["id"] + ".flac")) for c in clips)
            p(f"Denoiser runs: {s['run']['cpu_s']:.1f} s CPU (user+sys, all {len(clips)} processes incl. "
              f"start-up) for {audio_s:.1f} s of audio, {s['run']['wall_s']:.1f} s wall with "
              f"{s['run']['jobs']} in parallel.\n")
    checks = done_when(results, a.name, not a.clips)
    p("## Done-when check (issue 11, against RNNoise 0.2)\n")
    p("```")
    for tag, what, ok, text in checks:
        verdict = "n/a " if ok is None else ("PASS" if ok else "FAIL")
        p(f"{verdict}  {tag:<10} {what:<22} {text}")
    p("```\n")
    p(f"Scoring took {t_score:.1f} s wall.")
    text = "\n".join(md)
    print(text)

    blob = {"command": cmdline, "denoiser_command": template, "name": a.name,
            "bands": list(metrics.BAND_NAMES),
            "sets": {tag: {"devset": s["devset"], "clips": s["clips"], "run": s["run"],
                           "rows": {n: s["anchor_src"].get(n, "") for n in scored[tag]},
                           "summary": {n: summarize(pc, results[tag]["ids"]) for n, pc in scored[tag].items()},
                           "band_medians": ({n: {"all": band_medians(pc, results[tag]["ids"]),
                                                 f"snr>={DONE_BAND_SNR}": band_medians(
                                                     pc, [c["id"] for c in s["clips"] if c["snr"] >= DONE_BAND_SNR])}
                                             for n, pc in scored[tag].items()} if s["bands"] else None),
                           "anchor_check": s["anchor_check"], "per_clip": scored[tag]}
                     for tag, s in sets.items()},
            "done_when": [{"set": t, "check": w, "pass": ok, "detail": d} for t, w, ok, d in checks]}
    report = a.report if a.report is not None else ("" if a.clips else DEFAULT_REPORT)
    if report:
        prefix = report if os.path.isabs(report) else os.path.join(REPO, report)
        os.makedirs(os.path.dirname(prefix), exist_ok=True)
        with open(prefix + ".md", "w", encoding="utf-8") as f:
            f.write(text + "\n")
        with open(prefix + ".json", "w", encoding="utf-8") as f:
            json.dump(blob, f, indent=1, allow_nan=True)
        print(f"\nWritten: {os.path.relpath(prefix, REPO)}.md, {os.path.relpath(prefix, REPO)}.json")
    if a.json:
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump(blob, f, indent=1, allow_nan=True)
    return {tag: scored[tag] for tag in sets}


def _duration(path):
    p = subprocess.run(["soxi", "-D", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return float(p.stdout.strip()) if p.returncode == 0 else 0.0


if __name__ == "__main__":
    main()
