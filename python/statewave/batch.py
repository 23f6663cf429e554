"""statewave-batch — denoise many files on Dask distributed (a LocalCluster, or a cluster of
dask-workers on many hosts through --scheduler tcp://HOST:8786).

Inputs: folders (walked recursively for audio files), files, glob patterns, and/or a manifest
(--manifest FILE: one path per line, '#' comments; relative paths are relative to the manifest's
folder). Outputs mirror the inputs' tree under OUT: IN_ROOT/a/b.flac -> OUT/a/b.flac, same format,
channels, rate, length (time-aligned, as `statewave denoise`).

Safety and resumption:
  - each output is written to a temp file next to it (.NAME.swtmp-JOB-PID) and renamed over the
    final name only when complete, so an output either exists whole or not at all;
  - a file whose output exists is skipped (a crashed or stopped job resumes where it was);
  - a task that a dead worker ran is re-run elsewhere (Dask), and the task checks again whether
    the output exists before writing, so nothing is written twice;
  - each committed output is one line in OUT/.statewave-batch.log (time, job, pid, file);
  - a file that fails (unreadable, unsupported, write error) is reported and the job goes on;
    the exit status is 1 if any failed.
Temp files that a killed worker left behind are removed at the end of the job.
"""
import argparse
import glob as globmod
import json
import os
import socket
import sys
import time
import uuid

AUDIO_EXTS = {".wav", ".flac", ".ogg", ".oga", ".opus", ".aif", ".aiff", ".caf", ".w64", ".rf64",
              ".au", ".mp3"}
JOURNAL = ".statewave-batch.log"
TMP_TAG = ".swtmp-"
BLOCK = 65536

_models = {}  # per worker process: model path -> statewave.Model


def _model(path):
    import statewave
    key = path or ""
    if key not in _models:
        _models[key] = statewave.load_model(path or statewave.default_model_path("denoise"))
    return _models[key]


def _denoise_stream(src, dst, model, mix, limit_db):
    """Read `src` (soundfile.SoundFile) in blocks, denoise (linked channel pairs), write to `dst`
    time-aligned and of the same length: the first L output frames are dropped and L zeros are
    fed after the input (the same pipeline as `statewave denoise`). Returns frames written."""
    import numpy as np
    import statewave
    C = src.channels
    dns = [statewave.Denoiser(src.samplerate, min(2, C - k), model, mix, limit_db) for k in range(0, C, 2)]
    L = dns[0].latency
    to_trim, written, nread = L, 0, 0

    def run(x):
        nonlocal to_trim, written
        y = np.empty_like(x)
        for i, k in enumerate(range(0, C, 2)):
            y[:, k:k + 2] = dns[i].process(x[:, k:k + 2])
        skip = min(to_trim, len(y))
        to_trim -= skip
        y = y[skip:]
        room = nread - written
        y = y[:room]
        if len(y):
            dst.write(y)
            written += len(y)

    while True:
        x = src.read(BLOCK, dtype="float32", always_2d=True)
        if not len(x):
            break
        nread += len(x)
        run(x)
    if nread == 0:
        raise ValueError("empty file (no audio frames)")
    run(np.zeros((L, C), np.float32))
    for d in dns:
        d.close()
    return written


def _journal(out_root, job, rel):
    line = f"{time.strftime('%Y-%m-%dT%H:%M:%S')} job={job} host={socket.gethostname()} pid={os.getpid()} wrote {rel}\n"
    fd = os.open(os.path.join(out_root, JOURNAL), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())  # one write: lines from concurrent workers never interleave
    finally:
        os.close(fd)


