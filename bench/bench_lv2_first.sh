#!/bin/sh
# bench_lv2_first.sh [N] — the first denoiser instantiate+activate of a process is the one a
# host pays when it opens a session (it reads the model and sets up FFTW); it happens once
# per process, so it is measured over N fresh processes (default 20) of
# `build/bench/bench_lv2 --first`. Prints every run, then the median and the worst.
# Run from the repo root after `make`.
set -eu
n=${1:-20}
bin=build/bench/bench_lv2
[ -x "$bin" ] || { echo "bench_lv2_first: $bin missing (run make)" >&2; exit 1; }
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
i=0
while [ "$i" -lt "$n" ]; do
    "$bin" --first | tee -a "$tmp"
    i=$((i + 1))
done
awk '{ print $2 }' "$tmp" | sort -n | awk '{ v[NR] = $1 }
    END { med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
          printf "first instantiate+activate over %d processes: median %.2f ms, worst %.2f ms\n", NR, med, v[NR] }'
