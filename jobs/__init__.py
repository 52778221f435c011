"""A reliable job queue on Redis lists, following the lesson "Asynchronous Processing"."""

from jobs.backoff import RetryPolicy, compute_backoff
from jobs.client import QueueClient
from jobs.connection import (
    RedisClient,
    connect,
    connect_cluster,
    connect_sentinel,
    is_cluster,
)
from jobs.entry import Entry
from jobs.failed import FailedList, JobNotFound
from jobs.failures import JobTimedOut, UnknownHandler
from jobs.handler import JobHandler
from jobs.invariant import InvariantCheck, JobPlaces
from jobs.job import Job, JobState, MalformedJob
from jobs.keys import Keys
from jobs.monitor import QueueMonitor
from jobs.queue import JobQueue
from jobs.registry import WorkerRegistry
from jobs.scripts import NotReplicated
from jobs.snapshot import QueueDepth, QueueSnapshot, WorkerInfo
from jobs.stats import Throughput
from jobs.worker import Worker

__all__ = [
    "Entry",
    "FailedList",
    "InvariantCheck",
    "Job",
    "JobHandler",
    "JobNotFound",
    "JobPlaces",
    "JobQueue",
    "JobState",
    "JobTimedOut",
    "Keys",
    "MalformedJob",
    "NotReplicated",
    "QueueClient",
    "QueueDepth",
    "QueueMonitor",
    "QueueSnapshot",
    "RedisClient",
    "RetryPolicy",
    "Throughput",
    "UnknownHandler",
    "Worker",
    "WorkerInfo",
    "WorkerRegistry",
    "compute_backoff",
    "connect",
    "connect_cluster",
    "connect_sentinel",
    "is_cluster",
]
