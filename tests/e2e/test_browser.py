"""The demo in a real browser: check out by clicking, watch the jobs, fail one, retry it.

Chromium (Debian's, headless) drives the web app and two workers running as processes;
each step waits on what the page shows (Playwright's expect() retries until its deadline),
never on a sleep. The screenshots it takes are the README's, in docs/screenshots/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.browser import browser_context, save_screenshot
from tests.e2e.support import Http, Shop

JOB_TYPES = ("order_confirmation", "process_payment", "generate_report")
JOBS_SECONDS = 30_000  # Playwright counts in milliseconds


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: the browser shows the same pages whatever the database."""
    return f"sqlite:///{tmp_path / 'shop.db'}"


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[BrowserContext]:
    """A headless chromium with a fresh profile."""
    yield from browser_context(tmp_path / "chromium-profile")


@pytest.fixture
def running_shop(shop: Shop) -> Http:
    """The web app and two workers; payments take 0.4 s, a job gets two attempts."""
    shop.env |= {"SHOP_DEMO": "1", "SHOP_PAYMENT_LATENCY": "0.4", "JOBS_MAX_ATTEMPTS": "2"}
    http = shop.start_web()
    shop.start_worker("worker.1")
    shop.start_worker("worker.2")
    return http


def check_out(page: Page, base_url: str, email: str) -> None:
    """Fill in the checkout form and click "Place order"; land on the order's page."""
    page.goto(base_url + "/")
    page.get_by_label("Sencha green tea, 100 g").fill("2")
    page.get_by_label("Shortbread biscuits").fill("1")
    page.get_by_label("Email for the confirmation").fill(email)
    page.get_by_role("button", name="Place order", exact=True).click()
    expect(page).to_have_url(re.compile(r"/orders/\d+$"))


def set_payments(page: Page, latency_seconds: str, failure_percent: str) -> None:
    """Change the gateway's settings in the demo panel of the current page."""
    page.get_by_label("Latency (seconds)").fill(latency_seconds)
    page.get_by_label("Declined (% of charges)").fill(failure_percent)
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("status").filter(has_text="Payments now take")).to_be_visible()


def job_state(page: Page, job_type: str) -> object:
    """The state pill of one job in the order page's table."""
    return page.locator(f'tr[data-job="{job_type}"]').get_by_test_id("job-state")


