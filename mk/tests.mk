# mk/tests.mk — the tests: `make test` and its parts. Tests live in tests/<kind>/ and are found
# there; adding one is adding a file to the right folder (CONTRIBUTING.md, "A test").
#   tests/unit/     cmocka tests of the library (test_*.c); test_kernel_sets.sh runs some of them
#                   again on every kernel set (STATEWAVE_KERNELS=avx2|base); test_symbols.sh checks
#                   the library's symbol prefixes and the shared library's exports
#   tests/rt/       the real-time rules under the allocation and lock interposer
#                   (tests/common/rt_interpose.h): cmocka tests of the library and of the LV2 run()
#                   (test_*.c), and the app's stream callbacks (test_*.sh driving *_test.c, which
#                   link the callback's objects from app/)
#   tests/host/     the LV2 bundle in hosts: the in-process lilv harness (test_*.c), lv2apply, jalv
#                   under jackd -d dummy, Ardour headless, PipeWire's filter-chain (test_*.sh, test_*.py);
#                   helpers lv2_latency.c, jack_note.c and jack_midi.c
#   tests/app/      the statewave command (test_*.sh, test_*.py); helpers lib.sh, jack_lib.sh,
#                   synth_check.py, sfcheck.c (also used by make demo)
#   tests/py/       Python tests: the PyTorch mirror and goldens, C vs PyTorch parity, metrics,
#                   denoiser quality, the instrument's training and features (test_*.py)
#   tests/fuzz/     libFuzzer targets (mk/fuzz.mk); test_fuzz_pass.sh, a short seeded pass over the corpora
#   tests/package/  the Python package as a user installs it (run_tests.sh: pip install ./python into a
#                   fresh venv, then pytest collects the folder)
#   tests/common/   headers shared by the C tests, tools and benchmarks (-Itests/common)
#   tests/data/     golden vectors and small inputs;  tests/soak/: the hour-long soaks (mk/soak.mk)
# What runs:
#   make test-c        every tests/{unit,rt,host}/test_*.c, built as a cmocka program and run
#   make test-asan     the same built under ASan + UBSan (build-asan/)
#   make test-scripts  every tests/{unit,rt,host,app,py,fuzz}/test_*.sh and test_*.py (executable, its
#                      interpreter in the shebang, run from the repository root, non-zero exit = failure),
#                      tests/package/run_tests.sh, and any TEST_SCRIPTS another fragment adds
#   make test          deps, then all, test-c, test-asan and test-scripts, each in a new make
#   make test-stress   make test with the other CPU cores kept busy (tools/test_stress.sh)
# Other *.c in tests/{unit,rt,host,app} are helper programs, built by `make` into build/tests/<kind>/.

C_TEST_KINDS      := unit rt host
SCRIPT_TEST_KINDS := unit rt host app py fuzz
CTEST_SRC := $(foreach k,$(C_TEST_KINDS),$(sort $(wildcard tests/$(k)/test_*.c)))
CTESTS    := $(CTEST_SRC:%.c=$(BUILD)/%)
TEST_HELPER_SRC := $(filter-out $(CTEST_SRC),$(sort $(wildcard $(foreach k,$(C_TEST_KINDS) app,tests/$(k)/*.c))))
TEST_HELPERS    := $(TEST_HELPER_SRC:%.c=$(BUILD)/%)
TEST_SCRIPTS += $(foreach k,$(SCRIPT_TEST_KINDS),$(sort $(wildcard tests/$(k)/test_*.sh tests/$(k)/test_*.py))) \
  tests/package/run_tests.sh

ALL_TARGETS += $(TEST_HELPERS)

.PHONY: test test-c test-asan test-scripts test-stress

# cmocka tests and helpers: one program per file, linked with the library.
$(BUILD)/tests/%: tests/%.c $(LIB) $(wildcard tests/common/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/common $(CFLAGS_ALL) $< -o $@ $(LIB) $(LDLIBS_ALL)

# tests/app/sfcheck: a libsndfile inspector and metric tool (SI-SDR, ...) for the app's tests and
# make demo; it does not link the library.
$(BUILD)/tests/app/sfcheck: tests/app/sfcheck.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS_ALL) $< -o $@ $(LDLIBS_ALL)

# The app's real-time tests link the callback's objects, never the whole app: the test *is* the
# callback plus its interposer. rt_alloc_test: the stream runner's callback (app/stream_rt.c) with
# the live and generate blocks; synth_rt_alloc_test: the same with synth --live's block and the
# MIDI reader.
RT_ALLOC_OBJ := $(addprefix $(BUILD)/app/,stream_rt.o live_rt.o generate_rt.o)
SYNTH_RT_ALLOC_OBJ := $(addprefix $(BUILD)/app/,stream_rt.o synth_rt.o midifile.o)
$(BUILD)/tests/rt/rt_alloc_test: tests/rt/rt_alloc_test.c $(RT_ALLOC_OBJ) $(LIB) $(APP_HDR) tests/common/rt_interpose.h
$(BUILD)/tests/rt/synth_rt_alloc_test: tests/rt/synth_rt_alloc_test.c $(SYNTH_RT_ALLOC_OBJ) $(LIB) $(APP_HDR) \
    tests/common/rt_interpose.h
$(BUILD)/tests/rt/rt_alloc_test $(BUILD)/tests/rt/synth_rt_alloc_test:
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Iapp -Itests/common $(CFLAGS_ALL) $(filter %.c %.o,$^) -o $@ $(LIB) $(LDLIBS_ALL)

# A JACK MIDI source for tests/host/test_jalv_generate.sh and test_jalv_synth.sh, and a JACK MIDI
# player + recorder for test_jalv_continue.sh (link libjack, not the library).
$(BUILD)/tests/host/jack_note $(BUILD)/tests/host/jack_midi: $(BUILD)/tests/host/%: tests/host/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS_ALL) $(shell pkg-config --cflags jack) $< -o $@ $(shell pkg-config --libs jack) -lm

# Run every test, then fail if any failed (so one failure doesn't hide the others).
test-c: $(CTESTS)
	@failed=""; for t in $(CTESTS); do echo "== $$t"; $$t || failed="$$failed $$t"; done; \
	if [ -n "$$failed" ]; then echo "FAILED:$$failed"; exit 1; fi

test-asan:
	$(MAKE) BUILD=build-asan OPT="-O1 -g" SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" test-c

test-scripts: all
	@failed=""; for t in $(TEST_SCRIPTS); do echo "== $$t"; $$t || failed="$$failed $$t"; done; \
	if [ -n "$$failed" ]; then echo "FAILED:$$failed"; exit 1; fi

# Every step is a new make, so pkg-config runs after deps.
test: deps
	$(MAKE) all
	@rc=0; $(MAKE) test-c || rc=1; $(MAKE) test-asan || rc=1; $(MAKE) test-scripts || rc=1; \
	if [ $$rc = 0 ]; then echo "make test: all tests passed"; else echo "make test: FAILURES (see FAILED: lines above)"; fi; exit $$rc

# make test with the other CPU cores kept busy (stress-ng when installed, else busy loops),
# stopped afterwards whatever make test did (tools/test_stress.sh). Not part of `make test`.
test-stress:
	@MAKE="$(MAKE)" tools/test_stress.sh
