#!/bin/sh
# Runs the core numeric tests and the three products' C tests once per kernel set
# (dsp/nn/kernels.c: the hand-tiled matvec (F32 and BF16 weights) and S4D step and their batched forms, the elementwise kernels and scans, and
# the instrument's oscillator bank follow the same choice). The widest set is what
# `make test-c` already exercised; here AVX2 and the baseline copies, which a CPU with
# AVX-512 would otherwise never execute. test_core_golden checks that the set named really
# is the one in use.
set -e
cd "$(dirname "$0")/../.."
# With AVX-512 BF16 the widest set is avx512bf16 (the BF16 product on vdpbf16ps), so the plain
# avx512 copy of that product runs only here.
sets="avx2 base"
grep -q avx512_bf16 /proc/cpuinfo 2>/dev/null && sets="avx512 $sets"
for isa in $sets; do
  for t in test_core_golden test_core_stream test_core_batch test_core_robust test_denoise test_generate test_synth; do
    echo "== STATEWAVE_KERNELS=$isa build/tests/unit/$t"
    STATEWAVE_KERNELS=$isa "build/tests/unit/$t"
  done
done
