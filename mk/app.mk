# mk/app.mk — the `statewave` command (app/): its build, `make demo` and its installation.
#   build/statewave      denoise | live | devices | generate [--live] | synth [--live] | transfer
#                        (also in pipelines and batches: `denoise - -o -`, --jobs N, --json)
#   make demo            (top Makefile: the demo's packages, then demo-run below in a new make)
#   make install-app     the command and the shipped models under $(DESTDIR)$(PREFIX) (part of make install)
# Its tests: tests/app (the command's scripts), tests/rt (its real-time callbacks under the
# allocation interposer), both in mk/tests.mk; the demo scores its result with tests/app/sfcheck.
# Uses the top Makefile's CC, CPPFLAGS, CFLAGS_ALL, LDLIBS_ALL, BUILD, PREFIX and LIB (mk/library.mk).

APP_SRC  := $(wildcard app/*.c)
APP_OBJ  := $(APP_SRC:%.c=$(BUILD)/%.o)
APP_HDR  := $(wildcard app/*.h)
APP_BIN  := $(BUILD)/statewave
APP_DATADIR := $(PREFIX)/share/statewave
APP_MODEL := presets/denoise.safetensors
APP_GEN_MODEL := presets/generate.safetensors
APP_COMPOSE_MODEL := presets/compose.safetensors
# The instrument's timbre models (synth, transfer), installed under share/statewave/instruments.
APP_INSTR_MODELS = $(wildcard presets/instruments/*.safetensors)

ALL_TARGETS  += $(APP_BIN)

# The data dir is compiled in (model fallback); a stamp file rebuilds common.o when PREFIX changes.
$(BUILD)/app/datadir.stamp: FORCE_APP_DATADIR
	@mkdir -p $(dir $@)
	@echo '$(APP_DATADIR)' | cmp -s - $@ || echo '$(APP_DATADIR)' > $@
.PHONY: FORCE_APP_DATADIR

$(BUILD)/app/%.o: app/%.c $(APP_HDR) dsp/statewave.h $(BUILD)/app/datadir.stamp
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Iapp -DSW_DATADIR='"$(APP_DATADIR)"' $(CFLAGS_ALL) -c $< -o $@

$(APP_BIN): $(APP_OBJ) $(LIB)
	$(CC) $(CFLAGS_ALL) $(APP_OBJ) -o $@ $(LIB) $(LDLIBS_ALL)

# make demo: (1) denoise the shipped noisy example (dev-set clip 052, held out from the
# denoiser's training) with the shipped model; print where the result is, the model (the
# app prints it) and the time, and score it against the clean reference shipped beside the
# example (SI-SDR, tests/app/sfcheck). (2) Render 20 s of piano with the shipped generator
# (seed 1, default settings); print where it is and the time. (3) Play the shipped demo tune
# (an original MIDI file) on the neural instrument's violin and cello timbres, and (4) turn a
# real saxophone phrase into a violin (timbre transfer).
DEMO_IN  := presets/demo/noisy_example.flac
DEMO_REF := presets/demo/clean_reference.flac
DEMO_OUT := out/demo/noisy_example_clean.flac
DEMO_GEN := out/demo/generated_piano.flac
# `make demo` (top Makefile) installs the demo's packages, then runs this in a new make: it builds
# only what it runs.
.PHONY: demo-run
demo-run: $(APP_BIN) $(BUILD)/tests/app/sfcheck
	@mkdir -p $(dir $(DEMO_OUT))
	@echo "demo: denoising $(DEMO_IN) (4.9 s of English speech + exercise-bike noise at 5 dB SNR; dev-set clip 052, held out from training; sources: presets/demo/LICENSE.md)"
	@t0=$$(date +%s.%N); \
	$(APP_BIN) denoise -o $(DEMO_OUT) $(DEMO_IN) || exit 1; \
	t1=$$(date +%s.%N); \
	awk -v a=$$t0 -v b=$$t1 'BEGIN { printf "demo: took %.2f s (whole command, model load included)\n", b - a }'; \
	b=$$($(BUILD)/tests/app/sfcheck sisdr $(DEMO_REF) $(DEMO_IN)) && \
	a=$$($(BUILD)/tests/app/sfcheck sisdr $(DEMO_REF) $(DEMO_OUT)) && \
	echo "demo: SI-SDR against the clean reference: noisy $$b dB -> denoised $$a dB"; \
	echo "demo: result written to $(DEMO_OUT)"
	@echo "demo: generating 20 s of piano with the shipped generator ($(APP_GEN_MODEL), seed 1, temperature 1, top-p 1)"
	@t0=$$(date +%s.%N); \
	$(APP_BIN) generate -s 20 --seed 1 -o $(DEMO_GEN) || exit 1; \
	t1=$$(date +%s.%N); \
	awk -v a=$$t0 -v b=$$t1 'BEGIN { printf "demo: took %.2f s (whole command, model load included; 20 s of audio = %.2fx real time)\n", b - a, 20 / (b - a) }'; \
	echo "demo: result written to $(DEMO_GEN)"
	@for t in violin cello; do \
	  echo "demo: playing presets/demo/instrument_demo.mid on the neural instrument, timbre $$t"; \
	  $(APP_BIN) synth --timbre $$t -o out/demo/instrument_demo_$$t.flac presets/demo/instrument_demo.mid || exit 1; \
	done
	@echo "demo: timbre transfer: presets/demo/sax_phrase_short.flac (a real saxophone) played as a violin"
	@$(APP_BIN) transfer --timbre violin -o out/demo/sax_as_violin.flac presets/demo/sax_phrase_short.flac || exit 1
	@echo "demo: results written to out/demo/instrument_demo_violin.flac, out/demo/instrument_demo_cello.flac, out/demo/sax_as_violin.flac"
	@echo "demo: the composer continues presets/demo/instrument_demo.mid for 16 s (seed 1, in the prompt's key) and the violin plays it"
	@$(APP_BIN) compose -p presets/demo/instrument_demo.mid -s 16 --seed 1 --key auto --render --timbre violin \
	  --midi out/demo/continuation.mid -o out/demo/continuation_violin.flac || exit 1
	@echo "demo: results written to out/demo/continuation.mid, out/demo/continuation_violin.flac"

.PHONY: install-app uninstall-app
install-app: install-check $(APP_BIN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(APP_DATADIR)
	install -m 755 $(APP_BIN) $(DESTDIR)$(PREFIX)/bin/statewave
	install -m 644 $(APP_MODEL) $(DESTDIR)$(APP_DATADIR)/denoise.safetensors
	if [ -f $(APP_GEN_MODEL) ]; then install -m 644 $(APP_GEN_MODEL) $(DESTDIR)$(APP_DATADIR)/generate.safetensors; fi
	if [ -f $(APP_COMPOSE_MODEL) ]; then install -m 644 $(APP_COMPOSE_MODEL) $(DESTDIR)$(APP_DATADIR)/compose.safetensors; fi
	$(if $(APP_INSTR_MODELS),install -d $(DESTDIR)$(APP_DATADIR)/instruments && \
	  install -m 644 $(APP_INSTR_MODELS) $(DESTDIR)$(APP_DATADIR)/instruments/)

uninstall-app:
	rm -f $(DESTDIR)$(PREFIX)/bin/statewave $(DESTDIR)$(APP_DATADIR)/denoise.safetensors \
	  $(DESTDIR)$(APP_DATADIR)/generate.safetensors $(DESTDIR)$(APP_DATADIR)/compose.safetensors
	rm -f $(addprefix $(DESTDIR)$(APP_DATADIR)/instruments/,$(notdir $(APP_INSTR_MODELS)))
	-rmdir $(DESTDIR)$(APP_DATADIR)/instruments 2>/dev/null
	-rmdir $(DESTDIR)$(APP_DATADIR) 2>/dev/null

install: install-app
uninstall: uninstall-app
