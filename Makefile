# One entry point for people and CI.  Every target installs what it needs on a fresh machine:
# a virtual environment with the project's packages, the Kafka jars, local PostgreSQL and Kafka.
VENV ?= .venv
PY := $(VENV)/bin/python
SS := $(VENV)/bin/sessionstream

.PHONY: install up down status demo run test faults unit fuzz bench lint clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed

up: install
	$(SS) local up

down: install
	$(SS) local down

status: install
	$(SS) local status

# The system's main job on local defaults: the service with a scripted scenario, tables printed.
demo: up
	$(SS) demo

# The service alone, until Ctrl+C.
run: up
	SESSIONSTREAM_API_TOKENS=$${SESSIONSTREAM_API_TOKENS:-dev-write:write,dev-read:read} $(SS) run

# The static checks first (ruff's lints and formatting, the import contracts, mypy: see lint below), then
# unit, integration and e2e tests against the real local services.  pytest exits 5 when it
# collects nothing: that is a failure here too, because this suite is never empty.
test: up
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	eval "$$($(SS) local env)" && $(PY) -m pytest -q

# The service under faults: broker and PostgreSQL outages, killed processes, two instances, SIGTERM.
# They stop and start this checkout's local services, so they run alone, after the tests.
faults: up
	eval "$$($(SS) local env)" && $(PY) -m pytest -q -m faults -p no:cacheprovider

unit: install
	$(PY) -m pytest -q tests/unit

# Schemathesis over the whole OpenAPI document with many examples per operation (make test runs a few):
# zero server errors, every answer as documented, every worker up at the end.  FUZZ_EXAMPLES=N to change.
fuzz: up
	eval "$$($(SS) local env)" && $(PY) -m pytest -q -s tests/e2e/test_fuzz.py --fuzz-examples $${FUZZ_EXAMPLES:-300}

# Static checks: ruff's lints and formatting, the import contracts, and mypy on the modules listed under
# [tool.mypy] in pyproject.toml.  ``make test`` runs all of them first.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

bench: up
	$(SS) bench --json bench-results.json

clean: down
	rm -rf $(VENV)
