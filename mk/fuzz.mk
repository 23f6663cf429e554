# mk/fuzz.mk — the libFuzzer targets (tests/fuzz/, built into build-fuzz/ with clang,
# -fsanitize=fuzzer,address,undefined, every sanitizer report fatal, LeakSanitizer on), their
# corpora and the loader's seed writer build-fuzz/fuzz_seeds (valid small models as seeds).
#   make fuzz            every target for FUZZ_TIME seconds (default 60) each; fails if any found a
#                        crash, leak or timeout (the input that did it: build-fuzz/TARGET-crash-*, ...)
#   make fuzz-TARGET     one target: fuzz-loader fuzz-midi fuzz-audio fuzz-task_params
#   FUZZ_RUNS=N          stop each target after N executions instead (with FUZZ_TIME=0: no time
#                        limit), as for the long runs README reports
#   make fuzz-build      build them all (tests/fuzz/test_fuzz_pass.sh, in `make test`, runs every
#                        corpus file and a fixed number of seeded mutations per target: seconds)
# Targets:
#   loader       tests/fuzz/fuzz_loader.c        the model loader and network runtime (dsp/ core)
#   midi         tests/fuzz/fuzz_midi.c          app/midifile.c, the MIDI reader of `synth`
#   audio        tests/fuzz/fuzz_audio.c         app/audioin.c over libsndfile: every command's audio input
#   task_params  tests/fuzz/fuzz_task_params.c   the engines' task_params parsers (denoise, generate, synth)
# Corpora: tests/fuzz/corpus/TARGET (small, committed: seeds, regression cases, a few inputs long runs
# found), plus for the loader the valid models build-fuzz/fuzz_seeds writes. A run adds what it finds
# to build-fuzz/corpus/TARGET only.

FUZZ_DIR  := build-fuzz
FUZZ_TIME ?= 60
FUZZ_CC   ?= clang
FUZZ_CFLAGS = -std=c11 -g -O1 -D_GNU_SOURCE $(addprefix -I,$(DSP_DIRS)) -Itests/common $(shell pkg-config --cflags libcjson)
FUZZ_LIBS   = $(shell pkg-config --libs libcjson) -lm
FUZZ_TARGETS := loader midi audio task_params
FUZZ_SAN     := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_OPTS    := -timeout=10 -rss_limit_mb=2048
FUZZ_RUNS    ?=
# leaks inside the system's codec libraries only (see the file): ours are still reported
FUZZ_ENV     := LSAN_OPTIONS=suppressions=$(CURDIR)/tests/fuzz/lsan.supp:print_suppressions=0
FUZZ_LEN_loader      := 65536
FUZZ_LEN_midi        := 65536
FUZZ_LEN_audio       := 65536
FUZZ_LEN_task_params := 4096
# libsndfile's decoders (mpg123 above all) print notes on damaged input: keep them out of the log
FUZZ_EXTRA_audio     := -close_fd_mask=2

# The loader target compiles the core sources straight in.
CORE_SRC  := dsp/util.c $(wildcard dsp/nn/*.c)
CORE_HDR  := $(DSP_HDR) tests/common/core_util.h

$(FUZZ_DIR)/fuzz_loader: tests/fuzz/fuzz_loader.c $(CORE_SRC) $(CORE_HDR)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) $(CORE_SRC) tests/fuzz/fuzz_loader.c -o $@ $(FUZZ_LIBS)

$(FUZZ_DIR)/fuzz_seeds: tests/fuzz/fuzz_loader.c $(CORE_SRC) $(CORE_HDR)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -DSW_FUZZ_SEEDS_MAIN $(CORE_SRC) tests/fuzz/fuzz_loader.c -o $@ $(FUZZ_LIBS)

$(FUZZ_DIR)/fuzz_midi: tests/fuzz/fuzz_midi.c app/midifile.c app/midifile.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Iapp $(FUZZ_SAN) app/midifile.c tests/fuzz/fuzz_midi.c -o $@ -lm

$(FUZZ_DIR)/fuzz_audio: tests/fuzz/fuzz_audio.c app/audioin.c app/audioin.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Iapp $(shell pkg-config --cflags sndfile) $(FUZZ_SAN) app/audioin.c \
	  tests/fuzz/fuzz_audio.c -o $@ $(shell pkg-config --libs sndfile) -lm

$(FUZZ_DIR)/fuzz_task_params: tests/fuzz/fuzz_task_params.c $(DSP_SRC) $(DSP_HDR) tests/common/core_util.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(shell pkg-config --cflags fftw3f samplerate) $(FUZZ_SAN) $(DSP_SRC) \
	  tests/fuzz/fuzz_task_params.c -o $@ $(FUZZ_LIBS) $(shell pkg-config --libs fftw3f samplerate) -lpthread

.PHONY: fuzz fuzz-build $(FUZZ_TARGETS:%=fuzz-%)
fuzz-build: $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%) $(FUZZ_DIR)/fuzz_seeds

# fuzz-TARGET: FUZZ_TIME seconds from the committed corpus (and, for the loader, the seed models).
define FUZZ_RULE
fuzz-$(1): $(FUZZ_DIR)/fuzz_$(1) $(FUZZ_DIR)/fuzz_seeds
	@mkdir -p $(FUZZ_DIR)/corpus/$(1) $(FUZZ_DIR)/seeds/$(1)
	@if [ $(1) = loader ]; then $(FUZZ_DIR)/fuzz_seeds $(FUZZ_DIR)/seeds/$(1); fi
	$(FUZZ_ENV) $(FUZZ_DIR)/fuzz_$(1) -max_total_time=$(FUZZ_TIME) $(if $(FUZZ_RUNS),-runs=$(FUZZ_RUNS)) -max_len=$(FUZZ_LEN_$(1)) $(FUZZ_OPTS) $(FUZZ_EXTRA_$(1)) \
	  -artifact_prefix=$(FUZZ_DIR)/$(1)- -print_final_stats=1 \
	  $(FUZZ_DIR)/corpus/$(1) $(wildcard tests/fuzz/corpus/$(1)) $(FUZZ_DIR)/seeds/$(1)
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call FUZZ_RULE,$(t))))

# Every target, even after one fails; the status says whether any did.
fuzz: fuzz-build
	@failed=""; for t in $(FUZZ_TARGETS); do echo "== fuzz $$t (FUZZ_TIME=$(FUZZ_TIME) s, FUZZ_RUNS=$(FUZZ_RUNS))"; \
	  $(MAKE) --no-print-directory fuzz-$$t || failed="$$failed $$t"; done; \
	if [ -n "$$failed" ]; then echo "make fuzz: FAILED:$$failed (inputs in $(FUZZ_DIR)/)"; exit 1; fi; \
	echo "make fuzz: no crash, leak or timeout in any target"

