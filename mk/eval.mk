# Evaluation front: objective metrics, dev-set scoring, RNNoise anchors and the CPU benchmark.
#   make eval           score build/statewave on both dev sets (../shared/data/devset, 60 clips, and
#                       ../shared/data/devset-wb, 48 wideband clips) next to the noisy input, RNNoise
#                       v0.1.1, RNNoise 0.2 and RNNoise master; band-level table of devset-wb and the
#                       issue-11 "Done-when check"; results also in build/eval/devsets.{md,json}.
#                       EVAL_ARGS passes options to train/eval_devset.py, e.g.
#                       make eval EVAL_ARGS="--model path/to/denoise.safetensors"
#                       make eval EVAL_ARGS="--cmd 'build/statewave denoise {in} -o {out} -q --mix 0.8'"
#   make eval-baseline  only the noisy and RNNoise rows (no app needed)
#   make eval-anchors   run the RNNoise anchors (Node.js; npm ci of train/anchors/package-lock.json)
#                       into build/anchors/ and check ours against devset-wb's shipped RNNoise 0.2 files
#   make figures        before/after spectrograms and the band-level chart -> build/figures/
# The anchor outputs are cached in build/anchors/<set>/rnnoise_<engine>/ (made on first use).
# `make test` runs tests/test_metrics.py (reproduces devset/BASELINE.md), tests/test_eval_anchors.py
# (devset-wb band levels, RNNoise 0.2 harness) and tests/test_denoise_quality.py (wideband speech
# kept, no dev clip worse than its input, word onsets in babble; ~20 s); `make bench` runs
# bench/bench_denoise.sh (10 min of 48 kHz audio through build/statewave next to a sox I/O floor).
# TEST_SCRIPTS/BENCH_CMDS entries are run as single words, so the scripts carry their interpreter
# in the shebang (#!/usr/bin/python3, #!/bin/sh) instead of "$(PYTHON) script".

EVAL_ARGS ?=

TEST_SCRIPTS += tests/test_metrics.py tests/test_eval_anchors.py tests/test_denoise_quality.py
BENCH_CMDS   += bench/bench_denoise.sh

.PHONY: eval eval-baseline eval-anchors figures

eval: all
	$(PYTHON) train/eval_devset.py $(EVAL_ARGS)

eval-baseline:
	$(PYTHON) train/eval_devset.py --baseline-only $(EVAL_ARGS)

eval-anchors:
	$(PYTHON) train/anchors/rnnoise_anchor.py --devset ../shared/data/devset
	$(PYTHON) train/anchors/rnnoise_anchor.py --devset ../shared/data/devset --engine master
	$(PYTHON) train/anchors/rnnoise_anchor.py --devset ../shared/data/devset-wb --engine master
	$(PYTHON) train/anchors/rnnoise_anchor.py --check ../shared/data/devset-wb

# "before" = the v1 denoiser (presets/denoise.safetensors at da8a7a1, from git history)
DENOISE_V1 := da8a7a1
figures: all
	@mkdir -p build/figures
	git show $(DENOISE_V1):presets/denoise.safetensors > build/figures/denoise_v1.safetensors
	$(PYTHON) train/figures/denoise_spectrograms.py --out build/figures --before build/figures/denoise_v1.safetensors
