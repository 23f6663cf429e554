#!/bin/bash
# The live callback (sw_live_callback + the engine) allocates nothing and takes no lock:
# build/tests/app/rt_alloc_test drives it directly under a malloc/mutex-counting interposer.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
require_built
BIN="$ROOT/$BUILD/tests/app/rt_alloc_test"
[ -x "$BIN" ] || { echo "FAIL: $BIN not built"; exit 1; }
set +e
"$BIN" "$MODEL" "$DEVSET/clean/036.flac" | tee "${TMPDIR:-/tmp}/rt_alloc.$$.log"
rc=${PIPESTATUS[0]}
set -e
if grep -q '^SKIP' "${TMPDIR:-/tmp}/rt_alloc.$$.log"; then
  skip "rt_alloc_test skipped itself"
else
  check "live callback: zero allocations and locks over 6 configurations (exit $rc)" [ "$rc" = 0 ]
fi
rm -f "${TMPDIR:-/tmp}/rt_alloc.$$.log"
finish
