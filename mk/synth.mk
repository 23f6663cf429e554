# mk/synth.mk — the neural instrument (issue #7): dsp/synth.c, harmonic.c, filtnoise.c, reverb.c, yin.c
# (all in the library), its probe tool, tests and bench. Contract: docs/INSTRUMENT.md.
# Included by the top Makefile; uses its CC, CPPFLAGS, CFLAGS_ALL, LIB, LDLIBS_ALL, BUILD, PYTHON.
#
#   build/tests/synth_probe    analysis / rendering / transfer on raw float32 files, for scripts
#   build/bench/bench_synth    16 voices at 48 kHz, 256-sample blocks: fraction of one core
#   tests/test_synth.c, tests/test_synth_alloc.c   cmocka (built and run by make test-c / test-asan)
#   tests/test_synth_parity.py C analysis and synthesis vs train/instrument/{features,ddsp}.py
#   train/instrument/make_test_model.py   regenerates tests/data/synth_test.safetensors

SYNTH_BINS := $(BUILD)/tests/synth_probe $(BUILD)/bench/bench_synth

ALL_TARGETS  += $(SYNTH_BINS)
TEST_SCRIPTS += tests/test_synth_parity.py
BENCH_CMDS   += $(BUILD)/bench/bench_synth

$(BUILD)/tests/synth_probe: tests/synth_probe.c $(LIB) dsp/statewave.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS_ALL) $< -o $@ $(LIB) $(LDLIBS_ALL)

$(BUILD)/bench/bench_synth: bench/bench_synth.c $(LIB) dsp/statewave.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS_ALL) $< -o $@ $(LIB) $(LDLIBS_ALL)
