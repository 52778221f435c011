"""A reliable job queue on Redis lists, following the lesson "Asynchronous Processing"."""

from jobs.backoff import RetryPolicy, compute_backoff
from jobs.client import WAKE_UP, QueueClient, connect
from jobs.entry import Entry
from jobs.failures import JobTimedOut, UnknownHandler
from jobs.handler import JobHandler
from jobs.invariant import InvariantCheck, JobPlaces
from jobs.job import Job, JobState, MalformedJob
from jobs.keys import Keys
from jobs.monitor import QueueMonitor
from jobs.queue import JobNotFound, JobQueue
from jobs.snapshot import QueueDepth, QueueSnapshot, WorkerInfo
from jobs.stats import Throughput
from jobs.worker import Worker

__all__ = [
    "WAKE_UP",
    "Entry",
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
    "QueueClient",
    "QueueDepth",
    "QueueMonitor",
    "QueueSnapshot",
    "RetryPolicy",
    "Throughput",
    "UnknownHandler",
    "Worker",
    "WorkerInfo",
    "compute_backoff",
    "connect",
]
