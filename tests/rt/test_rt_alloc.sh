#!/bin/bash
# The live callback (app_stream_callback around sw_live_block + the engine) and the generate
# --live callback (the same around sw_gen_block; sw_gen_stream on the producer side)
# allocate nothing and take no lock:
# build/tests/rt/rt_alloc_test drives them directly under a malloc/mutex-counting interposer.
set -euo pipefail
source "$(dirname "$0")/../app/lib.sh"
require_built
BIN="$ROOT/$BUILD/tests/rt/rt_alloc_test"
[ -x "$BIN" ] || { echo "FAIL: $BIN not built"; exit 1; }
set +e
"$BIN" "$MODEL" "$DEVSET/clean/036.flac" "$ROOT/presets/generate.safetensors" | tee "${TMPDIR:-/tmp}/rt_alloc.$$.log"
rc=${PIPESTATUS[0]}
set -e
if grep -q '^SKIP' "${TMPDIR:-/tmp}/rt_alloc.$$.log"; then
  skip "rt_alloc_test skipped itself"
else
  check "live and generate callbacks: zero allocations and locks over 6 + 7 configurations, generate output = offline render (exit $rc)" [ "$rc" = 0 ]
fi
rm -f "${TMPDIR:-/tmp}/rt_alloc.$$.log"
finish
