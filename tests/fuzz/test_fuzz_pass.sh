#!/bin/bash
# The short fuzz pass of `make test` (registered by mk/fuzz.mk): for every libFuzzer target,
# every file of its committed corpus (tests/fuzz/corpus/TARGET: seeds and regression cases, and
# for the model loader the seed models build-fuzz/fuzz_seeds writes) runs once, then a fixed
# number of mutations from a fixed seed, so every run of `make test` executes the same inputs.
# Any crash, sanitizer report, leak or timeout fails it. New inputs go to a temp folder only.
# Seconds, not minutes: the long runs are `make fuzz` (FUZZ_TIME seconds per target).
set -euo pipefail
cd "$(dirname "$0")/../.."
make --no-print-directory fuzz-build >/dev/null
FD=build-fuzz
export LSAN_OPTIONS="suppressions=$PWD/tests/fuzz/lsan.supp:print_suppressions=0"
mkdir -p "$FD/seeds/loader"
"$FD/fuzz_seeds" "$FD/seeds/loader"
work=$(mktemp -d "${TMPDIR:-/tmp}/sw-fuzz-pass.XXXXXX")
trap 'rm -rf "$work"' EXIT
# mutations per target: about a second each on an idle core (the loader's inputs are largest)
declare -A RUNS=([loader]=10000 [midi]=50000 [audio]=4000 [task_params]=30000)
declare -A LEN=([loader]=65536 [midi]=65536 [audio]=65536 [task_params]=4096)
declare -A EXTRA=([audio]=-close_fd_mask=2)  # libsndfile's decoders print notes on damaged input
failed=()
for t in loader midi audio task_params; do
  mkdir -p "$work/$t"
  seeds=()
  # the loader's corpus is written by fuzz_seeds; a target's committed folder may not exist
  [ -d tests/fuzz/corpus/$t ] && seeds+=(tests/fuzz/corpus/$t)
  [ $t = loader ] && seeds+=("$FD/seeds/loader")
  n=$(find "${seeds[@]}" -type f | wc -l)
  t0=$(date +%s.%N)
  if "$FD/fuzz_$t" -seed=16 -runs=${RUNS[$t]} -max_len=${LEN[$t]} -timeout=30 -rss_limit_mb=2048 -reload=0 ${EXTRA[$t]:-} \
       -print_final_stats=1 -artifact_prefix="$work/$t-" "$work/$t" "${seeds[@]}" >"$work/$t.log" 2>&1; then
    t1=$(date +%s.%N)
    ex=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t.log")
    cov=$(grep -o 'cov: [0-9]*' "$work/$t.log" | tail -1)
    echo "PASS: fuzz $t: $n corpus files + ${RUNS[$t]} seeded mutations, $ex executions, $cov, no crash/leak/timeout ($(awk -v a=$t0 -v b=$t1 'BEGIN { printf "%.1f", b - a }') s)"
  else
    echo "FAIL: fuzz $t (log below; the input is kept in $FD/)"
    tail -40 "$work/$t.log" | sed 's/^/  | /'
    cp "$work/$t"-* "$FD/" 2>/dev/null || true
    failed+=("$t")
  fi
done
[ ${#failed[@]} -eq 0 ] || { echo "FAIL: fuzz pass: ${failed[*]}"; exit 1; }
echo "PASS: fuzz pass: every target"
