"""An event loop for the benchmark's (synchronous) side of the asyncio peers, arq and SAQ."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


class LoopRunner:
    """Runs coroutines to completion on one event loop kept for the whole measurement."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()

    def run(self, coroutine: Awaitable[T]) -> T:
        return self.loop.run_until_complete(coroutine)

    def run_each(self, call: Callable[..., Awaitable[Any]], count: int, *args: Any,
                 **kwargs: Any) -> None:
        """Await call(*args, **kwargs) count times, one after another, in one coroutine."""

        async def each() -> None:
            for _ in range(count):
                await call(*args, **kwargs)

        self.run(each())

    def close(self) -> None:
        self.loop.close()
