# mk/library.mk — libstatewave (dsp/), the library every other artefact links.
#   build/libstatewave.a   the static library (app, plugin, tests, tools, benchmarks link it)
#   build/statewave.pc     its pkg-config file (from dsp/statewave.pc.in, PREFIX substituted)
#   build/libstatewave.so  the same objects as a shared library for callers that load it at run
#                          time (the Python package, python/); exports the SW_API functions of
#                          dsp/statewave.h only (hidden visibility, and dsp/libstatewave.map) and links its own dependencies (cJSON, FFTW,
#                          libsamplerate) as needed
#   make install           libstatewave.a, statewave.h and statewave.pc under $(DESTDIR)$(PREFIX)
#                          (this file holds install's own recipe; the other fragments add theirs)
#   make install-solib     libstatewave.so under $(DESTDIR)$(PREFIX)/lib (also part of make install)
# Its tests are tests/unit and tests/rt (mk/tests.mk), its benchmark bench/bench_core.c (mk/bench.mk),
# its fuzz target tests/fuzz/fuzz_loader.c (mk/fuzz.mk).
# Read first by the top Makefile, so that DSP_SRC, DSP_OBJ, LIB and SOLIB are set for the others.

DSP_SRC  := $(foreach d,$(DSP_DIRS),$(wildcard $(d)/*.c))
DSP_HDR  := $(foreach d,$(DSP_DIRS),$(wildcard $(d)/*.h))
DSP_OBJ  := $(DSP_SRC:%.c=$(BUILD)/%.o)
LIB      := $(BUILD)/libstatewave.a
SOLIB    := $(BUILD)/libstatewave.so
SOLIB_LIBS = $(shell pkg-config --libs libcjson fftw3f samplerate 2>/dev/null) -lm -lpthread

ALL_TARGETS += $(LIB) $(BUILD)/statewave.pc $(SOLIB)

$(BUILD)/%.o: %.c $(DSP_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS_ALL) -c $< -o $@

# Only what dsp/statewave.h marks SW_API is visible outside the library's objects: the internal
# sw_*/swi_* helpers still link into every program that takes libstatewave.a, but a shared
# object built from it (libstatewave.so, the LV2 bundle) exports none of them.
$(DSP_OBJ): CFLAGS_ALL += -fvisibility=hidden

# The hot kernels are compiled at -O3 with FMA contraction (see dsp/nn/kernels.c).
$(BUILD)/dsp/nn/kernels.o: CFLAGS_ALL += -O3 -ffp-contract=fast

$(LIB): $(DSP_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@.tmp && ar rcs $@.tmp $^ && mv -f $@.tmp $@

$(BUILD)/statewave.pc: dsp/statewave.pc.in
	@mkdir -p $(dir $@)
	sed -e 's|@PREFIX@|$(PREFIX)|g' $< > $@

$(SOLIB): $(DSP_OBJ) dsp/libstatewave.map
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -shared -Wl,-soname,libstatewave.so -Wl,--version-script=dsp/libstatewave.map \
	  -Wl,--no-undefined -Wl,--as-needed -o $@.tmp $(DSP_OBJ) $(SOLIB_LIBS) && mv -f $@.tmp $@

install: install-check all
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include
	install -m 644 $(LIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 644 dsp/statewave.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 $(BUILD)/statewave.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/

.PHONY: install-solib uninstall-solib
install-solib: install-check $(SOLIB)
	install -d $(DESTDIR)$(PREFIX)/lib
	install -m 755 $(SOLIB) $(DESTDIR)$(PREFIX)/lib/libstatewave.so

uninstall-solib:
	rm -f $(DESTDIR)$(PREFIX)/lib/libstatewave.so

install: install-solib
uninstall: uninstall-solib
