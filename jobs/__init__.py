"""A reliable job queue on Redis lists, following the lesson "Asynchronous Processing"."""

from jobs.backoff import compute_backoff
from jobs.client import QueueClient, connect
from jobs.handler import JobHandler
from jobs.job import Job, JobState, MalformedJob
from jobs.keys import Keys
from jobs.queue import JobQueue
from jobs.worker import UnknownHandler, Worker

__all__ = [
    "Job",
    "JobHandler",
    "JobQueue",
    "JobState",
    "Keys",
    "MalformedJob",
    "QueueClient",
    "UnknownHandler",
    "Worker",
    "compute_backoff",
    "connect",
]
