"""The Redis client the queue talks through: replies as str, bytes that are not UTF-8 kept.

It talks to one Redis (`connect`), a master found through Sentinel (`connect_sentinel`), or
a Redis Cluster (`connect_cluster`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeAlias, overload

from redis import BlockingConnectionPool, ConnectionPool, Redis
from redis.cluster import ClusterNode, RedisCluster
from redis.exceptions import ClusterDownError, ConnectionError, TimeoutError
from redis.sentinel import Sentinel, SentinelConnectionPool

# Either client the queue works with. A RedisCluster is no Redis subclass: it routes each
# command to the node that owns its keys' hash slot.
RedisClient: TypeAlias = Redis | RedisCluster

# What a command raises while Redis cannot serve it: unreachable, too slow, or, on a cluster,
# a master whose slots nobody serves until a replica takes over.
UNREACHABLE: tuple[type[Exception], ...] = (ConnectionError, TimeoutError, ClusterDownError)

# The settings a queue's client must have. surrogateescape lets data that is not UTF-8 (a
# poison message) come back as a str that encodes to the very same bytes, so the scripts
# can still find it in its list and move it, as it came, to the failed list.
QUEUE_CLIENT_SETTINGS: dict[str, Any] = {
    "decode_responses": True, "encoding": "utf-8", "encoding_errors": "surrogateescape",
}
# Entries redis-py's pool adds to the settings it was given, for its own bookkeeping: a
# new pool makes its own.
_POOL_BOOKKEEPING = frozenset(
    {"himport_registry", "maint_notifications_pool_handler", "connection_pool"}
)
# Entries a cluster client keeps beside its nodes' settings that a new one must not be given:
# the db a URL names (a cluster refuses any, even 0, as an argument), and the old client's own
# connect hook (it runs the handshake, then the application's hook, which is passed on).
_CLUSTER_OWN = frozenset({"db", "redis_connect_func"})


def connect(url: str, **options: Any) -> Redis:
    """A Redis client for the queue from a URL, such as `redis://127.0.0.1:6379/0`."""
    return Redis.from_url(url, **{**options, **QUEUE_CLIENT_SETTINGS})


def connect_sentinel(
    sentinels: Sequence[tuple[str, int]], master: str, **options: Any
) -> Redis:
    """A Redis client for the queue that finds the master `master` through Sentinel and
    follows it when a failover promotes a replica. options go to each connection."""
    timeouts = {"socket_timeout": 1.0, "socket_connect_timeout": 1.0}
    sentinel = Sentinel(sentinels, sentinel_kwargs=timeouts)
    client: Redis = sentinel.master_for(master, **{**options, **QUEUE_CLIENT_SETTINGS})
    return client


def connect_cluster(url: str, **options: Any) -> RedisCluster:
    """A Redis Cluster client for the queue from the URL of any one of its nodes, such as
    `redis://127.0.0.1:7000/0` (a cluster has db 0 only); it finds the other nodes itself.

    Unlike `connect`, it connects at once: it asks the node for the cluster's layout.
    """
    return RedisCluster.from_url(url, **{**options, **QUEUE_CLIENT_SETTINGS})


def is_cluster(redis: RedisClient) -> bool:
    """Whether redis is a Redis Cluster client."""
    return isinstance(redis, RedisCluster)


@overload
def queue_client_for(redis: Redis) -> Redis: ...


@overload
def queue_client_for(redis: RedisCluster) -> RedisCluster: ...


def queue_client_for(redis: RedisClient) -> RedisClient:
    """The client the queue uses: `redis` itself if it has the queue's settings, else a new
    client to the same server, or cluster, with the same connection settings (its own pool).

    So an application passes whatever client it has, `Redis.from_url(url)` (bytes replies)
    or one with `decode_responses=True`, and its own code keeps the replies it expects.
    """
    encoder = redis.get_encoder()
    if encoder.decode_responses and encoder.encoding_errors == "surrogateescape":
        return redis
    if isinstance(redis, RedisCluster):
        return _queue_cluster_client_for(redis)
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
    elif type(pool) is SentinelConnectionPool:
        # The same master, found through the same sentinels, followed on failover.
        derived = SentinelConnectionPool(  # type: ignore[no-untyped-call]
            pool.service_name, pool.sentinel_manager, is_master=pool.is_master,
            check_connection=pool.check_connection, **settings,
        )
    else:
        raise ValueError(
            f"Cannot derive the queue's client from a {type(pool).__name__}: pass a client "
            "made with decode_responses=True and encoding_errors='surrogateescape'"
        )
    # from_pool: closing the client closes the pool it owns.
    return Redis.from_pool(derived)


def _queue_cluster_client_for(cluster: RedisCluster) -> RedisCluster:
    nodes = cluster.nodes_manager
    settings = {
        name: value for name, value in nodes.connection_kwargs.items()
        if name not in _POOL_BOOKKEEPING | _CLUSTER_OWN and not name.startswith("orig_")
    }
    settings.update(QUEUE_CLIENT_SETTINGS)
    if cluster.user_on_connect_func is not None:
        settings["redis_connect_func"] = cluster.user_on_connect_func
    # Fresh nodes: a ClusterNode carries its own client, which must not be shared.
    startup = [
        ClusterNode(node.host, node.port)  # type: ignore[no-untyped-call]  # untyped in redis-py
        for node in nodes.startup_nodes.values()
    ]
    return RedisCluster(
        startup_nodes=startup, retry=cluster.retry,
        require_full_coverage=nodes._require_full_coverage,
        reinitialize_steps=cluster.reinitialize_steps,
        load_balancing_strategy=cluster.load_balancing_strategy,
        dynamic_startup_nodes=nodes._dynamic_startup_nodes, address_remap=nodes.address_remap,
        connection_pool_class=nodes.connection_pool_class, **settings,
    )
