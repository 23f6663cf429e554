# Evaluation front: objective metrics, dev-set scoring and the CPU benchmark.
#   make eval           score build/statewave on the 60 dev clips against the noisy input and RNNoise;
#                       EVAL_ARGS passes options to train/eval_devset.py, e.g.
#                       make eval EVAL_ARGS="--cmd 'build/statewave denoise {in} -o {out} -q --model M'"
#   make eval-baseline  only the noisy and rnnoise rows (no app needed)
# `make test` runs tests/test_metrics.py (reproduces devset/BASELINE.md, ~20-30 s); `make bench` runs
# bench/bench_denoise.sh (10 min of 48 kHz audio through build/statewave next to a sox I/O floor).
# TEST_SCRIPTS/BENCH_CMDS entries are run as single words, so the scripts carry their interpreter
# in the shebang (#!/usr/bin/python3, #!/bin/sh) instead of "$(PYTHON) script".

EVAL_ARGS ?=

TEST_SCRIPTS += tests/test_metrics.py
BENCH_CMDS   += bench/bench_denoise.sh

.PHONY: eval eval-baseline

eval: all
	$(PYTHON) train/eval_devset.py $(EVAL_ARGS)

eval-baseline:
	$(PYTHON) train/eval_devset.py --baseline-only $(EVAL_ARGS)
