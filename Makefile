# Two commands set up a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Remake the install stamps when the declared dependencies change.
DEPS := pyproject.toml

.PHONY: demo test bench bench-ddp screenshot clean fuzz docs docs-serve docs-screenshots

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

# The documentation site, strictly (a broken link or reference fails): MkDocs + Material +
# mkdocstrings (why: mkdocs.yml). The API pages are generated from the package first.
$(VENV)/.docs-installed: $(PY) $(DEPS)
	$(PY) -m pip install -q -e '.[docs,demo,vision,text,onnx,distributed,tensorboard,safetensors]'
	touch $@

docs: $(VENV)/.docs-installed
	$(PY) tools/gen_api_docs.py docs/api
	$(PY) -m mkdocs build --strict

# the site at http://127.0.0.1:8000, rebuilt on every edit of a page
docs-serve: $(VENV)/.docs-installed
	$(PY) tools/gen_api_docs.py docs/api
	$(PY) -m mkdocs serve

# docs/api_nn_linear.png and docs/quickstart.png, from the built site (needs chromium)
docs-screenshots: docs
	tools/screenshot_docs.sh $(PY)

clean:
	rm -rf $(VENV) build *.egg-info site docs/api

# The differential fuzzer's long campaign against PyTorch (FUZZ_CASES cases, FUZZ_SEED seed);
# `make test` runs a few examples per function.
FUZZ_CASES ?= 100000
FUZZ_SEED ?= 0
fuzz: $(VENV)/.test-installed
	$(PY) -m tests.fuzzing --cases $(FUZZ_CASES) --seed $(FUZZ_SEED) --progress 10000
