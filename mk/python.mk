# mk/python.mk — the Python package `statewave` (python/: ctypes over build/libstatewave.so) and
# `statewave-batch` (Dask distributed), their tests and benchmark, and installing the shared
# library. Included by the top Makefile.
#   pip install ./python      (after `make`: bundles build/libstatewave.so and the denoise model)

DEB_PKGS_TEST += python3-pip python3-venv python3-setuptools python3-wheel python3-pytest \
  python3-distributed python3-soundfile

TEST_SCRIPTS += tests/python/run_tests.sh
BENCH_CMDS   += bench/bench_batch.py

.PHONY: install-solib uninstall-solib
install-solib: install-check $(SOLIB)
	install -d $(DESTDIR)$(PREFIX)/lib
	install -m 755 $(SOLIB) $(DESTDIR)$(PREFIX)/lib/libstatewave.so

uninstall-solib:
	rm -f $(DESTDIR)$(PREFIX)/lib/libstatewave.so

install: install-solib
uninstall: uninstall-solib
