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
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -n auto --maxprocesses=4

# The route bench's reference solver (elkai = LKH) lives in its own venv, so that the app's own
# venv holds what users install (its start-up is timed as they run it).
BENCH_VENV ?= .venv-bench

$(BENCH_VENV)/.installed: pyproject.toml
	python3 -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install -q --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install -q -e '.[bench]'
	touch $@

bench: $(VENV)/.installed $(BENCH_VENV)/.installed
	$(BENCH_VENV)/bin/python bench/route_bench.py
	$(PY) bench/startup_bench.py
	$(PY) bench/changes_bench.py

layouts: $(VENV)/.installed
	$(PY) layouts/make_layouts.py

fixtures: $(VENV)/.installed
	$(PY) fixtures/make_fixtures.py

clean:
	rm -rf $(VENV) $(BENCH_VENV) .pytest_cache .ruff_cache .hypothesis *.egg-info
