# The two commands: `make run` (the whole network on this machine) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install run test unit integration e2e faults fuzz lint bench clean

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=python3.x)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/python -m deploy.local

test: install
	$(BIN)/pytest

unit: install
	$(BIN)/pytest tests/unit

integration: install
	$(BIN)/pytest tests/integration

e2e: install
	$(BIN)/pytest tests/e2e

faults: install
	$(BIN)/pytest tests/faults

fuzz: install
	$(BIN)/pytest tests/fuzz

bench: install
	LOG_LEVEL=WARNING $(BIN)/python -m benchmarks.run

lint: install
	$(BIN)/ruff check backbone services deploy tests benchmarks
	$(BIN)/ruff format --check backbone services deploy tests benchmarks
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) var .pytest_cache
