"""The Redis client the queue talks through: replies as str, bytes that are not UTF-8 kept."""

from __future__ import annotations

from typing import Any

from redis import BlockingConnectionPool, ConnectionPool, Redis

# The settings a queue's client must have. surrogateescape lets data that is not UTF-8 (a
# poison message) come back as a str that encodes to the very same bytes, so the scripts
# can still find it in its list and move it, as it came, to the failed list.
QUEUE_CLIENT_SETTINGS: dict[str, Any] = {
    "decode_responses": True, "encoding": "utf-8", "encoding_errors": "surrogateescape",
}
# Entries redis-py's pool adds to the settings it was given, for its own bookkeeping: a
# new pool makes its own.
_POOL_BOOKKEEPING = frozenset({"himport_registry", "maint_notifications_pool_handler"})


def connect(url: str, **options: Any) -> Redis:
    """A Redis client for the queue from a URL, such as `redis://127.0.0.1:6379/0`."""
    return Redis.from_url(url, **{**options, **QUEUE_CLIENT_SETTINGS})


def queue_client_for(redis: Redis) -> Redis:
    """The client the queue uses: `redis` itself if it has the queue's settings, else a new
    client to the same server with the same connection settings (its own pool).

    So an application passes whatever client it has, `Redis.from_url(url)` (bytes replies)
    or one with `decode_responses=True`, and its own code keeps the replies it expects.
    """
    encoder = redis.get_encoder()
    if encoder.decode_responses and encoder.encoding_errors == "surrogateescape":
        return redis
    pool = redis.connection_pool
    settings = {
        name: value for name, value in pool.connection_kwargs.items()
        if name not in _POOL_BOOKKEEPING and not name.startswith("orig_")
    }
    settings.update(QUEUE_CLIENT_SETTINGS, connection_class=pool.connection_class,
                    max_connections=pool.max_connections)
    if type(pool) is BlockingConnectionPool:
        # Where the application's pool waits for a free connection, so does the queue's.
        derived: ConnectionPool = BlockingConnectionPool(  # type: ignore[no-untyped-call]
            timeout=pool.timeout, queue_class=pool.queue_class, **settings
        )
    elif type(pool) is ConnectionPool:
        derived = ConnectionPool(**settings)
    else:
        raise ValueError(
            f"Cannot derive the queue's client from a {type(pool).__name__}: pass a client "
            "made with decode_responses=True and encoding_errors='surrogateescape'"
        )
    # from_pool: closing the client closes the pool it owns.
    return Redis.from_pool(derived)
