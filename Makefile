# Broadsheet: `make run` to serve it, `make test` to test it. Both set everything up first.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export BROADSHEET_HOME ?= $(CURDIR)/var
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: setup run test test-fast test-deps test-sqlite test-postgres lint screenshots clean

$(BIN)/broadsheet: pyproject.toml
	./scripts/bootstrap-python.sh $(PYTHON)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

setup: $(BIN)/broadsheet

run: setup
	$(BIN)/broadsheet run

lint: setup
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/mypy

# The inner loop: no database, no browser, no extra processes (see README, "Tests"). Compiled
# modules are kept between runs even where the environment turns bytecode off: rewriting and
# compiling the test modules is otherwise a quarter of a run.
test-fast: setup
	env -u PYTHONDONTWRITEBYTECODE BROADSHEET_HOME=$(CURDIR)/var/test-fast DATABASE_URL= \
		$(BIN)/pytest -m "not slow and not database"

test: setup test-deps lint test-sqlite test-postgres

test-deps: setup
	./scripts/test-deps.sh
	./scripts/ensure-redis.sh

test-sqlite: setup
	BROADSHEET_HOME=$(CURDIR)/var/test-sqlite DATABASE_URL= $(BIN)/pytest

test-postgres: setup
	@if $(BIN)/python -m broadsheet.config.probe "$(PG_TEST_URL)"; then \
		BROADSHEET_HOME=$(CURDIR)/var/test-postgres DATABASE_URL="$(PG_TEST_URL)" $(BIN)/pytest; \
	elif [ "$$CI" = "true" ]; then \
		echo "PostgreSQL at $(PG_TEST_URL) is unreachable: under CI=true that is a failure."; exit 1; \
	else \
		echo "PostgreSQL at $(PG_TEST_URL) is unreachable: skipping the PostgreSQL run (not under CI)."; \
	fi

screenshots: setup test-deps
	$(BIN)/python scripts/screenshots.py

clean:
	rm -rf $(VENV) var
