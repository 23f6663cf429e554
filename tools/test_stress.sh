#!/bin/bash
# tools/test_stress.sh — `make test-stress`: the whole `make test` while the other CPU cores are
# kept busy, to show that the tests wait for what they need instead of sleeping and hoping.
#
#   tools/test_stress.sh              make test with nproc - 1 busy workers (at least 1)
#   STRESS_WORKERS=N tools/test_stress.sh    N workers instead
#   MAKE=... is the make to run (the Makefile passes its own)
#
# Load: stress-ng --cpu N when stress-ng is installed, else N shell busy loops; both at normal
# priority, so they compete with the tests as another user's build would. The load is always
# stopped, by the PIDs started here, when make test ends, fails or is interrupted (EXIT/INT/TERM
# trap); a watchdog stops it too if this script itself is killed with SIGKILL. Prints the load
# average before, during (every minute) and after, and the exit status of make test, which is
# this script's status.
set -uo pipefail
cd "$(dirname "$0")/.."
MAKE=${MAKE:-make}
n=${STRESS_WORKERS:-$(( $(nproc) - 1 ))}
[ "$n" -ge 1 ] 2>/dev/null || n=1

load_pids=()
watch_pid=""
sampler_pid=""
stop_load() {
  local p
  for p in "${load_pids[@]}" $sampler_pid $watch_pid; do kill "$p" 2>/dev/null; done
  for p in "${load_pids[@]}" $sampler_pid $watch_pid; do wait "$p" 2>/dev/null; done
  load_pids=(); watch_pid=""; sampler_pid=""
}
trap 'stop_load' EXIT
trap 'stop_load; exit 130' INT
trap 'stop_load; exit 143' TERM

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
echo "test-stress: load average before: $(loadavg)"
if command -v stress-ng >/dev/null; then
  kind="stress-ng --cpu $n"
  stress-ng --cpu "$n" --quiet &
  load_pids+=($!)
else
  kind="$n shell busy loop(s)"
  for _ in $(seq "$n"); do
    bash -c 'while :; do :; done' &
    load_pids+=($!)
  done
fi
# if this script dies without running its trap (SIGKILL), the load must not outlive it
me=$$
( while kill -0 "$me" 2>/dev/null; do sleep 2; done; kill "${load_pids[@]}" 2>/dev/null ) &
watch_pid=$!
( while sleep 60; do echo "test-stress: load average $(loadavg)"; done ) &
sampler_pid=$!
echo "test-stress: load: $kind (PIDs ${load_pids[*]}) on $(nproc) CPUs; running $MAKE test"

t0=$(date +%s)
$MAKE test
rc=$?
t1=$(date +%s)
stop_load
echo "test-stress: load stopped; load average after: $(loadavg)"
if [ $rc = 0 ]; then
  echo "test-stress: make test PASSED with $kind busy ($((t1 - t0)) s)"
else
  echo "test-stress: make test FAILED (exit $rc) with $kind busy ($((t1 - t0)) s)"
fi
exit $rc
