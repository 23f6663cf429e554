# mk/plugin.mk — the LV2 bundle build/statewave.lv2 (denoiser mono + stereo, generator
# instrument, neural instrument, timbre-transfer effect, MIDI continuation): its build and
# installation.
#   make lv2             the bundle only (also part of `make`)
#   make install-lv2     the bundle into $(LV2DIR) (part of make install; see the install rule below)
# Its tests are in tests/host (the lilv harness, lv2apply, jalv, Ardour, PipeWire) and tests/rt
# (test_lv2_rt.c), run by mk/tests.mk; its benchmarks bench/bench_lv2.c, bench/bench_synth_lv2.c and
# bench/bench_lv2_first.sh (mk/bench.mk). Read right after mk/library.mk and mk/app.mk (top Makefile):
# later fragments use SYNTH_TIMBRES, LV2_BUNDLE and LV2_FILES.
#
# Bundle layout (what `make` builds and `make install` copies):
#   statewave.lv2/manifest.ttl         plugins + presets (generated: plugin/gen_manifest.sh)
#   statewave.lv2/denoise.ttl          denoiser descriptions (plugin/denoise.ttl.in)
#   statewave.lv2/generate.ttl         generator instrument description (plugin/generate.ttl.in)
#   statewave.lv2/statewave.so         all plugins; exports only lv2_descriptor
#   statewave.lv2/denoise.safetensors  the default denoise model (presets/denoise.safetensors)
#   statewave.lv2/generate.safetensors the generator model (presets/generate.safetensors, 12 MB)
#   statewave.lv2/presets/*.ttl        LV2 presets (presets/lv2/*.ttl)
#   statewave.lv2/synth.ttl, transfer.ttl  neural instrument / timbre transfer (plugin/*.ttl.in
#                                      through plugin/gen_synth_ttl.sh)    } only with at least
#   statewave.lv2/instrument_<t>.safetensors  trained timbre models        } one trained model in
#                                      (presets/instruments/<t>.safetensors) } presets/instruments
#   statewave.lv2/instrument-presets/*.ttl  instrument presets (presets/lv2/instrument/<t>-*.ttl)
#   statewave.lv2/continue.ttl         Statewave Continue (plugin/continue.ttl.in)     } listed in the
#   statewave.lv2/compose.safetensors  the composer model (presets/compose.safetensors) } manifest and
#                                      installed only when presets/compose.safetensors exists
#
# Install rule: LV2DIR can always be given. Otherwise, a plain `make install` (PREFIX left at
# the Makefile's default and no DESTDIR) is a per-user install into $(HOME)/.lv2, where every
# LV2 host (Ardour, Carla, Reaper, jalv, ...) looks; with PREFIX or DESTDIR given (packaging,
# system-wide installs) the bundle goes to $(DESTDIR)$(PREFIX)/lib/lv2.

