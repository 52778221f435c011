"""The queue dashboard: what it shows, its actions, and who may use it."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
import redis as redis_py
from flask import Flask
from flask.testing import FlaskClient

from jobs import JobQueue, Worker
from shop import create_app
from tests.shop.support import csrf_token, post_form


@pytest.fixture
def failed_job(redis: redis_py.Redis, prefix: str) -> str:
    """A job in the failed list (its handler is unknown)."""
    job_id = JobQueue(redis, prefix).dispatch("payments", "no_such_handler", {"order_id": 5})
    Worker(redis, {}, prefix=prefix).run(["payments"], burst=True)
    return job_id


def test_the_dashboard_shows_the_queues_and_the_failed_job(
    client: FlaskClient, failed_job: str
) -> None:
    page = client.get("/dashboard")

    assert page.status_code == 200
    for text in ("payments", "emails", "reports", failed_job, "Unknown handler",
                 "{&#34;order_id&#34;: 5}", f'aria-label="Retry {failed_job}"'):
        assert text in page.text, text
    live = client.get("/dashboard/live")
    assert live.json is not None and failed_job in live.json["html"]


def test_a_failed_job_is_retried_and_another_deleted_from_the_dashboard(
    client: FlaskClient, failed_job: str, redis: redis_py.Redis, prefix: str
) -> None:
    queue = JobQueue(redis, prefix)
    response = post_form(client, f"/dashboard/failed/{failed_job}/retry", {})

    assert response.status_code == 303
    assert queue.failed() == []
    [state] = queue.states([("payments", failed_job)])
    assert state is not None and state.state == "queued"
    Worker(redis, {}, prefix=prefix).run(["payments"], burst=True)  # fails again
    assert post_form(client, f"/dashboard/failed/{failed_job}/delete", {}).status_code == 303
    assert queue.failed() == []
    assert "no longer in the failed list" in client.get(
        client.post(f"/dashboard/failed/{failed_job}/delete",
                    data={"csrf_token": csrf_token(client)}).headers["Location"]
    ).text


def test_retry_all_and_delete_all(
    client: FlaskClient, failed_job: str, redis: redis_py.Redis, prefix: str
) -> None:
    post_form(client, "/dashboard/failed/retry-all", {})
    assert JobQueue(redis, prefix).failed() == []
    Worker(redis, {}, prefix=prefix).run(["payments"], burst=True)

    post_form(client, "/dashboard/failed/delete-all", {})

    assert JobQueue(redis, prefix).failed() == []


def test_an_action_without_its_csrf_token_is_refused(
    client: FlaskClient, failed_job: str, redis: redis_py.Redis, prefix: str
) -> None:
    response = client.post(f"/dashboard/failed/{failed_job}/delete")

    assert response.status_code == 400
    assert len(JobQueue(redis, prefix).failed()) == 1


def dashboard_requests(app: Flask) -> list[tuple[str, str]]:
    """(method, path) of every dashboard page and action."""
    requests = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("ops.dashboard."):
            path = rule.rule.replace("<job_id>", "order-1-process_payment")
            requests += [(method, path) for method in sorted(rule.methods or ())
                         if method in ("GET", "POST")]
    return requests


@pytest.fixture
def production(app: Flask) -> Iterator[Flask]:
    """The same app under the production setting, with a dashboard token."""
    built = create_app(app.config | {"SHOP_DEMO": False, "SHOP_DASHBOARD_TOKEN": "s3cret"})
    yield built
    built.extensions["redis"].close()
    built.extensions["app_redis"].close()
    built.extensions["db"].engine.dispose()


def test_in_production_without_a_token_every_dashboard_page_and_action_is_refused(
    production: Flask, failed_job: str, redis: redis_py.Redis, prefix: str
) -> None:
    client = production.test_client()
    requests = dashboard_requests(production)
    assert len(requests) == 6  # the page, its live part, four actions

    for method, path in requests:
        response = client.open(path, method=method, data={"csrf_token": csrf_token(client)})
        assert response.status_code == 401, (method, path)
        assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert len(JobQueue(redis, prefix).failed()) == 1  # no action ran


def test_in_production_no_configured_token_means_no_dashboard(production: Flask) -> None:
    production.config["SHOP_DASHBOARD_TOKEN"] = None
    client = production.test_client()
    bearer = {"Authorization": "Bearer anything"}

    for method, path in dashboard_requests(production):
        response = client.open(path, method=method, headers=bearer,
                               data={"csrf_token": csrf_token(client)})
        assert response.status_code == 403, path


@pytest.mark.parametrize(("header", "status"), [
    ("Bearer s3cret", 200),
    ("Basic " + base64.b64encode(b"ops:s3cret").decode(), 200),
    ("Bearer wrong", 401),
    ("Basic " + base64.b64encode(b"ops:wrong").decode(), 401),
])
def test_in_production_the_token_opens_the_dashboard(
    production: Flask, header: str, status: int
) -> None:
    response = production.test_client().get("/dashboard", headers={"Authorization": header})

    assert response.status_code == status
