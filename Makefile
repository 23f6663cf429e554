# Statewave — build, test, bench, demo, install.
#   make            build library, app and LV2 bundle (and the tools, test helpers, benchmarks)
#   make deps       install missing Debian packages (apt-get; sudo when not root)
#   make test       deps + build + every test (C/cmocka, ASan+UBSan build, scripts, python)
#   make test-stress  make test with the other CPU cores busy (tools/test_stress.sh)
#   make bench      benchmarks (figures quoted in README)
#   make demo       deps-demo (the demo's packages only) + build the app + run the demos
#   make fresh-check  README's `make demo` + `make test` in a new Debian 12 root (root, debootstrap)
# What is built, tested and installed comes from the fragments mk/*.mk, one per artefact, each
# documented at its top: library (libstatewave), app (the statewave command), plugin (the LV2
# bundle), tests (make test and its parts), bench, eval, tools (tools/*.c), fuzz, soak, train,
# python (the Python package), pipewire (the PipeWire microphone). This file holds what they
# share: flags, Debian packages, the lists they append to, install-check, demo, clean.

PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build
PYTHON  ?= /usr/bin/python3

# Debian packages (Node.js counts as present when `node` and `npm` are on PATH, from any
# source: Debian's npm conflicts with other builds of nodejs). DEB_PKGS_DEMO: what `make demo` needs to build the library and the app and
# run them (make deps-demo). DEB_PKGS_TEST: what the rest of the build (LV2 bundle, C tests)
# and the tests add on top: hosts, Python + torch, test data, clang for the fuzzer (make deps
# installs both). Fragments may append to DEB_PKGS_TEST.
DEB_PKGS_DEMO := build-essential pkg-config \
  libcjson-dev libfftw3-dev libsndfile1-dev portaudio19-dev libportaudio2 libsamplerate0-dev
DEB_PKGS_TEST := clang libclang-rt-14-dev \
  lv2-dev liblilv-dev lilv-utils jalv sordi lv2-examples jackd2 libjack-jackd2-dev \
  libcmocka-dev python3 python3-numpy python3-scipy python3-torch \
  sox flac vorbis-tools festvox-ru \
  asterisk-core-sounds-en-wav asterisk-core-sounds-fr-wav asterisk-core-sounds-es-wav \
  asterisk-core-sounds-it-wav asterisk-core-sounds-ru-wav ardour \
  fluidsynth fluid-soundfont-gm time util-linux \
  python3-mido python3-matplotlib nodejs npm libopusfile-dev
DEB_PKGS = $(DEB_PKGS_DEMO) $(DEB_PKGS_TEST)

# pkg-config runs when make reads this file (here and in mk/*.mk), so `demo` and `test` install
# the packages first and then run make again. Each package is asked on its own: after
# deps-demo, lilv and cmocka are not there yet and must not blank the others' flags.
PKGS     := libcjson fftw3f sndfile portaudio-2.0 lilv-0 cmocka samplerate
PKG_CFLAGS := $(foreach p,$(PKGS),$(shell pkg-config --cflags $(p) 2>/dev/null))
PKG_LIBS   := $(foreach p,$(PKGS),$(shell pkg-config --libs $(p) 2>/dev/null))
WARN     := -Wall -Wextra -Werror
OPT      ?= -O2 -g
SAN      ?=
# dsp/ holds the public header and the shared base; its subfolders the network runtime (nn),
# the signal processing blocks (audio) and the products built on them (engines). Every file of
# the tree includes by bare name, so every folder is on the include path.
DSP_DIRS := dsp dsp/nn dsp/audio dsp/engines
CPPFLAGS := $(addprefix -I,$(DSP_DIRS)) -D_GNU_SOURCE
CFLAGS_ALL = -std=c11 $(WARN) $(OPT) -fPIC $(SAN) $(PKG_CFLAGS)
LDLIBS_ALL = $(SAN) $(PKG_LIBS) -lm -lpthread -ldl

# Fragments add to these: ALL_TARGETS (built by `make`), TEST_SCRIPTS (run by `make test-scripts`,
# besides the tests found in tests/<kind>/, mk/tests.mk), BENCH_CMDS (run by `make bench`).
ALL_TARGETS  :=
TEST_SCRIPTS :=
BENCH_CMDS   :=

.PHONY: all deps deps-demo demo install install-check uninstall clean fresh-check
.DEFAULT_GOAL := all

# The library first (every other fragment links $(LIB)), then the app and the plugin (whose
# names the tests, benchmarks and tools use), then the rest in name order.
MK_FIRST := mk/library.mk mk/app.mk mk/plugin.mk
include $(MK_FIRST)
include $(filter-out $(MK_FIRST),$(sort $(wildcard mk/*.mk)))

all: $(ALL_TARGETS)

# $(call install_debs,PACKAGES): apt-get install those not installed yet.
define install_debs
	@missing=""; for p in $(1); do \
	  case $$p in nodejs) c=node;; npm) c=npm;; *) c="";; esac; \
	  if [ -n "$$c" ] && command -v $$c >/dev/null; then continue; fi; \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "$@: installing$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	else echo "$@: all Debian packages present"; fi
endef

deps:
	$(call install_debs,$(DEB_PKGS))

deps-demo:
	$(call install_debs,$(DEB_PKGS_DEMO))

# The demo itself is demo-run (mk/app.mk); a new make reads the files after the packages are in.
demo: deps-demo
	@$(MAKE) --no-print-directory demo-run

# A plain `make install` writes to $(PREFIX) (default /usr/local). Without the right to write
# there (a normal user), it stops before it installs anything and says what to run instead.
# install-check comes first: install-app and, under `make install`, install-lv2 wait for it.
install-check:
	@t="$(DESTDIR)$(PREFIX)"; while [ ! -e "$$t" ]; do t=$$(dirname "$$t"); done; \
	if [ ! -w "$$t" ]; then \
	  echo "make install: user $$(id -un) cannot write to $(DESTDIR)$(PREFIX) ($$t): nothing was installed. Instead:"; \
	  printf '  %-52s %s\n' "make install-lv2" "the LV2 plugins only, into $(LV2DIR)" \
	    'make install PREFIX=$$HOME/.local LV2DIR=$$HOME/.lv2' "everything, for this user" \
	    "sudo make install LV2DIR=$(PREFIX)/lib/lv2" "everything, system-wide"; \
	  exit 1; \
	fi

# README's two commands on a new Debian 12 root (tools/fresh_check.sh; needs root and Debian's
# mirror; tests the committed HEAD). Log: build/fresh-check/log. Not part of `make test`.
fresh-check:
	tools/fresh_check.sh

# Never delete through a live mount (a running or interrupted fresh-check binds /dev and data).
clean:
	@if awk -v d="$(CURDIR)/build" 'index($$2, d) == 1 { print "clean: still mounted: " $$2; f = 1 } \
	    END { exit !f }' /proc/self/mounts 2>/dev/null; then \
	  echo "clean: not deleting through live mounts (fresh-check running? else tools/fresh_check.sh --umount)"; \
	  exit 1; fi
	rm -rf build build-asan build-fuzz
