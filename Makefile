# Statewave — build, test, bench, demo, install.
#   make            build library, app and LV2 bundle
#   make deps       install missing Debian packages (apt-get; sudo when not root)
#   make test       deps + build + every test (C/cmocka, ASan+UBSan build, scripts, python)
#   make bench      benchmarks (figures quoted in README)
#   make demo       denoise the shipped example with the shipped model
# Component fragments live in mk/*.mk (one per front), included below.

PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build
PYTHON  ?= /usr/bin/python3

DEB_PKGS := build-essential pkg-config clang libclang-rt-14-dev \
  libcjson-dev libfftw3-dev libsndfile1-dev portaudio19-dev libportaudio2 libsamplerate0-dev \
  lv2-dev liblilv-dev lilv-utils jalv sordi lv2-examples jackd2 libjack-jackd2-dev \
  libcmocka-dev python3 python3-numpy python3-scipy python3-torch \
  sox flac vorbis-tools festvox-ru \
  asterisk-core-sounds-en-wav asterisk-core-sounds-fr-wav asterisk-core-sounds-es-wav \
  asterisk-core-sounds-it-wav asterisk-core-sounds-ru-wav ardour \
  fluidsynth fluid-soundfont-gm time util-linux \
  libsmf-dev python3-mido

PKGS     := libcjson fftw3f sndfile portaudio-2.0 lilv-0 cmocka samplerate
WARN     := -Wall -Wextra -Werror
OPT      ?= -O2 -g
SAN      ?=
CPPFLAGS := -Idsp -D_GNU_SOURCE
CFLAGS_ALL = -std=c11 $(WARN) $(OPT) -fPIC $(SAN) $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS_ALL = $(SAN) $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm -lpthread -ldl

DSP_SRC  := $(wildcard dsp/*.c)
DSP_OBJ  := $(DSP_SRC:%.c=$(BUILD)/%.o)
LIB      := $(BUILD)/libstatewave.a

CTEST_SRC := $(wildcard tests/test_*.c)
CTESTS    := $(CTEST_SRC:tests/%.c=$(BUILD)/tests/%)

# Fragments add to these.
ALL_TARGETS  :=
TEST_SCRIPTS :=
BENCH_CMDS   :=

.PHONY: all deps test test-c test-asan test-scripts bench demo install uninstall clean fuzz
.DEFAULT_GOAL := all

-include mk/*.mk

all: $(LIB) $(BUILD)/statewave.pc $(ALL_TARGETS)

deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "deps: installing$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	else echo "deps: all Debian packages present"; fi

$(BUILD)/%.o: %.c dsp/statewave.h $(wildcard dsp/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS_ALL) -c $< -o $@

$(LIB): $(DSP_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@.tmp && ar rcs $@.tmp $^ && mv -f $@.tmp $@

$(BUILD)/statewave.pc: dsp/statewave.pc.in
	@mkdir -p $(dir $@)
	sed -e 's|@PREFIX@|$(PREFIX)|g' $< > $@

$(BUILD)/tests/%: tests/%.c $(LIB) $(wildcard tests/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests $(CFLAGS_ALL) $< -o $@ $(LIB) $(LDLIBS_ALL)

# Run every test, then fail if any failed (so one failure doesn't hide the others).
test-c: $(CTESTS)
	@failed=""; for t in $(CTESTS); do echo "== $$t"; $$t || failed="$$failed $$t"; done; \
	if [ -n "$$failed" ]; then echo "FAILED:$$failed"; exit 1; fi

test-asan:
	$(MAKE) BUILD=build-asan OPT="-O1 -g" SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" test-c

test-scripts: all
	@failed=""; for t in $(TEST_SCRIPTS); do echo "== $$t"; $$t || failed="$$failed $$t"; done; \
	if [ -n "$$failed" ]; then echo "FAILED:$$failed"; exit 1; fi

test: deps
	$(MAKE) all
	@rc=0; $(MAKE) test-c || rc=1; $(MAKE) test-asan || rc=1; $(MAKE) test-scripts || rc=1; \
	if [ $$rc = 0 ]; then echo "make test: all tests passed"; else echo "make test: FAILURES (see FAILED: lines above)"; fi; exit $$rc

bench: all
	@set -e; for c in $(BENCH_CMDS); do echo "== $$c"; $$c; done

install: all
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include
	install -m 644 $(LIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 644 dsp/statewave.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 $(BUILD)/statewave.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/

clean:
	rm -rf build build-asan build-fuzz
