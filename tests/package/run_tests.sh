#!/bin/sh
# The Python package as a user gets it: `pip install ./python` into a fresh virtual environment
# (Debian's NumPy, distributed and soundfile seen through --system-site-packages), with no package
# index and nothing else to find, then its pytest suite from outside the source tree.
set -eu
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
PY=${PYTHON:-/usr/bin/python3}
[ -f build/libstatewave.so ] || { echo "run_tests.sh: build/libstatewave.so missing (make)"; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM
"$PY" -m venv --system-site-packages "$TMP/venv"
# no index, no find-links, no config: the install must need nothing from the network
env -u PIP_FIND_LINKS -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL PIP_NO_INDEX=1 PIP_CONFIG_FILE=/dev/null \
  "$TMP/venv/bin/pip" install -q ./python
test -x "$TMP/venv/bin/statewave-batch"
cd "$TMP"
# Only the shared library bundled at install time, and the installed package, are used.
env -u STATEWAVE_LIB -u PYTHONPATH "$TMP/venv/bin/python" -m pytest -q -p no:cacheprovider \
  --rootdir "$ROOT/tests/package" "$ROOT/tests/package" "$@"
