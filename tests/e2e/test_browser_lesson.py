"""The lesson's worker in a real browser: started from the fault panel, killed mid-job, its job
lost, and the invariant panel naming it. (The reliable worker's side of the same kill is
tests/e2e/test_browser.py's fault panel test.) Its screenshot is the workshop's."""

from __future__ import annotations

import contextlib
import os
import re
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.e2e.browser import browser_context, save_screenshot
from tests.e2e.support import Http, Shop
from tests.e2e.test_browser import JOBS_SECONDS, check_out, job_state


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: the browser shows the same pages whatever the database."""
    return f"sqlite:///{tmp_path / 'shop.db'}"


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[BrowserContext]:
    yield from browser_context(tmp_path / "chromium-profile")


@pytest.fixture
def lesson_pids() -> Iterator[list[int]]:
    """The pids of the lesson's workers the page started: killed after the test if alive."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def test_the_lessons_worker_killed_mid_job_loses_the_job_and_the_invariant_names_it(
    shop: Shop, browser: BrowserContext, lesson_pids: list[int]
) -> None:
    # Given the web app alone, payments taking 3 s, and the lesson's worker started from
    # the fault panel
    shop.env |= {"SHOP_DEMO": "1", "SHOP_PAYMENT_LATENCY": "3", "JOBS_RECOVERY_TIMEOUT": "1"}
    http: Http = shop.start_web()
    page = browser.new_page()
    page.goto(http.base_url + "/")
    page.get_by_role("button", name="Start the lesson's worker").click()
    started = page.get_by_role("status").filter(has_text="Started the lesson's worker")
    expect(started).to_be_visible()
    match = re.search(r"pid (\d+)", started.inner_text())
    assert match is not None
    lesson_pids.append(int(match.group(1)))

    # When an order's payment runs in it, and it is killed from the fault panel
    check_out(page, http.base_url, "ada@example.com")
    order_id = page.url.rsplit("/", 1)[1]
    expect(job_state(page, "process_payment")).to_have_text("running", timeout=JOBS_SECONDS)
    page.get_by_role("button", name="Kill the lesson's worker mid-job").click()
    expect(page.get_by_role("status").filter(has_text="Killed the lesson's worker")).to_be_visible()

    # Then the invariant names the payment as in no place
    public_id = http.get(f"/orders/{order_id}")["public_id"]
    lost = f"order-{public_id}-process_payment: nowhere"
    expect(page.locator(".invariant")).to_contain_text(lost, timeout=JOBS_SECONDS)
    save_screenshot(page, "lesson-worker-lost-job")

    # And a reliable worker started after it runs the other jobs, but never the payment
    shop.start_worker("worker")
    for job_type in ("order_confirmation", "generate_report"):
        expect(job_state(page, job_type)).to_have_text("succeeded", timeout=JOBS_SECONDS)
    expect(job_state(page, "process_payment")).to_have_text("running")
    expect(page.locator(".invariant")).to_contain_text(lost)
