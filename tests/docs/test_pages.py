"""What every page must be: the README short, no issue numbers, every setting documented,
and supervisor's stop timeout above the worker's own."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

import pytest

from shop.config import DEFAULTS, ENVIRONMENT
from tests.docs.pages import ROOT, name, pages

README_MAX_LINES = 150
# "issue 6", "issues 3 and 4", "#12", "GH-7": how trackers number things, in any page.
ISSUE_NUMBER = re.compile(r"\bissues?\s+#?\d+|(?<![\w&/#])#\d+\b|\bGH-\d+", re.IGNORECASE)
# Settings read outside shop/config.py's ENVIRONMENT: the instance folder (shop/config.py's
# instance_path), and the port and the number of workers of `make run` (run.py).
OTHER_SETTINGS = ("SHOP_INSTANCE_PATH", "PORT", "WORKERS")


def test_the_readme_is_at_most_150_lines() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines"


@pytest.mark.parametrize("page", pages(), ids=name)
def test_no_page_names_an_issue_number(page: Path) -> None:
    found = ISSUE_NUMBER.findall(page.read_text(encoding="utf-8"))
    assert not found, f"{name(page)} names issue numbers: {found}"


def test_the_issue_pattern_finds_issue_numbers_and_nothing_else() -> None:
    assert ISSUE_NUMBER.findall("see issue 6, #12 and GH-7") == ["issue 6", "#12", "GH-7"]
    assert not ISSUE_NUMBER.findall("[a](guarantees.md#a-worker-dies) &#160; 3 issues")


def test_no_page_has_a_table_of_targets_met_or_missed() -> None:
    for page in pages():
        headers = [line for line in page.read_text(encoding="utf-8").splitlines()
                   if line.startswith("|") and re.search(r"\|\s*(target|met)\s*\|", line)]
        assert not headers, f"{name(page)} has a table of targets: {headers}"


def test_configuration_names_every_setting_with_its_default() -> None:
    # Given the settings the processes read from the environment
    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")

    # Then the configuration page has a row for each, naming it in its first column
    rows = [line for line in page.splitlines() if line.startswith("| `")]
    documented = {name for row in rows for name in re.findall(r"`([A-Z_]+)`", row.split("|")[1])}
    missing = (set(ENVIRONMENT) | set(OTHER_SETTINGS)) - documented
    assert not missing, f"docs/configuration.md has no row for {sorted(missing)}"

    # And each default it gives for a queue setting is the code's
    for setting in ("JOBS_MAX_ATTEMPTS", "JOBS_RETRY_BASE", "JOBS_JOB_TIMEOUT",
                    "JOBS_SHUTDOWN_TIMEOUT", "JOBS_RECOVERY_TIMEOUT", "JOBS_PREFIX"):
        row = next(row for row in rows if f"`{setting}`" in row.split("|")[1])
        default = row.split("|")[2].strip().strip("`")
        assert default == f"{DEFAULTS[setting]:g}" if not isinstance(DEFAULTS[setting], str) \
            else default == DEFAULTS[setting], (setting, default, DEFAULTS[setting])


def test_supervisor_waits_longer_than_a_stopping_worker() -> None:
    # Given the supervisor program of the workers
    config = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=(";",))
    config.read(ROOT / "deploy" / "supervisor" / "worker.conf")
    worker = config["program:shop-worker"]

    # When it stops them, it waits stopwaitsecs before SIGKILL
    stop_wait_seconds = float(worker["stopwaitsecs"])
    environment = dict(re.findall(r'(\w+)="([^"]*)"', worker["environment"]))
    shutdown_seconds = float(
        environment.get("JOBS_SHUTDOWN_TIMEOUT", DEFAULTS["JOBS_SHUTDOWN_TIMEOUT"])
    )

    # Then a worker has its whole shutdown timeout, and time to give its job back, first
    assert worker["stopsignal"] == "TERM"
    assert stop_wait_seconds > shutdown_seconds, (stop_wait_seconds, shutdown_seconds)
