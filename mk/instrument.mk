# mk/instrument.mk — training side of the neural instrument (train/instrument/, docs/INSTRUMENT.md).
# Included by the top Makefile. The C engine is in mk/synth.mk, the fronts in mk/app.mk / mk/plugin.mk.
#
#   tests/test_instrument_features.py     features.py (YIN, loudness, tracker, MIDI features) on known signals
#   tests/test_instrument_train_smoke.py  train.py -> export -> C render, tiny and on the CPU

TEST_SCRIPTS += tests/test_instrument_features.py tests/test_instrument_train_smoke.py
