# The commands of the README: `make reproduce`, `make report` and `make test` (dvc.yaml is generated from
# params.yaml first, so `dvc repro` builds what the parameters select). All create .venv when missing
# and install the project into it (again only when pyproject.toml changed), so all are idempotent.
PYTHON ?= python3
VENV ?= .venv
INSTALLED := $(VENV)/.installed
export PATH := $(abspath $(VENV))/bin:$(PATH)
# This checkout's code runs, even where $(VENV) is shared with a clone it was installed (editable) from.
export PYTHONPATH := $(CURDIR)/src$(if $(PYTHONPATH),:$(PYTHONPATH))

.PHONY: install reproduce report test

install: $(INSTALLED)

$(INSTALLED): pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -e .
	touch $@

# Snakemake runs every job, one per core side by side; DVC records what they built in dvc.lock, and
# `dvc repro` adds the report (influential_factors/reproduce.py). Later, `dvc repro` re-runs only what a
# change touches.
reproduce: install
	python -m influential_factors.reproduce
	dvc metrics show
	dvc plots show --out dvc_plots

# The reading of a run: results/report.html (Snakemake's report: every figure, captioned, and every
# table; DVC stage `report`) and dvc_plots/index.html (per-factor information and training curves).
report: install
	python -m influential_factors.dvc_stages
	dvc repro report
	dvc plots show --out dvc_plots

test: install
	pytest
