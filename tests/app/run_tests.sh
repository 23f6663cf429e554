#!/bin/bash
# Runner for the statewave app tests (registered in TEST_SCRIPTS by mk/app.mk).
# Runs every tests/app/test_*.sh; exits non-zero if any of them failed.
set -euo pipefail
cd "$(dirname "$0")/../.."
failed=()
for t in tests/app/test_cli.sh tests/app/test_offline.sh tests/app/test_failures.sh tests/app/test_outputs.sh \
         tests/app/test_inputs.sh \
         tests/app/test_rt_alloc.sh tests/app/test_live_jack.sh tests/app/test_generate_live_jack.sh; do
  echo "=== $t"
  if ! bash "$t"; then failed+=("$t"); fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAIL: app tests failed: ${failed[*]}"
  exit 1
fi
echo "PASS: all app tests"
