#!/bin/sh
# Short bounded fuzz run of the model loader (see `make fuzz` in mk/core.mk). Fails on any
# crash, sanitizer report, leak or timeout found in 20 s.
set -e
cd "$(dirname "$0")/.."
exec make --no-print-directory fuzz FUZZ_TIME="${FUZZ_TIME:-20}"
