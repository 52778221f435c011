"""The lesson's calls, written as the lesson writes them, each working here.

These use the lesson's own key prefix, `queue:`, in a database index of their own.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from redis import Redis

from jobs import JobQueue, QueueClient, Worker
from tests.jobs.support import list_ids

LESSON_DB = 7  # a database index no other test uses: these keys are the lesson's own


@pytest.fixture(params=["bytes replies", "decode_responses=True"])
def r(request: pytest.FixtureRequest, redis_url: str) -> Iterator[Redis]:
    """The application's ordinary redis-py client, of either kind, on the lesson's database."""
    client = Redis.from_url(redis_url, db=LESSON_DB,
                            decode_responses=request.param != "bytes replies")
    try:
        yield client
    finally:
        if keys := list(client.scan_iter(match="queue:*", count=1000)):
            client.delete(*keys)
        client.close()


class SendEmailHandler:
    """The lesson's JobHandler: handle(payload), here remembering what it sent."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def handle(self, payload: dict[str, Any]) -> None:
        self.sent.append(payload)


def test_push_then_pop_gives_back_the_data_in_the_lessons_envelope(r: Redis) -> None:
    queue = QueueClient(r)

    queue.push("emails", {"to": "a@b.c"})
    job = queue.pop("emails", 5)

    assert job is not None
    assert job["payload"] == {"to": "a@b.c"}
    assert isinstance(job["id"], str) and isinstance(job["created_at"], float)


def test_pop_returns_none_after_its_timeout_on_an_empty_queue(r: Redis) -> None:
    assert QueueClient(r).pop("emails", 0.1) is None


def test_llen_of_queue_name_counts_the_jobs_waiting(r: Redis) -> None:
    queue = JobQueue(r)
    for order_id in (1, 2):
        queue.dispatch("emails", "order_confirmation", {"order_id": order_id})

    assert r.llen("queue:emails") == 2


def test_the_request_handlers_push_is_run_by_a_worker_by_its_type(r: Redis) -> None:
    # Given the lesson's request handler pushing a job whose payload names its type
    QueueClient(r).push("emails", {"type": "order_confirmation", "user_id": 7, "order_id": 42})

    # When a worker with the lesson's handler names runs the queue
    confirmation = SendEmailHandler()
    Worker(r, {"order_confirmation": confirmation}).run("emails", burst=True)

    # Then the handler was given the payload
    assert confirmation.sent == [{"type": "order_confirmation", "user_id": 7, "order_id": 42}]


def test_the_lessons_usage_dispatches_and_runs_a_job(
    r: Redis, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="jobs.worker")
    # $queue = new JobQueue($redis); $queue->dispatch('default', SendEmailHandler::class, [...]);
    queue = JobQueue(r)
    job_id = queue.dispatch("default", "SendEmailHandler", {
        "email": "user@example.com", "subject": "Welcome!", "body": "Thanks for signing up.",
    })

    # $worker = new JobWorker($redis, [SendEmailHandler::class => new SendEmailHandler()]);
    handler = SendEmailHandler()
    counts = Worker(r, {"SendEmailHandler": handler}).run(burst=True)

    assert handler.sent == [
        {"email": "user@example.com", "subject": "Welcome!", "body": "Thanks for signing up."}
    ]
    assert counts["processed"] == 1
    assert f"[OK] Job {job_id} processed" in caplog.text


def test_the_contracts_names_keep_working(r: Redis) -> None:
    queue = JobQueue(r, prefix="queue:")
    queue.dispatch("emails", "SendEmailHandler", {"email": "a@b.c"}, delay=0)

    handler = SendEmailHandler()
    worker = Worker(r, {"SendEmailHandler": handler}, max_attempts=3, retry_base=60.0,
                    prefix="queue:")
    counts = worker.run("emails", burst=True)

    assert (handler.sent, counts["processed"]) == ([{"email": "a@b.c"}], 1)


def test_migrate_delayed_with_no_argument_moves_every_due_job_to_its_own_queue(
    r: Redis,
) -> None:
    # Given due jobs of two queues, each in its queue's delayed set
    queue = JobQueue(r)
    email = queue.dispatch("emails", "SendEmailHandler", {}, delay=0.01)
    report = queue.dispatch("reports", "GenerateReport", {}, delay=0.01)
    for delayed in ("queue:delayed:emails", "queue:delayed:reports"):
        r.zadd(delayed, {member: 0 for member in r.zrange(delayed, 0, -1)})

    # When migrate_delayed is called as the lesson calls it
    moved = queue.migrate_delayed()

    # Then each job waits on its own queue (the lesson's bug sent them all to default)
    assert moved == 2
    assert [state.queue for state in queue.states([("emails", email), ("reports", report)])
            if state] == [
        "emails", "reports"
    ]
    assert list_ids(queue.redis, "queue:emails") == [email]
    assert list_ids(queue.redis, "queue:reports") == [report]
    assert r.llen("queue:default") == 0
    assert r.zcard("queue:delayed:emails") + r.zcard("queue:delayed:reports") == 0
