# The commands of the README: `make reproduce`, `make report` and `make test` (dvc.yaml is generated from
# params.yaml first, so `dvc repro` builds what the parameters select). All create .venv when missing
# and install the project into it (again only when pyproject.toml or a lock changed), so all are idempotent.
PYTHON ?= python3
VENV ?= .venv
PIP := $(VENV)/bin/python -m pip --disable-pip-version-check
INSTALLED := $(VENV)/.installed
TEST_INSTALLED := $(VENV)/.installed-test
export PATH := $(abspath $(VENV))/bin:$(PATH)
# This checkout's code runs, even where $(VENV) is shared with a clone it was installed (editable) from.
export PYTHONPATH := $(CURDIR)/src$(if $(PYTHONPATH),:$(PYTHONPATH))

.PHONY: install reproduce report test lock

install: $(INSTALLED)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

# Every package at its locked release, each file checked against its sha256 (matplotlib and pyarrow write
# their versions into every PNG and Parquet file, so dvc.lock's hashes hold for these releases only);
# then the project itself, whose dependencies the lock already holds.
$(INSTALLED): pyproject.toml requirements.lock | $(VENV)/bin/python
	$(PIP) install --quiet --require-hashes -r requirements.lock
	$(PIP) install --quiet --no-deps -e .
	touch $@

# The `test` extra (pytest), locked the same way on top of the runtime lock.
$(TEST_INSTALLED): $(INSTALLED) requirements-test.lock
	$(PIP) install --quiet --require-hashes -r requirements-test.lock
	touch $@

# The only writer of the locks: pyproject.toml resolved (pip-tools) for Linux x86-64 and this Python,
# every file's sha256 kept. Pins already in a lock are kept: `make lock LOCK_ARGS=--upgrade` moves them.
export CUSTOM_COMPILE_COMMAND := make lock
PIP_COMPILE = $(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links $(LOCK_ARGS)
lock: | $(VENV)/bin/python
	$(PIP) install --quiet pip-tools==7.4.1
	$(PIP_COMPILE) --output-file requirements.lock pyproject.toml
	$(PIP_COMPILE) --extra test --constraint requirements.lock --output-file requirements-test.lock pyproject.toml

# Snakemake runs every job, one per core side by side, then the report; DVC records what they built in
# dvc.lock (influential_factors/reproduce.py). Later, `dvc repro` re-runs only what a change touches.
reproduce: install
	python -m influential_factors.pipeline.reproduce
	dvc metrics diff --all --no-path  # every run's headline numbers, against the last commit
	dvc plots show --out dvc_plots

# The reading of a run: results/report.html (Snakemake's report: every figure, captioned, and every
# table; DVC stage `report`) and dvc_plots/index.html (per-factor information and training curves).
report: install
	python -m influential_factors.pipeline.dvc_stages
	dvc repro report
	dvc plots show --out dvc_plots

test: $(TEST_INSTALLED)
	pytest
