"""A bounded soak (issue 3): a stream of jobs through workers that fail, die and lose Redis.

For SOAK_SECONDS, jobs stream in: some fail at random, a few kill their own worker; every
few seconds a worker is killed with SIGKILL and replaced; halfway, Redis restarts. Then
the invariants of at-least-once delivery must hold. The seed fixes every choice the test
makes (which jobs, which worker to kill, when); the timing of processes still varies.
"""

from __future__ import annotations

import random
import signal
import time
from collections import Counter
from dataclasses import dataclass, field

from jobs import JobState
from tests.e2e.fleet import QUEUE, Fleet, OwnRedis
from tests.e2e.support import wait_for

SEED = 20261130
SOAK_SECONDS = 45.0
WORKERS = 4
PACE_SECONDS = 0.04  # between two dispatches: about 25 jobs a second
KILL_EVERY_SECONDS = (2.0, 6.0)  # a worker is killed after a random time in this range
KINDS = {"noop": 50.0, "slow": 25.0, "flaky": 24.5, "crash": 0.5}  # weights of each handler


@dataclass
class Soak:
    """Drives the soak: dispatches jobs, kills and replaces workers, restarts Redis."""

    fleet: Fleet
    own_redis: OwnRedis
    rng: random.Random
    ids: list[str] = field(default_factory=list)  # the job of payload n is ids[n]
    kinds: list[str] = field(default_factory=list)
    live: list[str] = field(default_factory=list)
    started: int = 0
    killed: int = 0
    crashed: int = 0

    def start_worker(self) -> None:
        self.started += 1
        name = f"w{self.started}"
        self.fleet.start_ready(name, "--seed", str(self.rng.randrange(2**31)))
        self.live.append(name)

    def dispatch(self) -> None:
        kind = self.rng.choices(list(KINDS), weights=list(KINDS.values()))[0]
        payload = {"slow": {"seconds": round(self.rng.uniform(0.05, 0.5), 3)},
                   "flaky": {"p": 0.3}}.get(kind, {})
        self.ids.append(self.fleet.dispatch(kind, len(self.ids), **payload))
        self.kinds.append(kind)

    def replace_crashed(self) -> None:
        """Replace each worker a `crash` job killed; any other exit is a failure."""
        for name in [name for name in self.live if self.fleet.workers[name].poll() is not None]:
            assert self.fleet.workers[name].returncode == -signal.SIGKILL, self.fleet.log(name)
            self.live.remove(name)
            self.crashed += 1
            self.start_worker()

    def kill_one(self) -> None:
        name = self.rng.choice(self.live)
        self.fleet.kill(name)
        self.live.remove(name)
        self.killed += 1
        self.start_worker()

    def restart_redis(self) -> None:
        """Stop Redis until every live worker has logged the loss, then start it again."""
        self.own_redis.stop()
        wait_for(lambda: all("Redis unreachable" in self.fleet.log(name) for name in self.live),
                 "every worker to log the loss of Redis")
        self.own_redis.start()

    def run(self, seconds: float) -> None:
        started = time.monotonic()
        next_kill = started + self.rng.uniform(*KILL_EVERY_SECONDS)
        restart_at: float | None = started + seconds / 2
        while (now := time.monotonic()) < started + seconds:
            self.replace_crashed()
            self.dispatch()
            if now >= next_kill:
                self.kill_one()
                next_kill = now + self.rng.uniform(*KILL_EVERY_SECONDS)
            if restart_at is not None and now >= restart_at:
                self.restart_redis()
                restart_at = None
            time.sleep(PACE_SECONDS)  # the pace of the stream, not a wait for anything


def check_invariants(fleet: Fleet, kinds: list[str], states: list[JobState]) -> None:
    """Every job ended exactly once; only a job taken back from a worker ran twice."""
    starts, ends = fleet.count("start"), fleet.count("end")
    failed_ids = Counter(entry["id"] for entry in fleet.queue.failed())
    assert failed_ids == Counter(state.id for state in states if state.state == "failed")
    for n, state in enumerate(states):
        outcomes = [attempt["outcome"] for attempt in state.history]
        assert outcomes.count("succeeded") == int(state.state == "succeeded"), (n, state)
        assert starts[n] <= state.attempts, (n, state)  # every run counted as an attempt
        if state.state == "succeeded":
            assert ends[n] >= 1, (n, state)
        else:
            assert kinds[n] == "flaky" or (state.error or "").startswith("abandoned"), (n, state)
        if ends[n] > int(state.state == "succeeded"):
            assert state.recoveries >= 1, (n, state)
    assert fleet.redis.llen(fleet.keys.queue(QUEUE)) == 0
    assert fleet.redis.zcard(fleet.keys.delayed("default")) == 0


def test_soak_with_failures_kills_and_a_redis_restart(
    own_redis: OwnRedis, own_fleet: Fleet
) -> None:
    fleet = own_fleet
    soak = Soak(fleet, own_redis, random.Random(SEED))
    began = time.monotonic()
    # Given four workers on a Redis of the test's own
    for _ in range(WORKERS):
        soak.start_worker()

    # When jobs stream in for SOAK_SECONDS, some failing at random and a few killing their
    # own worker, while workers are killed at random and replaced, and Redis restarts once
    soak.run(SOAK_SECONDS)

    # Then every job ends, and the reaper gives back every dead worker's jobs
    states = wait_for(lambda: fleet.finished(soak.ids), "every job to end", 120)
    wait_for(lambda: not fleet.held() and fleet.registered() == set(soak.live),
             "the reaper to clear the dead workers")
    # And the workers still alive stop on SIGTERM with exit code 0
    for name in soak.live:
        fleet.workers[name].send_signal(signal.SIGTERM)
    assert [fleet.workers[name].wait(timeout=30) for name in soak.live] == [0] * WORKERS
    # And every job ended exactly once, as Redis and the recorded runs agree
    check_invariants(fleet, soak.kinds, states)
    ended = Counter(state.state for state in states)
    twice = sum(1 for count in fleet.count("end").values() if count > 1)
    print(f"\nsoak: {len(states)} jobs in {time.monotonic() - began:.0f} s: "
          f"{ended['succeeded']} succeeded, {ended['failed']} failed, {twice} ran twice "
          f"(each taken back from a worker); {soak.killed} workers killed, "
          f"{soak.crashed} killed by their job, Redis restarted once")
