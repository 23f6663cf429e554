# mk/instrument.mk — training side of the neural instrument (train/instrument/, docs/INSTRUMENT.md).
# Included by the top Makefile. The C engine is in mk/synth.mk, the fronts in mk/app.mk / mk/plugin.mk.
#
#   tests/test_instrument_features.py     features.py (YIN, loudness, tracker, MIDI features) on known signals
#   tests/test_instrument_train_smoke.py  train.py -> export -> C render, tiny and on the CPU
#   tests/test_instrument_sustain.py      every shipped timbre holds a 60 s note (C engine)
#   tests/test_instrument_expression.py  vibrato, mod wheel, attack and release times against FluidR3_GM

TEST_SCRIPTS += tests/test_instrument_features.py tests/test_instrument_train_smoke.py \
  tests/test_instrument_sustain.py tests/test_instrument_expression.py

# Held-out metrics of the shipped timbres vs the additive and GRU baselines (README table).
# Needs the data pack (built here if missing: ~3 min, fluidsynth) and build/statewave for the C column.
.PHONY: eval-instrument
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
