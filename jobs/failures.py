"""Why an attempt failed: the errors the worker raises itself, and how any error is described."""

from __future__ import annotations


class UnknownHandler(LookupError):
    """Raised for a job whose handler name is not registered: it is never retried."""


class JobTimedOut(Exception):
    """A handler ran past its time limit: the attempt fails and is retried as usual."""


class Abandoned(Exception):
    """A job taken more times than its policy allows, its earlier attempts unfinished."""


def describe(error: BaseException) -> str:
    """The error as it is logged and stored: its message, with its class unless it is ours."""
    if isinstance(error, UnknownHandler | JobTimedOut | Abandoned):
        return str(error)
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
