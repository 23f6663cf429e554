#!/bin/sh
# Runs the core numeric tests once per hand-tiled kernel set (dsp/kernels.c): the widest
# one is what `make test-c` already exercised; here AVX2 and the SSE/baseline variants,
# which a CPU with AVX-512 would otherwise never execute.
set -e
cd "$(dirname "$0")/.."
for isa in avx2 base; do
  for t in test_core_golden test_core_stream test_core_robust; do
    echo "== STATEWAVE_KERNELS=$isa build/tests/$t"
    STATEWAVE_KERNELS=$isa "build/tests/$t"
  done
done
