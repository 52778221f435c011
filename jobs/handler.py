"""What a job handler is: any object with handle(payload)."""

from __future__ import annotations

from typing import Any, Protocol


class JobHandler(Protocol):
    """Runs one kind of job; raising an exception fails the attempt (it is retried)."""

    def handle(self, payload: dict[str, Any]) -> None: ...
