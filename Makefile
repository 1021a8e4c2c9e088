# convlab: build the book and run every check from a fresh clone.
#
#   make book    build the HTML book (strict: any Sphinx warning fails)
#   make test    unit tests, every notebook under nbval, the strict book build, then the
#                browser tests of the built pages and of JupyterLab (skipped, saying so,
#                without Chromium)
#   make test-oldest  the same with every dependency at its declared floor (.venv-oldest)
#   make browser-test  only the browser tests, on the book already in _build/html
#   make bench   the benchmark suite (timings, never assertions): benchmarks/README.md
#
# Everything is installed into $(VENV); nothing outside it is touched.

PYTHON ?= python3
VENV ?= .venv
# PyTorch is part of the book (requirements.txt pins torch==2.13.0). On Linux, PyPI's wheel
# of that version brings CUDA libraries (gigabytes); TORCH_INDEX=https://download.pytorch.org/whl/cpu
# installs the CPU-only build first, from PyTorch's own index (README: "PyTorch").
TORCH_INDEX ?=
PYTEST_WORKERS ?= 2
# Extra arguments for benchmarks/bench.py, e.g. BENCH_ARGS="--quick --dtype float32".
BENCH_ARGS ?=
# The browser test: auto runs it when Chromium is installed and says SKIPPED otherwise;
# require (what CI sets) fails without Chromium. CHROMIUM=/path/to/chrome picks the browser.
BROWSER_TEST ?= auto
CHROMIUM ?= $(firstword $(foreach b,chromium chromium-browser google-chrome google-chrome-stable,$(shell command -v $(b) 2>/dev/null)))
# Extra arguments for jupyter-lab; Jupyter refuses to run as root without --allow-root.
LAB_ARGS ?= $(if $(filter 0,$(shell id -u)),--allow-root)

# make test-oldest: a second environment with every direct dependency at its declared floor
# (tests/floors.py turns the floors in the files below into pip constraints).
OLDEST_VENV ?= .venv-oldest
FLOOR_FILES := requirements.txt requirements-lab.txt requirements-test.txt pyproject.toml
# Set by test-oldest: a pip constraints file applied to every install into $(VENV).
PIP_CONSTRAINTS ?=
# Where the strict build writes (test-oldest builds beside the main book, not over it).
BOOK_OUT ?= .

BIN := $(VENV)/bin
PIP_C := $(if $(PIP_CONSTRAINTS),-c $(PIP_CONSTRAINTS))
BOOK_STAMP := $(VENV)/.book-stamp
TEST_STAMP := $(VENV)/.test-stamp
LAB_STAMP := $(VENV)/.lab-stamp
TEST_DEPS := $(TEST_STAMP)

# Kernel specs inside the venv win over a user-level "python3" kernel, so the
# book build runs the notebooks with the venv's Python (and its convlab).
export JUPYTER_PREFER_ENV_PATH := 1

# The strict build, shared by `book` and `test`. --all re-reads every page, so a
# warning in an unchanged page still fails the build.
define build-book
$(BIN)/jupyter-book build . -W -n --keep-going --all --path-output $(BOOK_OUT)
@echo "Book built: $(abspath $(BOOK_OUT))/_build/html/index.html"
endef

# Headless Chromium opens every built page from disk with the network blocked (see
# tests/browser_check.py), then chapters in a real JupyterLab on 127.0.0.1 (tests/lab_check.py:
# rendered MyST, closed solutions). Screenshots go to _build/screenshots/. $(1): auto or require.
define browser-test
@if [ -n "$(CHROMIUM)" ]; then \
  echo "$(BIN)/python tests/browser_check.py _build/html --chromium $(CHROMIUM)"; \
  $(BIN)/python tests/browser_check.py _build/html --chromium "$(CHROMIUM)" || exit $$?; \
  echo "$(BIN)/python tests/lab_check.py --chromium $(CHROMIUM)"; \
  $(BIN)/python tests/lab_check.py --chromium "$(CHROMIUM)"; \
elif [ "$(1)" = require ]; then \
  echo "make: the browser test is required here but Chromium was not found (apt install chromium)" >&2; exit 1; \
else \
  echo "SKIPPED browser test: Chromium not found (apt install chromium)"; \
fi
endef

.DEFAULT_GOAL := help

.PHONY: help book test test-oldest floors-check strict-book unit-test nbval browser-test outputs lab bench clean distclean

