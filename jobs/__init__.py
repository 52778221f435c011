"""A reliable job queue on Redis lists, following the lesson "Asynchronous Processing"."""

from jobs.backoff import RetryPolicy, compute_backoff
from jobs.client import WAKE_UP, QueueClient, connect
from jobs.failures import JobTimedOut, UnknownHandler
from jobs.handler import JobHandler
from jobs.job import Job, JobState, MalformedJob
from jobs.keys import Keys
from jobs.queue import JobNotFound, JobQueue
from jobs.worker import Worker

__all__ = [
    "WAKE_UP",
    "Job",
    "JobHandler",
    "JobNotFound",
    "JobQueue",
    "JobState",
    "JobTimedOut",
    "Keys",
    "MalformedJob",
    "QueueClient",
    "RetryPolicy",
    "UnknownHandler",
    "Worker",
    "compute_backoff",
    "connect",
]
