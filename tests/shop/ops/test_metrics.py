"""GET /metrics: Prometheus text with queue depths, jobs by handler, durations."""

from __future__ import annotations

import redis as redis_py
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from jobs import JobQueue
from tests.shop.support import run_worker


def samples(client: FlaskClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Scrape /metrics and index its samples by name and labels."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def test_metrics_count_depths_jobs_by_handler_and_their_durations(
    app: Flask, client: FlaskClient, redis: redis_py.Redis, prefix: str
) -> None:
    # Given one order whose jobs all ran, and one payment still waiting
    assert client.post("/orders", json={
        "email": "ada@example.com", "items": [{"sku": "BISCUITS", "quantity": 1}],
    }).status_code == 201
    run_worker(app)
    JobQueue(redis, prefix).dispatch("payments", "process_payment", {"order_id": 99})

    scraped = samples(client)

    assert scraped[("shop_queue_jobs", (("place", "waiting"), ("queue", "payments")))] == 1
    assert scraped[("shop_queue_jobs", (("place", "failed"), ("queue", "payments")))] == 0
    for handler in ("order_confirmation", "process_payment", "generate_report"):
        label = (("handler", handler),)
        assert scraped[("shop_jobs_processed_total", label)] == 1
        assert scraped[("shop_jobs_failed_total", label)] == 0
        assert scraped[("shop_job_duration_seconds_count", label)] == 1
        assert scraped[("shop_job_duration_seconds_bucket", (*label, ("le", "+Inf")))] == 1
        assert scraped[("shop_job_duration_seconds_sum", label)] >= 0
