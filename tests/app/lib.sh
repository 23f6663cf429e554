# lib.sh — shared helpers of the app test scripts (sourced, not run).
# Every check prints one "PASS: ..." or "FAIL: ..." line; `finish` exits non-zero if any failed.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
SW="$ROOT/$BUILD/statewave"
SFCHECK="$ROOT/$BUILD/tests/app/sfcheck"
SHARED="$ROOT/../shared/data"
DEVSET="$SHARED/devset"
MODEL="${SW_TEST_MODEL:-$ROOT/presets/denoise.safetensors}"  # override only to try a model before it ships
N_PASS=0
N_FAIL=0
N_SKIP=0

pass() { echo "PASS: $*"; N_PASS=$((N_PASS + 1)); }
fail() { echo "FAIL: $*"; N_FAIL=$((N_FAIL + 1)); }
skip() { echo "SKIP: $*"; N_SKIP=$((N_SKIP + 1)); }
# check "description" command...  (PASS if the command succeeds)
check() { local d=$1; shift; if "$@"; then pass "$d"; else fail "$d"; fi; }

finish() {
  echo "-- $(basename "$0"): $N_PASS passed, $N_FAIL failed, $N_SKIP skipped"
  [ "$N_FAIL" -eq 0 ]
}

require_built() {
  local f
  for f in "$SW" "$SFCHECK"; do
    [ -x "$f" ] || { echo "FAIL: $f not built (run make)"; exit 1; }
  done
  [ -f "$MODEL" ] || { echo "FAIL: model $MODEL missing (it ships with the repo)"; exit 1; }
  [ -d "$DEVSET" ] || { echo "FAIL: dev set $DEVSET missing (../shared/data)"; exit 1; }
}

# Field NAME=value from an `sfcheck info` line.
field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$2"; }

# A fresh temp folder removed at exit (unmounting anything a test mounted in it).
make_tmp() {
  TMP=$(mktemp -d "${TMPDIR:-/tmp}/sw-app-test.XXXXXX")
  trap 'cleanup_tmp' EXIT
}
cleanup_tmp() {
  local m
  for m in $(awk -v t="$TMP" '$2 ~ "^"t {print $2}' /proc/mounts 2>/dev/null | sort -r); do
    umount "$m" 2>/dev/null || true
  done
  rm -rf "$TMP"
}
