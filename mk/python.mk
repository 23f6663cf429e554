# mk/python.mk — the Python package `statewave` (python/: ctypes over build/libstatewave.so) and
# its command `statewave-batch` (Dask distributed).
#   pip install ./python      (after `make`: bundles build/libstatewave.so and the denoise model)
# The shared library and `make install-solib` are in mk/library.mk. Its test is
# tests/package/run_tests.sh (a fresh venv, pip install ./python, pytest over tests/package; run by
# make test-scripts, mk/tests.mk), its benchmark bench/bench_batch.py (mk/bench.mk). This file adds
# the Debian packages they need.

DEB_PKGS_TEST += python3-pip python3-venv python3-setuptools python3-wheel python3-pytest \
  python3-distributed python3-soundfile
