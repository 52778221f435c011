"""What a job handler is: any object with handle(payload)."""

from __future__ import annotations

from typing import Any, Protocol


class JobHandler(Protocol):
    """Runs one kind of job; raising an exception fails the attempt (it is retried).

    A handler may also have, as attributes:
    - `give_up_on`: a tuple of exception classes that retrying cannot help (bad input,
      a declined card): such a failure goes straight to the failed list;
    - `retry_policy`: a `RetryPolicy` of its own (attempts, backoff);
    - `timeout_seconds`: its own time limit for one attempt.
    """

    def handle(self, payload: dict[str, Any]) -> None: ...
