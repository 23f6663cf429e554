# mk/denoise.mk — speech denoiser front (dsp/denoise.c, dsp/stft.c, train/denoise/, presets/denoise.safetensors).
#   make denoise-devset   build/tests/denoise_devset: the C engine on the 60 dev clips (SI-SDR(i), engine
#                         cost per frame); `build/tests/denoise_devset -o DIR` also writes the outputs.
#   make denoise-longrun  build/tests/denoise_longrun: SI-SDR cost of 1-60 s lead-ins (digital silence,
#                         -90 dBFS white noise, the clip's own kind of noise) before 6 dev clips.
#   make denoise-data     pack the training audio (.devdata/denoise_pack.npz, seeded, with the dev-set leak check)
# The C tests tests/test_denoise*.c are built and run by the top Makefile (make test-c / test-asan).
#   build/tools/opus2pcm  static Ogg Opus -> raw PCM decoder the training scripts use (the training
#                         machine has no audio decoder; the speech and ambiences travel as Opus files)
# Training recipe: train/denoise/recipe.sh; see train/denoise/train.py (docstring).

DENOISE_DEVSET_BIN := $(BUILD)/tests/denoise_devset
DENOISE_LONGRUN_BIN := $(BUILD)/tests/denoise_longrun
ALL_TARGETS += $(DENOISE_DEVSET_BIN) $(DENOISE_LONGRUN_BIN)

$(DENOISE_DEVSET_BIN): tests/denoise_devset.c tests/denoise_util.h $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests $(CFLAGS_ALL) $< -o $@ $(LIB) $(LDLIBS_ALL)

$(DENOISE_LONGRUN_BIN): tests/denoise_longrun.c tests/denoise_util.h $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests $(CFLAGS_ALL) $< -o $@ $(LIB) $(LDLIBS_ALL)

OPUS2PCM_BIN := $(BUILD)/tools/opus2pcm
$(OPUS2PCM_BIN): train/denoise/opus2pcm.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(WARN) -O2 $$(pkg-config --cflags opusfile) $< -o $@ -static $$(pkg-config --libs --static opusfile)

.PHONY: denoise-devset denoise-longrun denoise-data
denoise-devset: $(DENOISE_DEVSET_BIN)
	$(DENOISE_DEVSET_BIN)

denoise-longrun: $(DENOISE_LONGRUN_BIN)
	$(DENOISE_LONGRUN_BIN)

denoise-data: $(OPUS2PCM_BIN)
	$(PYTHON) train/denoise/build_data.py --seed 1
