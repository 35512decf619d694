# The two commands of the README: `make demo` and `make test`.
# Each creates or refreshes the virtual environment in .venv itself.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv demo test lint typecheck unit integration schemas lock kafka-start kafka-stop clean

# Installs the exact versions of requirements.lock (pyproject.toml keeps the ranges),
# then the project itself without resolving anything again.
$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

venv: $(STAMP)

## demo: local broker + worker + sample marketplace, alerts printed live (Ctrl-C stops).
demo: venv
	$(BIN)/listing-monitor demo

## test: ruff, mypy --strict, then pytest (unit + integration against a real broker).
test: lint typecheck
	$(BIN)/pytest

lint: venv
	$(BIN)/ruff check stream schemas tests

typecheck: venv
	$(BIN)/mypy stream schemas tests

unit: venv
	$(BIN)/pytest tests/unit

integration: venv
	$(BIN)/pytest tests/integration

## lock: re-resolve requirements.lock from pyproject.toml's ranges (then review the diff).
lock: venv
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --extra dev --strip-extras --allow-unsafe --no-emit-find-links \
		--output-file requirements.lock pyproject.toml

## schemas: regenerate schemas/json/ after changing a model.
schemas: venv
	$(BIN)/python -m schemas.generate

kafka-start: venv
	$(BIN)/listing-monitor kafka start

kafka-stop: venv
	$(BIN)/listing-monitor kafka stop

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache *.egg-info