def process_file(in_path, out_root, rel, job, model_path=None, mix=1.0, limit_db=100.0):
    """One file, run on a worker. Never raises: returns a summary dict (status done, skipped or
    failed; seconds; duration of the audio; error)."""
    import soundfile as sf
    out_path = os.path.join(out_root, rel)
    res = {"input": in_path, "output": out_path, "status": "failed", "duration": None,
           "seconds": 0.0, "error": None, "worker_pid": os.getpid()}
    t0 = time.monotonic()
    tmp = None
    try:
        if os.path.exists(out_path):
            res["status"] = "skipped"
            return res
        os.makedirs(os.path.dirname(out_path) or ".", exist_ok=True)
        d, b = os.path.split(out_path)
        tmp = os.path.join(d, f".{b}{TMP_TAG}{job}-{os.getpid()}")
        with sf.SoundFile(in_path) as src:
            res["duration"] = src.frames / src.samplerate if src.frames > 0 else None
            with sf.SoundFile(tmp, "w", samplerate=src.samplerate, channels=src.channels,
                              format=src.format, subtype=src.subtype, endian=src.endian) as dst:
                n = _denoise_stream(src, dst, _model(model_path), mix, limit_db)
            res["duration"] = n / src.samplerate
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        if os.path.exists(out_path):  # finished meanwhile by another run of this task
            os.unlink(tmp)
            res["status"] = "skipped"
            return res
        os.replace(tmp, out_path)
        tmp = None
        _journal(out_root, job, rel)
        res["status"] = "done"
    except Exception as e:  # per-file failure: reported, never stops the job
        res["error"] = f"{type(e).__name__}: {e}"
    finally:
        if tmp and os.path.exists(tmp):
            try:
                os.unlink(tmp)
            except OSError:
                pass
        res["seconds"] = time.monotonic() - t0
    return res


def _has_magic(s):
    return any(c in s for c in "*?[")


def collect(inputs, manifest=None, root=None):
    """-> (root, [(input path, path relative to root)]). Folders are walked; globs expanded; the
    root is --root, else the single folder given, else the inputs' common folder."""
    files, roots = [], []
    for a in inputs:
        if os.path.isdir(a):
            roots.append(a)
            for dp, dn, fn in os.walk(a):
                dn.sort()
                for f in sorted(fn):
                    if os.path.splitext(f)[1].lower() in AUDIO_EXTS and not f.startswith("."):
                        files.append(os.path.join(dp, f))
        elif _has_magic(a):
            m = sorted(p for p in globmod.glob(a, recursive=True) if os.path.isfile(p))
            if not m:
                raise SystemExit(f"statewave-batch: error: '{a}' matches no file")
            files += m
        else:
            files.append(a)  # a missing file is reported as that file's failure
    if manifest:
        base = os.path.dirname(os.path.abspath(manifest))
        with open(manifest, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if line and not line.startswith("#"):
                    files.append(line if os.path.isabs(line) else os.path.join(base, line))
    if not files:
        raise SystemExit("statewave-batch: error: no input files")
    if root is None:
        if len(roots) == 1 and len(inputs) == 1 and not manifest:
            root = roots[0]
        else:
            root = os.path.commonpath([os.path.dirname(os.path.abspath(p)) for p in files])
    root = os.path.abspath(root)
    out, seen = [], set()
    for p in files:
        rel = os.path.relpath(os.path.abspath(p), root)
        if rel.startswith(".." + os.sep) or rel == "..":
            raise SystemExit(f"statewave-batch: error: '{p}' is outside the root '{root}' (see --root)")
        if rel not in seen:  # the same file named twice is done once
            seen.add(rel)
            out.append((p, rel))
    return root, out


def run(inputs, out_root, manifest=None, root=None, scheduler=None, workers=None, model=None,
        mix=1.0, limit_db=100.0, retries=2, on_result=None, client=None):
    """Run a batch job; returns the list of per-file summaries (input order)."""
    from distributed import Client, LocalCluster, as_completed
    root, files = collect(inputs, manifest, root)
    out_root = os.path.abspath(out_root)
    walked = [os.path.abspath(a) for a in inputs if os.path.isdir(a)]
    for w in walked + [root]:
        if out_root == w or (w in walked and out_root.startswith(w + os.sep)):
            raise SystemExit(f"statewave-batch: error: output folder '{out_root}' is (inside) the input "
                             f"folder '{w}': a later run would take outputs as inputs")
    os.makedirs(out_root, exist_ok=True)
    if model:
        model = os.path.abspath(model)
        import statewave
        statewave.load_model(model)  # a bad model stops here, once, with the loader's message
    job = uuid.uuid4().hex[:12]
    cluster = None
    own = client is None
    if own:
        if scheduler:
            client = Client(scheduler)
        else:
            n = workers or os.cpu_count() or 1
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                   dashboard_address=None)
            client = Client(cluster)
    try:
        futs = {}
        for i, (p, rel) in enumerate(files):
            f = client.submit(process_file, os.path.abspath(p), out_root, rel, job, model, mix, limit_db,
                              pure=False, retries=retries, key=f"statewave-{job}-{i}")
            futs[f] = i
        results = [None] * len(files)
        for f in as_completed(list(futs)):
            i = futs[f]
            try:
                r = f.result()
            except Exception as e:  # e.g. KilledWorker after the retries: that file failed
                r = {"input": files[i][0], "output": os.path.join(out_root, files[i][1]),
                     "status": "failed", "duration": None, "seconds": None,
                     "error": f"{type(e).__name__}: {e}"}
            results[i] = r
            if on_result:
                on_result(r)
        return results
    finally:
        _clean_tmp(out_root, job)
        if own:
            client.close()
            if cluster:
                cluster.close()


