# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
# They find a Python >= 3.12 (on the PATH, else under pyenv's versions folder), create .venv,
# install the package with its test and docs extras, and run. `make docs` builds the site.

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# First interpreter that really runs and is >= 3.12 (a pyenv shim for an unselected version
# fails to run, so each candidate is executed, not just looked up).
PYTHON ?= $(shell \
	for p in python3.13 python3.12 python3 python \
	         $$(ls -d $$(pyenv root 2>/dev/null || echo $$HOME/.pyenv)/versions/3.1[2-9]*/bin/python 2>/dev/null | sort -rV); do \
	  if $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
	    command -v $$p || echo $$p; break; \
	  fi; \
	done)

.PHONY: demo test docs docs-strict docs-screenshots report-screenshots lint bench clean

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: no Python >= 3.12 found on PATH or under pyenv" >&2; exit 2; }
	@echo "Using $(PYTHON) ($$($(PYTHON) --version))"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,docs]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/inference-compare run coin_flip --out reports/coin_flip

# The documentation site: lessons executed by myst-nb (cached in docs/_build/.jupyter_cache),
# the gallery's reports produced by the build; the site lands in docs/_build/html/.
SPHINX := $(BIN)/python -m sphinx
DOCS_OUT := docs/_build/html

docs: $(STAMP)
	$(SPHINX) -b html docs $(DOCS_OUT)
	@echo "The site: $(abspath $(DOCS_OUT))/index.html"

# The same build with every warning an error, nitpicky (what `make test` and CI run).
DOCS_STRICT := $(SPHINX) -b html -W --keep-going -n docs $(DOCS_OUT)

docs-strict: $(STAMP)
	$(DOCS_STRICT)

# The README's screenshots of a lesson and of the gallery, from the built site.
docs-screenshots: $(STAMP)
	$(BIN)/python docs/screenshots.py

# The layers of DESIGN.md (import-linter contracts in pyproject.toml) and the type checker.
CHECK_STRUCTURE := $(BIN)/lint-imports && $(BIN)/python -m mypy

# The README's screenshots of real reports (coin flip, logistic regression, a study) at desktop
# (1280 px) and phone (390 px) width: runs the commands, then shoots them in headless Chromium.
report-screenshots: $(STAMP)
	$(BIN)/python docs/screenshots.py --reports

# ruff, the layers and types, then the site (tests/test_docs_site.py opens it in headless
# Chromium), then the suite in two processes (pytest-xdist: 1.7x faster on CI's 2 cores),
# naming its 25 slowest tests (CI keeps only the log's tail).
test: $(STAMP)
	$(BIN)/python -m ruff check inference_compare tests models benchmarks docs
	$(CHECK_STRUCTURE)
	$(DOCS_STRICT)
	$(BIN)/python -m pytest -q -n 2 --durations=25

lint: $(STAMP)
	$(BIN)/python -m ruff check inference_compare tests models benchmarks docs
	$(BIN)/python -m ruff format --check inference_compare tests models benchmarks docs
	$(CHECK_STRUCTURE)

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_compare.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache docs/_build docs/api/generated
