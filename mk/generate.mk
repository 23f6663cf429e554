# mk/generate.mk — music generation: dsp/generate.c (in the library), its probe tool, tests, bench.
# Included by the top Makefile; uses its CC, CPPFLAGS, CFLAGS_ALL, LIB, LDLIBS_ALL, BUILD, PYTHON.
#
#   build/tests/gen_probe      teacher-forced distributions / NLL / rendering for scripts
#   build/bench/bench_generate C generator speed (samples/s, one thread)
#   tests/test_generate.c      cmocka tests (built and run by the top Makefile's test-c / test-asan)
#   tests/test_generate_parity.py   C vs PyTorch step() distributions on the shipped model
#   bench/bench_generate.py    C generator and PyTorch step() side by side

GEN_BINS := $(BUILD)/tests/gen_probe $(BUILD)/bench/bench_generate

ALL_TARGETS  += $(GEN_BINS)
TEST_SCRIPTS += tests/test_generate_parity.py
BENCH_CMDS   += bench/bench_generate.py

$(BUILD)/tests/gen_probe: tests/gen_probe.c $(LIB) dsp/statewave.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS_ALL) $< -o $@ $(LIB) $(LDLIBS_ALL)

$(BUILD)/bench/bench_generate: bench/bench_generate.c $(LIB) dsp/statewave.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS_ALL) $< -o $@ $(LIB) $(LDLIBS_ALL)
