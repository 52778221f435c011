"""The queue's client on a real Redis Cluster: connect_cluster, queue_client_for, is_cluster."""

from __future__ import annotations

from redis.cluster import RedisCluster

from devtools.redis_cluster import HASH_SLOTS, RedisClusterGroup
from jobs import connect, is_cluster
from jobs.connection import queue_client_for


def keys_on_every_primary(client: RedisCluster, prefix: str) -> dict[str, str]:
    """Names under prefix, one per primary: primary's name -> key."""
    chosen: dict[str, str] = {}
    for i in range(1000):
        key = f"{prefix}{i}"
        chosen.setdefault(client.get_node_from_key(key).name, key)
    assert len(chosen) == len(client.get_primaries())
    return chosen


def test_the_cluster_has_three_masters_sharing_every_slot(
    redis_cluster: RedisClusterGroup, cluster: RedisCluster
) -> None:
    primaries = cluster.get_primaries()

    assert sorted(node.port for node in primaries) == sorted(redis_cluster.ports)
    assert redis_cluster.is_ok()
    for node in primaries:
        info = cluster.get_redis_connection(node).cluster("INFO")
        assert info["cluster_state"] == "ok"
        assert int(info["cluster_slots_assigned"]) == HASH_SLOTS
        assert int(info["cluster_known_nodes"]) == 3


def test_connect_cluster_reads_and_writes_on_every_primary_with_the_queues_settings(
    cluster: RedisCluster, prefix: str
) -> None:
    # Given a key on each primary
    keys = keys_on_every_primary(cluster, prefix)

    # When each is written, one of them with bytes that are not UTF-8
    for node, key in keys.items():
        cluster.set(key, f"written to {node}")
    poison = f"{prefix}poison"
    cluster.set(poison, b"\xff not utf-8")

    # Then each reads back as str, from the node that holds it
    for node, key in keys.items():
        assert cluster.get(key) == f"written to {node}"
        assert cluster.get_redis_connection(cluster.get_node_from_key(key)).exists(key) == 1
    # And the bytes that are not UTF-8 come back as a str that encodes to the same bytes
    assert cluster.get(poison).encode("utf-8", "surrogateescape") == b"\xff not utf-8"
    assert is_cluster(cluster)


def test_queue_client_for_a_bytes_cluster_client_derives_one_on_the_same_nodes(
    redis_cluster_url: str, cluster: RedisCluster, prefix: str
) -> None:
    # Given an application's own cluster client: bytes replies, its timeouts and name
    application = RedisCluster.from_url(redis_cluster_url, socket_timeout=3.5,
                                        socket_connect_timeout=1.5, client_name="application")
    key = f"{prefix}shared"
    try:
        # When the queue derives its client from it
        derived = queue_client_for(application)
        application.set(key, "café")

        # Then the derived client has the queue's settings and the application's own
        assert isinstance(derived, RedisCluster) and derived is not application
        encoder = derived.get_encoder()
        assert (encoder.decode_responses, encoder.encoding_errors) == (True, "surrogateescape")
        options = derived.get_connection_kwargs()
        assert (options["socket_timeout"], options["socket_connect_timeout"]) == (3.5, 1.5)
        assert {node.name for node in derived.get_nodes()} == {
            node.name for node in application.get_nodes()
        }
        # And each keeps the replies it expects; the queue's connections carry the name
        assert derived.get(key) == "café"
        assert application.get(key) == "café".encode()
        node = derived.get_node_from_key(key)
        assert derived.get_redis_connection(node).client_getname() == "application"
        # And a client that has the queue's settings is used as it is
        assert queue_client_for(derived) is derived
        derived.close()
    finally:
        application.close()


def test_a_single_redis_client_is_no_cluster(redis_url: str) -> None:
    client = connect(redis_url)

    assert not is_cluster(client)
    client.close()
