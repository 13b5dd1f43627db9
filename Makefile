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

# the reports benchmark's province: 1M sale lines unless set (the issue's 10M: BENCH_REPORT_LINES=10000000 make bench)
BENCH_REPORT_LINES ?= 1000000

bench: install
	LOG_LEVEL=WARNING BENCH_REPORT_LINES=$(BENCH_REPORT_LINES) $(BIN)/python -m benchmarks.run

lint: install
	$(BIN)/ruff check backbone services deploy tests benchmarks
	$(BIN)/ruff format --check backbone services deploy tests benchmarks
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) var .pytest_cache
