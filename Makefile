# Two commands set up a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Remake the install stamps when the declared dependencies change.
DEPS := pyproject.toml

.PHONY: demo test bench bench-ddp screenshot clean fuzz

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.demo-installed: $(PY) $(DEPS)
	$(PY) -m pip install -q -e '.[demo]'
	touch $@

$(VENV)/.test-installed: $(PY) $(DEPS)
	$(PY) -m pip install -q -e '.[test,demo]'
	touch $@

demo: $(VENV)/.demo-installed
	$(PY) examples/digits.py

test: $(VENV)/.test-installed
	$(PY) -m pytest -n 2 tests

bench: $(VENV)/.test-installed
	$(PY) bench/ops.py

# all-reduce bandwidth and DDP training steps on 1 and 2 MPI ranks
bench-ddp: $(VENV)/.test-installed
	$(PY) bench/ddp.py

# docs/tensorboard_demo.png, from the demo's run served by TensorBoard (needs chromium).
screenshot: $(VENV)/.demo-installed
	tools/screenshot_tensorboard.sh $(PY)

clean:
	rm -rf $(VENV) build *.egg-info

# The differential fuzzer's long campaign against PyTorch (FUZZ_CASES cases, FUZZ_SEED seed);
# `make test` runs a few examples per function.
FUZZ_CASES ?= 100000
FUZZ_SEED ?= 0
fuzz: $(VENV)/.test-installed
	$(PY) -m tests.fuzzing --cases $(FUZZ_CASES) --seed $(FUZZ_SEED) --progress 10000
