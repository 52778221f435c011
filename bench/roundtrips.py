"""Count round trips to Redis in this process: one per `send_packed_command`.

redis-py sends a single command, or a whole pipeline, with one `send_packed_command` call
and then reads the replies, so counting those calls counts round trips. Works for the
sync and the asyncio clients, and for redis-py 4 to 8.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

_lock = threading.Lock()
_count = 0
_installed = False


def install() -> None:
    """Wrap send_packed_command of redis-py's connection classes (once per process)."""
    global _installed
    if _installed:
        return
    import redis.connection

    _wrap(redis.connection.Connection, is_async=False)
    try:
        import redis.asyncio.connection
    except ImportError:  # a redis-py without asyncio support
        pass
    else:
        _wrap(redis.asyncio.connection.Connection, is_async=True)
    _installed = True


def count() -> int:
    """Round trips sent since install() (or the last reset())."""
    return _count


def reset() -> None:
    """Start counting from zero again."""
    global _count
    with _lock:
        _count = 0


def _add_one() -> None:
    global _count
    with _lock:
        _count += 1


def _wrap(connection_class: type, is_async: bool) -> None:
    """Replace the method on the class that defines it, so every subclass counts too."""
    owner = next(c for c in connection_class.__mro__ if "send_packed_command" in vars(c))
    original: Callable[..., Any] = owner.send_packed_command  # type: ignore[attr-defined]

    if is_async:
        @functools.wraps(original)
        async def counted_async(self: Any, *args: Any, **kwargs: Any) -> Any:
            _add_one()
            return await original(self, *args, **kwargs)

        owner.send_packed_command = counted_async  # type: ignore[attr-defined]
    else:
        @functools.wraps(original)
        def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
            _add_one()
            return original(self, *args, **kwargs)

        owner.send_packed_command = counted  # type: ignore[attr-defined]
