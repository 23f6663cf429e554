# mk/train.mk — train/, the PyTorch mirror (swtorch/, every layer in parallel form plus a reference
# step, export to the model format) and the training recipes (denoise/, sashimi/, instrument/).
#   make goldens       regenerate tests/data/golden_*.safetensors and denoise_df_golden.safetensors
#                      (commit the result together with the code change); tests/py/test_goldens.py
#                      checks the committed ones
#   make denoise-data  pack the denoiser's training audio (.devdata/denoise_pack.npz, seeded, with the
#                      dev-set leak check); needs build/tools/opus2pcm
#   build/tools/opus2pcm  static Ogg Opus -> raw PCM decoder the training scripts use (the training
#                      machine has no audio decoder; the speech and ambiences travel as Opus files)
# Recipes: train/denoise/recipe.sh (see train/denoise/train.py), train/sashimi/README.md,
# train/instrument/ (docs/INSTRUMENT.md). Their tests are Python tests in tests/py (mk/tests.mk),
# which run with Debian's torch through their #!/usr/bin/python3 line.

.PHONY: goldens denoise-data

goldens:
	$(PYTHON) train/make_goldens.py

OPUS2PCM_BIN := $(BUILD)/tools/opus2pcm
$(OPUS2PCM_BIN): train/denoise/opus2pcm.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(WARN) -O2 $$(pkg-config --cflags opusfile) $< -o $@ -static $$(pkg-config --libs --static opusfile)

denoise-data: $(OPUS2PCM_BIN)
	$(PYTHON) train/denoise/build_data.py --seed 1
