# plexms: `make run` (demo clinic) and `make test` (everything CI checks) on a fresh machine.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.9.30
LOCK := requirements/dev.lock
STAMP := $(VENV)/.installed-$(shell cksum $(LOCK) pyproject.toml | cksum | cut -d' ' -f1)
CHROMIUM ?= /usr/bin/chromium
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: install run test lint typecheck unit bench fuzz audit browser clean lock clock-check

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(STAMP): $(LOCK) pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --disable-pip-version-check "uv==$(UV_VERSION)"
	@# bytecode compiled once here: the suite starts dozens of Python processes (pytest and its
	@# workers three times, servers, CLI runs), and with PYTHONDONTWRITEBYTECODE set each one
	@# would compile every imported module again
	$(BIN)/uv pip sync -q --compile-bytecode --python $(BIN)/python $(LOCK)
	@# python -m venv seeds an old setuptools that no lock pins: nothing outside the lock
	$(BIN)/uv pip uninstall -q --python $(BIN)/python setuptools
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

lock: | $(BIN)/python  ## re-resolve the pinned dependencies
	$(BIN)/python -m pip install -q "uv==$(UV_VERSION)"
	$(BIN)/uv pip compile -q pyproject.toml --extra dev --python-version 3.11 -o $(LOCK)
	$(BIN)/uv pip compile -q pyproject.toml --python-version 3.11 -o requirements/run.lock

run: install
	$(BIN)/python -m plexms.devrun --host $(HOST) --port $(PORT)

browser:  ## Debian's chromium for the browser tests (never a downloaded browser)
	@test -x $(CHROMIUM) || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@# WeasyPrint's font subsetting (chromium depends on it too; checked for a pre-installed chromium)
	@/sbin/ldconfig -p | grep -q libharfbuzz-subset || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libharfbuzz-subset0 >/dev/null; }

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

unit: install
	$(BIN)/pytest -q -p no:cacheprovider $(PYTEST_ARGS)

# The project's own modules and the tests pytest rewrites are cached in their __pycache__
# (ignored by git) even where the environment sets PYTHONDONTWRITEBYTECODE: a run starts
# dozens of Python processes, each of which would compile them again.
test unit fuzz clock-check: export PYTHONDONTWRITEBYTECODE :=

test: install browser lint typecheck
	$(BIN)/pytest -q -p no:cacheprovider -n 2 --dist loadgroup --junitxml=var/junit.xml \
	  --cov --cov-report=term:skip-covered --cov-report=json:var/coverage.json $(PYTEST_ARGS)
	$(BIN)/python tests/coverage_gate.py var/coverage.json
	$(MAKE) --no-print-directory clock-check

# The suite holds on any date: the time-sensitive tests again with the wall clock moved
# (400 days on; across the US spring-forward at 10:00 UTC), each outcome compared with the
# normal run's var/junit.xml (tests/clock_check.py). Needs faketime (Debian's package).
# tests/core is not among them: the domain and its tests read no clock (dates are arguments),
# which tests/test_architecture.py::test_core_and_its_tests_read_no_clock checks.
CLOCK_TESTS ?= tests/services tests/api
clock-check: install
	@command -v faketime >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime >/dev/null; }
	faketime -f +400d $(BIN)/pytest -q -p no:cacheprovider -n 2 --dist loadgroup \
	  --junitxml=var/junit-400d.xml $(CLOCK_TESTS)
	faketime -f '@2027-03-14 09:59:00' $(BIN)/pytest -q -p no:cacheprovider -n 2 --dist loadgroup \
	  --junitxml=var/junit-dst.xml $(CLOCK_TESTS)
	$(BIN)/python tests/clock_check.py var/junit.xml var/junit-400d.xml var/junit-dst.xml

# Registry size for make bench: the issue's 100,000 patients (the figures carry n_patients),
# and 1,000,000 for the national-scale dashboard (bench/registry_1m.py, issue 19).
BENCH_REGISTRY_N ?= 100000
BENCH_REGISTRY_1M_N ?= 1000000
bench: install
	PLEXMS_BENCH_REGISTRY_N=$(BENCH_REGISTRY_N) PLEXMS_BENCH_REGISTRY_1M_N=$(BENCH_REGISTRY_1M_N) \
	  $(BIN)/python -m bench

fuzz: install  ## long forms: >= 1,000 fuzz cases per API operation, 1,000 crash kills, ...
	PLEXMS_FUZZ=long $(BIN)/pytest -q -p no:cacheprovider -m "fuzz or slow" $(PYTEST_ARGS)

# Known vulnerabilities in the locked dependencies. Needs PyPI's JSON API (or osv.dev with
# AUDIT_ARGS="--vulnerability-service osv"); --strict fails when a package cannot be looked up.
AUDIT_ARGS ?=
audit: install
	$(BIN)/pip-audit --strict --no-deps --disable-pip --progress-spinner off \
	  --requirement $(LOCK) $(AUDIT_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