def _clean_tmp(out_root, job):
    """Remove this job's temp files left by killed workers (every task has finished)."""
    tag = f"{TMP_TAG}{job}-"
    for dp, _, fn in os.walk(out_root):
        for f in fn:
            if tag in f:
                try:
                    os.unlink(os.path.join(dp, f))
                except OSError:
                    pass


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="statewave-batch",
        description="Denoise audio files on Dask distributed; outputs mirror the inputs' tree.")
    ap.add_argument("inputs", nargs="*", help="folders, files or glob patterns ('data/**/*.flac')")
    ap.add_argument("-o", "--output", required=True, help="output folder (the mirrored tree)")
    ap.add_argument("--manifest", help="text file of input paths, one per line")
    ap.add_argument("--root", help="input root that the output tree mirrors (default: the folder "
                    "given, else the inputs' common folder)")
    ap.add_argument("--scheduler", help="Dask scheduler address (tcp://HOST:8786); default: a "
                    "LocalCluster on this machine")
    ap.add_argument("-j", "--workers", type=int, help="LocalCluster workers (default: CPU count)")
    ap.add_argument("-m", "--model", help="denoise model (default: $STATEWAVE_MODEL, then the shipped one)")
    ap.add_argument("--mix", type=float, default=1.0)
    ap.add_argument("--limit-db", type=float, default=100.0)
    ap.add_argument("--retries", type=int, default=2, help="re-runs of a file whose worker died")
    ap.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    ap.add_argument("-q", "--quiet", action="store_true")
    a = ap.parse_args(argv)
    if not a.inputs and not a.manifest:
        ap.error("no inputs (folders, files, globs or --manifest)")
    if not (0.0 <= a.mix <= 1.0) or not (0.0 <= a.limit_db <= 100.0):
        ap.error("--mix wants [0,1], --limit-db [0,100]")
    if a.workers is not None and a.workers < 1:
        ap.error("--workers wants at least 1")

    def show(r):
        if r["status"] == "failed":
            print(f"statewave-batch: error: '{r['input']}': {r['error']}", file=sys.stderr)
        elif not a.quiet:
            print(f"{r['status']:7s} {r['input']} -> {r['output']}", file=sys.stderr)

    t0 = time.monotonic()
    try:
        res = run(a.inputs, a.output, a.manifest, a.root, a.scheduler, a.workers, a.model, a.mix,
                  a.limit_db, a.retries, on_result=show)
    except Exception as e:
        import statewave
        if isinstance(e, (statewave.StatewaveError, OSError)):
            print(f"statewave-batch: error: {e}", file=sys.stderr)
            return 1
        raise
    wall = time.monotonic() - t0
    counts = {s: sum(r["status"] == s for r in res) for s in ("done", "skipped", "failed")}
    if a.json:
        json.dump({"files": res, **counts, "wall_seconds": wall}, sys.stdout, indent=1)
        print()
    if not a.quiet:
        print(f"statewave-batch: {counts['done']} done, {counts['skipped']} skipped, "
              f"{counts['failed']} failed in {wall:.1f} s", file=sys.stderr)
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
