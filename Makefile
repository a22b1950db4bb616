# Two commands on a fresh machine: `make run` (the app on its demo store) and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run test bench layouts fixtures clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

run: $(VENV)/.installed
	$(VENV)/bin/picker-app

test: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(PY) -m pytest

$(VENV)/.bench: $(VENV)/.installed
	$(PY) -m pip install -q -e '.[bench]'
	touch $@

bench: $(VENV)/.bench
	$(PY) bench/route_bench.py

layouts: $(VENV)/.installed
	$(PY) layouts/make_layouts.py

fixtures: $(VENV)/.installed
	$(PY) fixtures/make_fixtures.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis *.egg-info
