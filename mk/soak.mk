# mk/soak.mk — the soaks: long real-time runs of the plugin and the app (tests/soak/), and their
# JACK client build/tests/soak/soak_client. Not part of `make test`.
#   make soak             the three soaks below at once (about an hour; real-time paced)
#   make soak-denoise     SOAK_DENOISE_MIN (60) minutes of the LV2 denoiser in jalv under
#                         jackd -d dummy -p 256, beside eg-amp on a server of its own: xruns of each
#   make soak-instrument  SOAK_INSTRUMENT_MIN (30) minutes of the LV2 instrument in jalv playing a
#                         dense MIDI loop: memory and CPU per period over time
#   make soak-generate    SOAK_GENERATE_MIN (30) minutes of `statewave generate --live` recorded:
#                         level, tone and silence per minute
# Logs and recordings: build/soak/. Each prints its figures and fails on a broken criterion
# (tests/soak/soak_report.py).
SOAK_DIR := $(BUILD)/soak
SOAK_CLIENT := $(BUILD)/tests/soak/soak_client
SOAK_DENOISE_MIN ?= 60
SOAK_INSTRUMENT_MIN ?= 30
SOAK_GENERATE_MIN ?= 30

$(SOAK_CLIENT): tests/soak/soak_client.c app/midifile.c app/midifile.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Iapp $(CFLAGS_ALL) $(shell pkg-config --cflags jack sndfile) tests/soak/soak_client.c \
	  app/midifile.c -o $@ $(shell pkg-config --libs jack sndfile) -lm

.PHONY: soak soak-denoise soak-instrument soak-generate
soak-denoise: all $(SOAK_CLIENT)
	tests/soak/soak_denoise.sh $(SOAK_DENOISE_MIN)
soak-instrument: all $(SOAK_CLIENT)
	tests/soak/soak_instrument.sh $(SOAK_INSTRUMENT_MIN)
soak-generate: all $(SOAK_CLIENT)
	tests/soak/soak_generate.sh $(SOAK_GENERATE_MIN)
# all three at once (they need about half a core together); each one's status counts
soak: all $(SOAK_CLIENT)
	@rc=0; \
	tests/soak/soak_denoise.sh $(SOAK_DENOISE_MIN) > $(SOAK_DIR)-denoise.out 2>&1 & p1=$$!; \
	tests/soak/soak_instrument.sh $(SOAK_INSTRUMENT_MIN) > $(SOAK_DIR)-instrument.out 2>&1 & p2=$$!; \
	tests/soak/soak_generate.sh $(SOAK_GENERATE_MIN) > $(SOAK_DIR)-generate.out 2>&1 & p3=$$!; \
	wait $$p1 || rc=1; wait $$p2 || rc=1; wait $$p3 || rc=1; \
	for k in denoise instrument generate; do echo "== soak $$k"; cat $(SOAK_DIR)-$$k.out; done; \
	exit $$rc
