"""GET /metrics for Prometheus: queue depths, jobs finished by handler, job durations.

Every value is read from Redis at scrape time by a custom collector (no counters live in
the web process, which may be one of several gunicorn workers): depths from a queue
snapshot (JobQueue.snapshot); totals and the duration histogram from the per-handler
counters the workers keep in `queue:stats:handlers` (jobs.keys).
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from flask import Blueprint, Response, current_app
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from jobs import JobQueue
from shop.orders.services import SHOP_QUEUES

bp = Blueprint("metrics", __name__)

PLACES = ("waiting", "delayed", "in_progress", "failed")


class QueueCollector(Collector):
    """Reads the queue's numbers from Redis each time Prometheus scrapes."""

    def __init__(self, queue: JobQueue) -> None:
        self.queue = queue

    def collect(self) -> Iterator[Metric]:
        """Yield the depth gauges, the finished-job counters and the duration histograms."""
        snapshot = self.queue.snapshot(SHOP_QUEUES, minutes=1)
        depth = GaugeMetricFamily(
            "shop_queue_jobs", "Jobs in each place of each queue now.", labels=["queue", "place"]
        )
        for queue in snapshot.depths:
            for place in PLACES:
                depth.add_metric([queue.name, place], getattr(queue, place))
        yield depth
        yield GaugeMetricFamily("shop_workers", "Registered workers.", len(snapshot.workers))
        stats = self.queue.handler_stats()
        processed = CounterMetricFamily(
            "shop_jobs_processed", "Jobs that succeeded, by handler.", labels=["handler"]
        )
        failed = CounterMetricFamily(
            "shop_jobs_failed", "Jobs moved to the failed list, by handler.", labels=["handler"]
        )
        duration = HistogramMetricFamily(
            "shop_job_duration_seconds", "How long succeeded jobs ran, by handler.",
            labels=["handler"],
        )
        for handler, counts in stats.items():
            label = handler or "(malformed)"
            processed.add_metric([label], counts.processed)
            failed.add_metric([label], counts.failed)
            if counts.processed:
                buckets = [(bucket_name(bound), count) for bound, count in counts.buckets.items()]
                duration.add_metric([label], buckets, sum_value=counts.seconds)
        yield from (processed, failed, duration)


def bucket_name(bound: float) -> str:
    """Return a bucket's upper bound as Prometheus writes it ("+Inf" for the last)."""
    return "+Inf" if math.isinf(bound) else repr(bound)


def build_registry(queue: JobQueue) -> CollectorRegistry:
    """Return a registry of this app's own (not the global one: tests build many apps)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(QueueCollector(queue))
    return registry


@bp.get("/metrics")
def metrics() -> Response:
    """Answer in Prometheus's text format."""
    registry: CollectorRegistry = current_app.extensions["metrics"]
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