def test_an_order_placed_by_clicking_shows_its_jobs_succeed_without_a_reload(
    running_shop: Http, browser: BrowserContext
) -> None:
    page = browser.new_page()
    # Given the checkout page, filled in
    page.goto(running_shop.base_url + "/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.get_by_label("Sencha green tea, 100 g").fill("2")
    page.get_by_label("Email for the confirmation").fill("ada@example.com")
    save_screenshot(page, "checkout")

    # When the customer clicks "Place order"
    page.get_by_role("button", name="Place order", exact=True).click()
    expect(page).to_have_url(re.compile(r"/orders/\d+$"))
    page.evaluate("window.notReloaded = true")  # gone if the page reloads

    # Then every job reaches "succeeded" on this same page, which then says "paid"
    for job_type in JOB_TYPES:
        expect(job_state(page, job_type)).to_have_text("succeeded", timeout=JOBS_SECONDS)
    expect(page.get_by_test_id("order-status")).to_have_text("paid")
    assert page.evaluate("window.notReloaded") is True
    # And the timeline shows the request, answered, and an attempt bar for each job
    expect(page.locator('[data-row="POST /orders"]')).to_contain_text("answered in")
    for job_type in JOB_TYPES:
        expect(page.locator(f'[data-row="{job_type}"] .tl-succeeded')).to_have_count(1)
    save_screenshot(page, "order-timeline")


def test_a_failed_payment_is_retried_from_the_dashboard_by_clicking(
    running_shop: Http, browser: BrowserContext
) -> None:
    page = browser.new_page()
    # Given every payment is declined
    page.goto(running_shop.base_url + "/")
    set_payments(page, "0.2", "100")

    # When an order is placed, its payment fails twice and goes to the failed list
    check_out(page, running_shop.base_url, "grace@example.com")
    order_url = page.url
    expect(page.get_by_test_id("order-status")).to_have_text("payment failed",
                                                            timeout=JOBS_SECONDS)
    expect(page.locator('[data-row="process_payment"] .tl-failed')).to_have_count(2)
    expect(page.locator('[data-row="process_payment"] .tl-backoff')).to_have_count(1)
    order_id = order_url.rsplit("/", 1)[1]
    public_id = running_shop.get(f"/orders/{order_id}")["public_id"]
    job_id = f"order-{public_id}-process_payment"

    # Then the dashboard lists it with its error, attempts and data
    page.get_by_role("link", name="Queue dashboard").click()
    failed_row = page.locator(f'tr[data-failed="{job_id}"]')
    expect(failed_row).to_contain_text("PaymentDeclined")
    expect(failed_row).to_contain_text(f'"order_id": {order_id}')
    save_screenshot(page, "dashboard")

    # When payments work again and the job is retried by clicking
    set_payments(page, "0.2", "0")
    page.get_by_role("button", name=f"Retry {job_id}").click()
    expect(page.get_by_role("status").filter(has_text=f"Queued {job_id} again")).to_be_visible()

    # Then it leaves the failed list, and the order is paid
    expect(page.locator(f'tr[data-failed="{job_id}"]')).to_have_count(0)
    page.goto(order_url)
    expect(job_state(page, "process_payment")).to_have_text("succeeded", timeout=JOBS_SECONDS)
    expect(page.get_by_test_id("order-status")).to_have_text("paid")
    # And its timeline shows both failed attempts, the backoff, the wait in the failed list
    expect(page.locator('[data-row="process_payment"] .tl-failed-list')).to_have_count(1)
    expect(page.locator('[data-row="process_payment"] .tl-succeeded')).to_have_count(1)
    save_screenshot(page, "order-retried")


@pytest.fixture
def slow_shop(shop: Shop) -> Http:
    """The web app and two workers; payments take 2 s; a dead worker is noticed in 1.5 s."""
    shop.env |= {"SHOP_DEMO": "1", "SHOP_PAYMENT_LATENCY": "2", "JOBS_RECOVERY_TIMEOUT": "1.5"}
    http = shop.start_web()
    shop.start_worker("worker.1")
    shop.start_worker("worker.2")
    return http


def test_the_fault_panel_kills_a_worker_mid_job_and_the_job_still_succeeds(
    slow_shop: Http, browser: BrowserContext
) -> None:
    page = browser.new_page()
    # Given a payment running in a worker
    check_out(page, slow_shop.base_url, "alan@example.com")
    expect(job_state(page, "process_payment")).to_have_text("running", timeout=JOBS_SECONDS)

    # When that worker is killed from the fault panel
    page.get_by_role("button", name="Kill a worker mid-job").click()
    expect(page.get_by_role("status").filter(has_text="Killed worker")).to_be_visible()

    # Then the other worker runs the payment again, and every job is in exactly one place
    expect(job_state(page, "process_payment")).to_have_text("succeeded", timeout=JOBS_SECONDS)
    expect(page.get_by_test_id("order-status")).to_have_text("paid")
    expect(page.locator(".invariant")).to_contain_text("Every job is in exactly one place")

    # When a malformed message is pushed and the shop's Redis connections are dropped
    page.get_by_role("button", name="Push a malformed message").click()
    expect(page.get_by_role("status").filter(has_text="Pushed")).to_be_visible()
    page.get_by_role("button", name="Drop Redis connections").click()
    expect(page.get_by_role("status").filter(has_text="Redis closed")).to_be_visible()

    # Then the malformed message is in the failed list, as it came, and orders still go through
    page.get_by_role("link", name="Queue dashboard").click()
    expect(page.locator('tr[data-failed=""]')).to_contain_text("not a job",
                                                               timeout=JOBS_SECONDS)
    check_out(page, slow_shop.base_url, "alan@example.com")
    expect(page.get_by_test_id("order-status")).to_have_text("paid", timeout=JOBS_SECONDS)
