"""ServerClock: the Redis server's time, from the host's plus an offset learned with TIME."""

from __future__ import annotations

import time

import redis as redis_py

from jobs.clock import ServerClock


def test_now_is_the_servers_time(redis: redis_py.Redis) -> None:
    clock = ServerClock(redis)
    seconds, microseconds = redis.time()
    server_before = seconds + microseconds / 1e6
    now = clock.now()
    seconds, microseconds = redis.time()
    # Within the round trips around it (the test's Redis runs on this host's clock)
    assert server_before - 0.05 <= now <= seconds + microseconds / 1e6 + 0.05


def test_the_offset_is_learned_once_then_only_when_stale(redis: redis_py.Redis) -> None:
    clock = ServerClock(redis, resync_seconds=3600)
    clock.now()
    # Given a wrong offset, as if the host's clock had jumped since the last sync
    clock.offset_seconds = 100.0
    # Then a fresh offset is used as it is, with no round trip
    assert clock.now() > time.time() + 99
    # And a sync learns the truth again
    clock.sync()
    assert abs(clock.now() - time.time()) < 1.0
