# mk/core.mk — the core of libstatewave (dsp/ model loader, net, layers): extra rules.
# The hot kernels are compiled at -O3 with FMA contraction (see dsp/kernels.c).
$(BUILD)/dsp/kernels.o: CFLAGS_ALL += -O3 -ffp-contract=fast

# ---------------------------------------------------------------- fuzzing --
# build-fuzz/fuzz_loader (libFuzzer + ASan + UBSan, clang; the core sources are compiled
# straight in) and build-fuzz/fuzz_seeds, which writes valid small models as its seed corpus.
# `make fuzz` (mk/fuzz.mk) runs it with the other targets.
FUZZ_DIR  := build-fuzz
FUZZ_TIME ?= 60
FUZZ_CC   ?= clang
CORE_SRC  := dsp/util.c dsp/kernels.c dsp/model.c dsp/net.c dsp/pool.c dsp/linear.c dsp/conv1d.c \
             dsp/norm.c dsp/activation.c dsp/embedding.c dsp/s4d.c dsp/lru.c dsp/s5.c dsp/mamba.c
CORE_HDR  := $(wildcard dsp/*.h) tests/core_util.h
FUZZ_CFLAGS = -std=c11 -g -O1 -D_GNU_SOURCE -Idsp -Itests $(shell pkg-config --cflags libcjson)
FUZZ_LIBS   = $(shell pkg-config --libs libcjson) -lm

$(FUZZ_DIR)/fuzz_loader: tests/fuzz_loader.c $(CORE_SRC) $(CORE_HDR)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	  $(CORE_SRC) tests/fuzz_loader.c -o $@ $(FUZZ_LIBS)

$(FUZZ_DIR)/fuzz_seeds: tests/fuzz_loader.c $(CORE_SRC) $(CORE_HDR)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -DSW_FUZZ_SEEDS_MAIN $(CORE_SRC) tests/fuzz_loader.c -o $@ $(FUZZ_LIBS)

# ------------------------------------------------------------------ bench --
$(BUILD)/bench/bench_core: bench/bench_core.c $(LIB) tests/core_util.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests $(CFLAGS_ALL) $< -o $@ $(LIB) $(LDLIBS_ALL)

ALL_TARGETS += $(BUILD)/bench/bench_core
BENCH_CMDS  += $(BUILD)/bench/bench_core

# the numeric tests again on the AVX2 and baseline kernel variants
TEST_SCRIPTS += tests/run_core_isa.sh

# ---------------------------------------------------------- shared library --
# build/libstatewave.so: the same objects as libstatewave.a (already -fPIC), for callers that
# load the library at run time (the Python package, python/). Only sw_* is exported
# (dsp/libstatewave.map); its own dependencies (cJSON, FFTW, libsamplerate) are linked in as needed.
SOLIB      := $(BUILD)/libstatewave.so
SOLIB_LIBS  = $(shell pkg-config --libs libcjson fftw3f samplerate 2>/dev/null) -lm -lpthread

$(SOLIB): $(DSP_OBJ) dsp/libstatewave.map
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -shared -Wl,-soname,libstatewave.so -Wl,--version-script=dsp/libstatewave.map \
	  -Wl,--no-undefined -Wl,--as-needed -o $@.tmp $(DSP_OBJ) $(SOLIB_LIBS) && mv -f $@.tmp $@

ALL_TARGETS += $(SOLIB)