LV2_BUNDLE  := $(BUILD)/statewave.lv2
LV2_SO      := $(LV2_BUNDLE)/statewave.so
LV2_SRC     := $(wildcard plugin/*.c)
LV2_OBJ     := $(patsubst plugin/%.c,$(BUILD)/plugin/%.o,$(LV2_SRC))
LV2_PRESETS := $(sort $(wildcard presets/lv2/*.ttl))
LV2_MODEL   := presets/denoise.safetensors
LV2_GMODEL  := presets/generate.safetensors
LV2_FILES   := $(LV2_SO) $(LV2_BUNDLE)/manifest.ttl $(LV2_BUNDLE)/denoise.ttl $(LV2_BUNDLE)/generate.ttl \
               $(LV2_BUNDLE)/denoise.safetensors $(LV2_BUNDLE)/generate.safetensors \
               $(LV2_PRESETS:presets/lv2/%=$(LV2_BUNDLE)/presets/%)
# The static library the plugin links (overridable for plumbing experiments).
LV2_SWLIB   ?= $(LIB)

# Neural instrument + timbre transfer (issue #7, plugin/synth_lv2.c, plugin/transfer_lv2.c, and
# plugin/lv2_base.c for what every plugin shares; LV2_SRC takes every plugin/*.c).
# Each timbre's trained model presets/instruments/<t>.safetensors goes into the bundle as
# instrument_<t>.safetensors; a timbre whose model is missing is left out of the TTLs'
# enumerations (plugin/gen_synth_ttl.sh), and with no model at all neither plugin is in the
# manifest (their code is still in statewave.so, unreachable). Never a placeholder model.
# Instrument presets: presets/lv2/instrument/<timbre>-*.ttl, shipped when that timbre is,
# in the bundle's instrument-presets/ folder.
SYNTH_TIMBRES_ALL := violin flute trumpet cello cello_real
SYNTH_TIMBRES     := $(strip $(foreach t,$(SYNTH_TIMBRES_ALL),$(if $(wildcard presets/instruments/$(t).safetensors),$(t))))
SYNTH_SRC_MODELS  := $(SYNTH_TIMBRES:%=presets/instruments/%.safetensors)
SYNTH_MODELS      := $(SYNTH_TIMBRES:%=$(LV2_BUNDLE)/instrument_%.safetensors)
SYNTH_PRESETS     := $(sort $(foreach t,$(SYNTH_TIMBRES),$(wildcard presets/lv2/instrument/$(t)-*.ttl)))
SYNTH_BPRESETS    := $(SYNTH_PRESETS:presets/lv2/instrument/%=$(LV2_BUNDLE)/instrument-presets/%)
SYNTH_FILES       := $(if $(SYNTH_TIMBRES),$(LV2_BUNDLE)/synth.ttl $(LV2_BUNDLE)/transfer.ttl $(SYNTH_MODELS) \
                     $(SYNTH_BPRESETS))
LV2_FILES         += $(SYNTH_FILES)

# Statewave Continue (issue #14, plugin/continue_lv2.c): the composer's trained model
# presets/compose.safetensors goes into the bundle as compose.safetensors, its default model.
# Without that model the plugin is left out of the manifest and the installation (never a
# placeholder model); continue.ttl is built all the same, for the test bundle below.
# Test bundle $(BUILD)/tests/host/continue.lv2: the same statewave.so and continue.ttl with
# a manifest of Continue alone and the tiny random-weight test model
# (tests/data/compose_test.safetensors, train/compose/make_test_model.py) as its compose.safetensors,
# so that tests/host/test_lv2_continue.c and test_jalv_continue.sh run the real plugin, with its
# default-model path, whether or not a trained model is shipped. It lies below build/tests, where
# no host's LV2_PATH=build scan finds it.
COMPOSE_MODEL     := $(wildcard presets/compose.safetensors)
COMPOSE_FILES     := $(if $(COMPOSE_MODEL),$(LV2_BUNDLE)/continue.ttl $(LV2_BUNDLE)/compose.safetensors)
# A stamp named after whether the model is there, so that the manifest is made again when it
# comes or goes (a file that disappears leaves nothing newer behind to notice).
COMPOSE_STAMP     := $(BUILD)/plugin/compose-model.$(if $(COMPOSE_MODEL),yes,no)
LV2_FILES         += $(LV2_BUNDLE)/continue.ttl $(COMPOSE_FILES)
CONT_TEST_BUNDLE  := $(BUILD)/tests/host/continue.lv2
CONT_TEST_FILES   := $(addprefix $(CONT_TEST_BUNDLE)/,statewave.so manifest.ttl continue.ttl compose.safetensors)

# Metadata substituted into the TTL templates. lv2:minorVersion/microVersion follow
# SW_VERSION_STRING "MAJOR.MINOR.MICRO" of dsp/statewave.h.
LV2_VERSION       := $(shell sed -n 's/^\#define SW_VERSION_STRING "\(.*\)"/\1/p' dsp/statewave.h)
LV2_MINOR         := $(word 2,$(subst ., ,$(LV2_VERSION)))
LV2_MICRO         := $(word 3,$(subst ., ,$(LV2_VERSION)))
LV2_LICENSE       ?= https://opensource.org/licenses/MIT
LV2_LIMIT_DEFAULT ?= 100.0

ifeq ($(origin PREFIX)$(DESTDIR),file)
LV2DIR ?= $(HOME)/.lv2
else
LV2DIR ?= $(DESTDIR)$(PREFIX)/lib/lv2
endif

LV2_CFLAGS  := -fvisibility=hidden $(shell pkg-config --cflags lv2 2>/dev/null)
LV2_LDFLAGS := -shared -Wl,--version-script=plugin/statewave.map -Wl,--no-undefined -Wl,-z,defs \
               -Wl,--as-needed

ALL_TARGETS  += $(LV2_FILES) $(CONT_TEST_FILES)

.PHONY: lv2 install-lv2 uninstall-lv2
lv2: $(LV2_FILES)

$(BUILD)/plugin/%.o: plugin/%.c $(wildcard plugin/*.h) dsp/statewave.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Iplugin $(CFLAGS_ALL) $(LV2_CFLAGS) -c $< -o $@

$(LV2_SO): $(LV2_OBJ) $(LV2_SWLIB) plugin/statewave.map
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LV2_LDFLAGS) -o $@ $(LV2_OBJ) $(LV2_SWLIB) $(LDLIBS_ALL)

$(LV2_BUNDLE)/manifest.ttl: plugin/manifest.ttl.in plugin/gen_manifest.sh $(LV2_PRESETS) $(SYNTH_PRESETS) \
                            $(SYNTH_SRC_MODELS) $(COMPOSE_MODEL) $(COMPOSE_STAMP) mk/plugin.mk
	@mkdir -p $(dir $@)
	$(if $(COMPOSE_MODEL),,rm -f $(LV2_BUNDLE)/compose.safetensors)
	SW_LV2_SYNTH=$(if $(SYNTH_TIMBRES),1,0) SW_LV2_COMPOSE=$(if $(COMPOSE_MODEL),1,0) \
	    plugin/gen_manifest.sh $< statewave.so $(LV2_PRESETS) --dir=instrument-presets $(SYNTH_PRESETS) \
	    > $@.tmp && mv $@.tmp $@

$(LV2_BUNDLE)/denoise.ttl: plugin/denoise.ttl.in dsp/statewave.h mk/plugin.mk
	@mkdir -p $(dir $@)
	sed -e 's|@LV2_MINOR@|$(LV2_MINOR)|g' -e 's|@LV2_MICRO@|$(LV2_MICRO)|g' \
	    -e 's|@LV2_LICENSE@|$(LV2_LICENSE)|g' -e 's|@LV2_LIMIT_DEFAULT@|$(LV2_LIMIT_DEFAULT)|g' $< > $@

$(LV2_BUNDLE)/generate.ttl $(LV2_BUNDLE)/continue.ttl: $(LV2_BUNDLE)/%.ttl: plugin/%.ttl.in dsp/statewave.h mk/plugin.mk
	@mkdir -p $(dir $@)
	sed -e 's|@LV2_MINOR@|$(LV2_MINOR)|g' -e 's|@LV2_MICRO@|$(LV2_MICRO)|g' \
	    -e 's|@LV2_LICENSE@|$(LV2_LICENSE)|g' $< > $@

$(LV2_BUNDLE)/synth.ttl $(LV2_BUNDLE)/transfer.ttl: $(LV2_BUNDLE)/%.ttl: plugin/%.ttl.in plugin/gen_synth_ttl.sh \
                                                  dsp/statewave.h mk/plugin.mk $(SYNTH_SRC_MODELS)
	@mkdir -p $(dir $@)
	plugin/gen_synth_ttl.sh $< $(LV2_MINOR) $(LV2_MICRO) $(LV2_LICENSE) $(SYNTH_TIMBRES) > $@.tmp && mv $@.tmp $@

$(LV2_BUNDLE)/instrument_%.safetensors: presets/instruments/%.safetensors
	@mkdir -p $(dir $@)
	cp $< $@

$(LV2_BUNDLE)/instrument-presets/%.ttl: presets/lv2/instrument/%.ttl
	@mkdir -p $(dir $@)
	cp $< $@

$(LV2_BUNDLE)/denoise.safetensors: $(LV2_MODEL)
	@mkdir -p $(dir $@)
	cp $< $@

$(LV2_BUNDLE)/generate.safetensors: $(LV2_GMODEL)
	@mkdir -p $(dir $@)
	cp $< $@

$(COMPOSE_STAMP):
	@mkdir -p $(dir $@)
	rm -f $(BUILD)/plugin/compose-model.* && touch $@

$(LV2_BUNDLE)/compose.safetensors: presets/compose.safetensors
	@mkdir -p $(dir $@)
	cp $< $@

$(CONT_TEST_BUNDLE)/manifest.ttl: plugin/manifest.ttl.in plugin/gen_manifest.sh
	@mkdir -p $(dir $@)
	SW_LV2_COMPOSE=only plugin/gen_manifest.sh $< statewave.so > $@.tmp && mv $@.tmp $@

$(CONT_TEST_BUNDLE)/statewave.so: $(LV2_SO)
$(CONT_TEST_BUNDLE)/continue.ttl: $(LV2_BUNDLE)/continue.ttl
$(CONT_TEST_BUNDLE)/compose.safetensors: tests/data/compose_test.safetensors
$(CONT_TEST_BUNDLE)/statewave.so $(CONT_TEST_BUNDLE)/continue.ttl $(CONT_TEST_BUNDLE)/compose.safetensors:
	@mkdir -p $(dir $@)
	cp $< $@

$(LV2_BUNDLE)/presets/%.ttl: presets/lv2/%.ttl
	@mkdir -p $(dir $@)
	cp $< $@

# (under `make install`, after install-check: nothing is installed when PREFIX cannot be written)
install-lv2: $(LV2_FILES) $(if $(filter install,$(MAKECMDGOALS)),install-check)
	install -d $(LV2DIR)/statewave.lv2/presets
	install -m 755 $(LV2_SO) $(LV2DIR)/statewave.lv2/
	install -m 644 $(LV2_BUNDLE)/manifest.ttl $(LV2_BUNDLE)/denoise.ttl $(LV2_BUNDLE)/generate.ttl \
	    $(LV2_BUNDLE)/denoise.safetensors $(LV2_BUNDLE)/generate.safetensors $(LV2DIR)/statewave.lv2/
	install -m 644 $(LV2_PRESETS:presets/lv2/%=$(LV2_BUNDLE)/presets/%) $(LV2DIR)/statewave.lv2/presets/
	$(if $(SYNTH_TIMBRES),install -m 644 $(LV2_BUNDLE)/synth.ttl $(LV2_BUNDLE)/transfer.ttl $(SYNTH_MODELS) \
	    $(LV2DIR)/statewave.lv2/)
	$(if $(SYNTH_BPRESETS),install -d $(LV2DIR)/statewave.lv2/instrument-presets && \
	    install -m 644 $(SYNTH_BPRESETS) $(LV2DIR)/statewave.lv2/instrument-presets/)
	$(if $(COMPOSE_FILES),install -m 644 $(COMPOSE_FILES) $(LV2DIR)/statewave.lv2/)
	@echo "installed the LV2 bundle in $(LV2DIR)/statewave.lv2"

uninstall-lv2:
	rm -rf $(LV2DIR)/statewave.lv2

install: install-lv2
uninstall: uninstall-lv2
