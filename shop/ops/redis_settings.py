"""Redis settings that lose jobs: warned of when the app starts, and reported by /healthz.

The queue's promises (docs/guarantees.md) hold only on a Redis that neither evicts keys
when its memory is full nor forgets its writes on a restart: maxmemory-policy noeviction,
appendonly yes, appendfsync always. A Redis set otherwise works, and quietly loses jobs;
so every process says so at start, as BullMQ's workers do, and /healthz keeps saying it.
On a Redis Cluster each node holds its share of the jobs, so each node is checked, replicas
too: a failover makes one the primary.
"""

from __future__ import annotations

import logging

from flask import Flask
from redis import Redis
from redis.cluster import ClusterNode, RedisCluster
from redis.exceptions import RedisError, ResponseError

from jobs import RedisClient

logger = logging.getLogger(__name__)

SETTINGS = ("maxmemory-policy", "appendonly", "appendfsync", "save")


def redis_risks(redis: RedisClient) -> list[str]:
    """What in this Redis's settings may lose or evict jobs, one sentence each; [] if nothing.

    On a cluster, each sentence names the node it is about, as host:port.
    """
    if not isinstance(redis, RedisCluster):
        return server_risks(redis)
    nodes: list[ClusterNode] = redis.get_nodes()  # type: ignore[no-untyped-call]  # untyped
    return [f"{node.name}: {risk}" for node in nodes
            for risk in server_risks(redis.get_redis_connection(node))]


def server_risks(redis: Redis) -> list[str]:
    """What in one Redis server's settings may lose or evict jobs; [] if nothing."""
    try:
        config = redis.config_get(*SETTINGS)
    except ResponseError as error:  # CONFIG renamed or refused, as some hosted Redis do
        return [f"its settings cannot be read ({error}): check maxmemory-policy and "
                "persistence yourself"]
    risks = []
    policy = config.get("maxmemory-policy", "noeviction")
    if policy != "noeviction":
        risks.append(f"maxmemory-policy is {policy}: when its memory is full Redis evicts "
                     "keys, jobs among them; set noeviction")
    if config.get("appendonly") != "yes":
        snapshots = "no persistence at all" if not config.get("save") else "snapshots only"
        risks.append(f"appendonly is no ({snapshots}): a restart loses the jobs written "
                     "since the last snapshot, or all of them; set appendonly yes")
    elif config.get("appendfsync") != "always":
        risks.append(f"appendfsync is {config.get('appendfsync')}: a crash loses up to the "
                     "last second of writes; set appendfsync always")
    return risks


def warn_at_start(app: Flask) -> None:
    """Log a warning for each risky setting of the app's Redis; a Redis down is no error."""
    try:
        risks = redis_risks(app.extensions["app_redis"])
    except RedisError as error:
        logger.warning("Could not check the Redis settings that keep jobs: %s", error)
        return
    for risk in risks:
        logger.warning("Redis may lose jobs: %s (docs/guarantees.md#durability)", risk)