help:
	@echo "convlab targets:"
	@echo "  make book       build the book into _build/html (strict, offline)"
	@echo "  make test       unit tests + every notebook under nbval + strict book build"
	@echo "                  + browser test of the built pages (when Chromium is installed)"
	@echo "                  (TORCH_INDEX=https://download.pytorch.org/whl/cpu: CPU-only PyTorch)"
	@echo "  make test-oldest  the same tests in a second venv ($(OLDEST_VENV)) with every direct"
	@echo "                  dependency at the lowest version the requirements allow"
	@echo "  make browser-test  headless Chromium checks every page in _build/html offline"
	@echo "                  (maths rendered, images, animations, no console errors, no network);"
	@echo "                  screenshots in _build/screenshots/"
	@echo "  make lab        open the notebooks in JupyterLab"
	@echo "  make outputs    re-run every notebook in book/ and store its outputs (NB=book/x.ipynb for one)"
	@echo "  make bench      benchmark convlab against PyTorch, NumPy and SciPy;"
	@echo "                  tables in benchmarks/results/ (BENCH_ARGS=--quick for a 1-minute smoke run)"
	@echo "  make clean      remove the build output and caches (keeps $(VENV))"
	@echo "  make distclean  clean, and remove $(VENV) too"

# --- environment ------------------------------------------------------------

$(BOOK_STAMP): requirements.txt pyproject.toml $(PIP_CONSTRAINTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(if $(TORCH_INDEX),$(BIN)/python -m pip install "$$(grep -o '^torch==[^ ]*' requirements.txt)" --index-url "$(TORCH_INDEX)")
	$(BIN)/python -m pip install $(PIP_C) -r requirements.txt -e .
	touch $@

$(TEST_STAMP): $(BOOK_STAMP) requirements-test.txt requirements-lab.txt
	$(BIN)/python -m pip install $(PIP_C) -r requirements-test.txt
	touch $@

# --- targets ----------------------------------------------------------------

book: $(BOOK_STAMP)
	$(build-book)

test: unit-test nbval
	$(build-book)
	$(call browser-test,$(BROWSER_TEST))

# The oldest allowed versions, tested: a second venv with every direct dependency at its floor,
# then the same unit tests, nbval and strict build (into _build/oldest/). CI runs it after make test.
test-oldest:
	mkdir -p $(OLDEST_VENV)
	$(PYTHON) tests/floors.py constraints $(FLOOR_FILES) > $(OLDEST_VENV)/floors.txt.new
	cmp -s $(OLDEST_VENV)/floors.txt.new $(OLDEST_VENV)/floors.txt || mv $(OLDEST_VENV)/floors.txt.new $(OLDEST_VENV)/floors.txt
	$(MAKE) VENV=$(OLDEST_VENV) PIP_CONSTRAINTS=$(OLDEST_VENV)/floors.txt BOOK_OUT=_build/oldest \
	  floors-check unit-test nbval strict-book

# Prints each direct dependency's floor beside the installed version; fails on a mismatch.
floors-check: $(TEST_DEPS)
	$(BIN)/python tests/floors.py check $(FLOOR_FILES)

strict-book: $(BOOK_STAMP)
	$(build-book)

# On the book already built (make book); Chromium is required here.
browser-test: $(LAB_STAMP)
	@test -f _build/html/index.html || { echo "make: no built book in _build/html (run make book first)" >&2; exit 1; }
	$(call browser-test,require)

# pytest exits 5 when it collects nothing; say so instead of failing silently.
# --doctest-modules also runs the Examples sections of convlab's docstrings.
# One BLAS/OpenMP thread per xdist worker: two workers on two cores, no oversubscription
# (PyTorch's thread pool otherwise stalls tiny float64 matmuls under load).
unit-test: $(TEST_DEPS)
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest tests convlab --doctest-modules -n $(PYTEST_WORKERS) || { rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "make: pytest collected no unit tests in tests/" >&2; fi; exit $$rc; }

# Strict output comparison (nbval's default, not --nbval-lax), in a kernel
# started from the venv's own interpreter, one BLAS thread per parallel worker. nbval skips cells stored without an
# execution count, so check_notebooks.py first insists that each is stored executed.
nbval: $(TEST_DEPS)
	$(BIN)/python tests/check_notebooks.py book
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest --nbval --nbval-current-env \
	  --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:randomly \
	  -n $(PYTEST_WORKERS) --dist loadfile book || { rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "make: nbval collected no notebooks in book/" >&2; fi; exit $$rc; }

# Regenerate the stored outputs that nbval compares against, in a fresh kernel per notebook.
outputs: $(BOOK_STAMP)
	$(BIN)/python tests/execute_notebooks.py $(NB)

# Timings and peak memory against the references, written as Markdown and JSON to
# benchmarks/results/. Never part of `make test`: the numbers depend on the machine.
bench: $(TEST_DEPS)
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)

$(LAB_STAMP): $(BOOK_STAMP) requirements-lab.txt
	$(BIN)/python -m pip install $(PIP_C) -r requirements-lab.txt
	touch $@

# JupyterLab with jupyterlab-myst, so roles, maths and exercises render as in the web book.
lab: $(LAB_STAMP)
	$(BIN)/jupyter-lab --notebook-dir=book $(LAB_ARGS)

clean:
	rm -rf _build .jupyter_cache jupyter_execute .pytest_cache .hypothesis *.egg-info
	find . -path ./$(VENV) -prune -o \( -name __pycache__ -o -name .ipynb_checkpoints \) \
	  -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) $(OLDEST_VENV)
