# mk/train.mk — train/ (PyTorch mirror: swtorch package, goldens, training smoke test).
# The test scripts run with Debian's torch through their #!/usr/bin/python3 line
# (TEST_SCRIPTS entries are run as single words by `make test-scripts`).

TEST_SCRIPTS += tests/test_goldens.py tests/test_train_smoke.py

.PHONY: goldens
# Regenerate tests/data/golden_*.safetensors (commit the result together with the code change).
goldens:
	$(PYTHON) train/make_goldens.py
