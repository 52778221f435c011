"""The commands the pages tell a reader to run that tests/docs/test_live_commands.py runs,
as written, against a shop it starts. One list, so test_commands.py can check that every
command of the pages is run by a test."""

from __future__ import annotations

# The address the pages use; the test gives its shop a free port and swaps it in.
BASE_URL = "http://127.0.0.1:5000"
# The public ids of orders 1 and 2 as the pages show them. A shop draws them at random, so
# the test swaps its own in where a command names one, and the pages' back into what the
# commands print.
PUBLIC_IDS = {1: "5c0a9e3b7d21f486", 2: "e2b74d09a1c3f865"}

INIT_DB = "flask --app shop init-db"
WEB = "flask --app shop run"
WORKER = "python worker.py"
WORKER_EMAILS = "python worker.py --queue emails"
WORKER_BURST = "python worker.py --burst"
RELAY = "flask --app shop relay"
PRODUCTS = f"curl -s -H 'Accept: application/json' {BASE_URL}/products"
PLACE_ORDER = (
    f"curl -s -H 'Content-Type: application/json' {BASE_URL}/orders "
    """-d '{"email": "ada@example.com", "items": [{"sku": "TEA-SENCHA", "quantity": 2}]}'"""
)
SHOW_ORDER = f"curl -s -H 'Accept: application/json' {BASE_URL}/orders/1"
METRICS = f"curl -s {BASE_URL}/metrics"
HEALTHZ = f"curl -s {BASE_URL}/healthz"
FAILED = "flask --app shop jobs failed"
SHOW_FAILED = f"flask --app shop jobs show order-{PUBLIC_IDS[2]}-process_payment"
RETRY = f"flask --app shop jobs retry order-{PUBLIC_IDS[2]}-process_payment"
RETRY_ALL = "flask --app shop jobs retry --all --handler process_payment"
DELETE = f"flask --app shop jobs delete order-{PUBLIC_IDS[2]}-process_payment"
PURGE = "flask --app shop jobs purge --yes"
PYTEST_ONE_FILE = ".venv/bin/pytest tests/jobs/test_backoff.py"

LIVE: tuple[str, ...] = (
    INIT_DB, WEB, WORKER, WORKER_EMAILS, WORKER_BURST, RELAY, PRODUCTS, PLACE_ORDER,
    SHOW_ORDER, METRICS, HEALTHZ, FAILED, SHOW_FAILED, RETRY, RETRY_ALL, DELETE, PURGE,
    PYTEST_ONE_FILE,
)
