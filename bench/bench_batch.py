#!/usr/bin/python3
"""statewave-batch throughput: files/s against worker count (LocalCluster, one thread per worker)
on the 60 real dev-set clips (48 kHz mono FLAC, 373 s of audio). Each run writes a fresh output
tree; the cluster is started before the clock starts (its start-up is printed apart). Also the
single-process cost per file without Dask, to show the scheduler's overhead.
Run by `make bench` with the package from python/ over build/libstatewave.so."""
import glob
import os
import shutil
import sys
import tempfile
import time

import soundfile as sf

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))
os.environ.setdefault("STATEWAVE_LIB", os.path.join(ROOT, "build", "libstatewave.so"))
os.environ["PYTHONPATH"] = os.path.join(ROOT, "python") + os.pathsep + os.environ.get("PYTHONPATH", "")

from statewave import batch  # noqa: E402


def main():
    from distributed import Client, LocalCluster
    src = os.path.join(ROOT, "..", "shared", "data", "devset", "noisy")
    files = sorted(glob.glob(os.path.join(src, "*.flac")))
    if not files:
        sys.exit(f"bench_batch: no dev-set clips in {src}")
    audio = sum(sf.info(f).duration for f in files)
    print(f"bench_batch: {len(files)} files, {audio:.1f} s of 48 kHz mono FLAC, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.2f}")
    tmp = tempfile.mkdtemp(prefix="bench_batch.")
    try:
        # one process, no Dask: the work itself
        t0, c0 = time.monotonic(), time.process_time()
        for i, f in enumerate(files):
            r = batch.process_file(f, os.path.join(tmp, "serial"), os.path.basename(f), "bench")
            assert r["status"] == "done", r
        ts, cs = time.monotonic() - t0, time.process_time() - c0
        print(f"  serial (no Dask):  {len(files) / ts:6.2f} files/s  {audio / ts:7.1f} s audio/s  "
              f"{1000 * ts / len(files):6.1f} ms/file wall, {1000 * cs / len(files):6.1f} ms/file CPU")
        for w in sorted({1, 2, os.cpu_count() or 1}):
            t0 = time.monotonic()
            cluster = LocalCluster(n_workers=w, threads_per_worker=1, processes=True, dashboard_address=None)
            client = Client(cluster)
            client.wait_for_workers(w)
            tstart = time.monotonic() - t0
            t0 = time.monotonic()
            res = batch.run([src], os.path.join(tmp, f"w{w}"), client=client)
            tw = time.monotonic() - t0
            assert all(r["status"] == "done" for r in res)
            print(f"  Dask, {w} worker(s): {len(files) / tw:6.2f} files/s  {audio / tw:7.1f} s audio/s  "
                  f"{1000 * tw / len(files):6.1f} ms/file wall (cluster start-up {tstart:.1f} s, not counted)")
            client.close()
            cluster.close()
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
