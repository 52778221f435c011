"""The workers as the dashboard shows them: heartbeat age, what each holds, its queues."""

from __future__ import annotations

from dataclasses import dataclass

from redis import Redis

from jobs import WAKE_UP, Keys
from shop.queue_entries import Entry, parse_entry

LIST_LIMIT = 1000


@dataclass(frozen=True)
class WorkerInfo:
    """A registered worker: id, heartbeat age, what it holds, the queues it serves."""

    id: str
    heartbeat_age_seconds: float
    holding: list[Entry]
    queues: list[str] | None  # None: the worker does not record them (see README)

    @property
    def current_job(self) -> Entry | None:
        """The job it runs now: the first of its processing list."""
        return self.holding[0] if self.holding else None


def read_workers(
    redis: Redis, keys: Keys, registry: list[tuple[str, float]], now: float
) -> list[WorkerInfo]:
    """Read what each registered worker holds and the queues it serves (one round trip)."""
    if not registry:
        return []
    with redis.pipeline(transaction=False) as pipe:
        for worker_id, _ in registry:
            pipe.lrange(keys.processing(worker_id), 0, LIST_LIMIT - 1)
            pipe.hget(keys.worker(worker_id), "queues")
        replies = pipe.execute()
    return [
        WorkerInfo(
            worker_id, max(0.0, now - float(beat)),
            [parse_entry(raw) for raw in holding if raw != WAKE_UP],
            queues.split(",") if queues else None,
        )
        for (worker_id, beat), holding, queues in zip(
            registry, replies[0::2], replies[1::2], strict=True
        )
    ]
