# The two commands of the README: `make reproduce` and `make test`. Both create .venv when missing
# and install the project into it (again only when pyproject.toml changed), so both are idempotent.
PYTHON ?= python3
VENV ?= .venv
INSTALLED := $(VENV)/.installed
export PATH := $(abspath $(VENV))/bin:$(PATH)

.PHONY: install reproduce test

install: $(INSTALLED)

$(INSTALLED): pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -e .
	touch $@

reproduce: install
	dvc repro
	dvc metrics show

test: install
	pytest
