# The README's two commands. Each makes its own virtual environment on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.iotforge-installed
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: demo test test-all lint clean-venv

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# CPU build of torch first: an unpinned torch would pull a multi-GB CUDA build.
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/dvc repro
	@echo
	@echo "curated data:    data/curated/curated.parquet"
	@echo "curation report: data/curated/report.json"

# lint first: ruff and mypy over every package are part of the test command.
# The fast tier: unit, property, doctest and command-line tests (pyproject.toml's
# addopts deselect `slow`), a few minutes.
# the fast tier on every core (pytest-xdist): about half the time of one process on 2 cores
test: $(STAMP) lint
	$(BIN)/python -m pytest -n auto

# Everything (CI): also the tests marked slow, pipeline, dask, realdata, training or
# package: DVC pipelines, Dask clusters, every shared dataset through both engines,
# generator and deep-model training, the wheel in a fresh environment.
test-all: $(STAMP) lint
	$(BIN)/python -m pytest -m ''

# mypy cannot follow setuptools' package-dir mapping (the editable install's import hook),
# so it checks a tree of links laid out as the wheel is: build/typecheck/iotforge/curation
# -> curation/ and so on. An import it cannot find there is an error, not a silent Any.
TYPECHECK := build/typecheck

lint: $(STAMP)
	$(BIN)/ruff check .
	rm -rf $(TYPECHECK) && mkdir -p $(TYPECHECK)/iotforge
	for f in iotforge/*; do ln -s "$(CURDIR)/$$f" $(TYPECHECK)/iotforge/; done
	for d in curation augment evaluation expectations benchmarks; do \
	  ln -s "$(CURDIR)/$$d" $(TYPECHECK)/$$( [ $$d = benchmarks ] || echo iotforge/)$$d; done
	cd $(TYPECHECK) && $(abspath $(BIN))/mypy --config-file "$(CURDIR)/pyproject.toml" \
	  iotforge benchmarks

clean-venv:
	rm -rf $(VENV)
