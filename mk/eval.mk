# mk/eval.mk — evaluation: the figures of README's quality tables, from the dev sets and held-out
# data in ../shared/data (never trained on). Not part of `make test`; the tests that check these
# figures' code are tests/py/test_metrics.py, test_eval_anchors.py, test_denoise_quality.py.
# Denoiser:
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
#                       (cached in build/anchors/<set>/rnnoise_<engine>/, made on first use)
#   make figures        before/after spectrograms and the band-level chart -> build/figures/
#   make denoise-devset   build/tools/denoise_devset: the C engine on the 60 dev clips (SI-SDR(i), engine
#                         cost per frame); `build/tools/denoise_devset -o DIR` also writes the outputs.
#   make denoise-longrun  build/tools/denoise_longrun: SI-SDR cost of 1-60 s lead-ins (digital silence,
#                         -90 dBFS white noise, the clip's own kind of noise) before 6 dev clips.
# Instrument:
#   make eval-instrument  held-out metrics of the shipped timbres vs the additive and GRU baselines,
#                         sustain and expression figures (README tables) -> out/
# Composer:
#   make eval-compose     test NLL per event of the shipped composer next to the n-gram and the recorded
#                         GRU / Transformer / SSM runs; 50 continuations of held-out prompts through
#                         build/statewave compose (key, pitch classes, density, inter-onset intervals);
#                         piano roll; cost per event, C against PyTorch step() -> train/compose/results/
#                         eval.json and docs/img/compose_pianoroll.png
# The tools these run are built by mk/tools.mk.

EVAL_ARGS ?=

.PHONY: eval eval-baseline eval-anchors figures denoise-devset denoise-longrun eval-instrument eval-compose

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

denoise-devset: $(BUILD)/tools/denoise_devset
	$(BUILD)/tools/denoise_devset

denoise-longrun: $(BUILD)/tools/denoise_longrun
	$(BUILD)/tools/denoise_longrun

# Held-out metrics of the shipped timbres vs the additive and GRU baselines (README table).
# Needs the data pack (built here if missing: ~3 min, fluidsynth) and build/statewave for the C column.
eval-instrument: all
	@[ -f .devdata_inst/violin_heldout.npz ] || $(PYTHON) train/instrument/build_data.py --out .devdata_inst
	$(PYTHON) train/instrument/eval.py --data .devdata_inst --models presets/instruments \
	  --gru train/instrument/results/gru --statewave $(BUILD)/statewave --json out/eval_instrument.json
	$(PYTHON) train/instrument/sustain.py --statewave $(BUILD)/statewave --models presets/instruments \
	  --json out/sustain.json --png out/instrument_sustain.png
	$(PYTHON) train/instrument/sustain.py --statewave $(BUILD)/statewave --models presets/instruments \
	  --vibrato 0 --json out/sustain_straight.json
	$(PYTHON) train/instrument/expression.py --statewave $(BUILD)/statewave --models presets/instruments \
	  --json out/expression.json --png out/instrument_expression.png
	$(PYTHON) train/instrument/tracking.py --statewave $(BUILD)/statewave --timbre cello --json out/tracking_cello.json
	$(PYTHON) train/instrument/tracking.py --statewave $(BUILD)/statewave --timbre violin --json out/tracking_violin.json

# The composer (README "Compose"). Builds the event data from ../shared/data/midi if missing (~30 s).
eval-compose: all
	$(PYTHON) train/compose/eval.py
