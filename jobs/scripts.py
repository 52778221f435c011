"""The queue's Lua scripts (jobs/lua/*.lua), and sending them: one call or many per round trip."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from redis.exceptions import NoScriptError, RedisError

from jobs.connection import RedisClient

# One script per atomic step; each file says what it does, to which keys, and why atomic.
NAMES = (
    "enqueue", "schedule", "enqueue_many", "migrate_delayed", "take", "start", "ack", "retry",
    "fail", "requeue", "reap", "unregister", "retry_failed", "lesson_done",
)


@dataclass(frozen=True)
class Call:
    """One script call: the script's name, its keys and its arguments."""

    script: str
    keys: list[str]
    args: list[Any]


class NotReplicated(RedisError):
    """Fewer replicas than asked for acknowledged a write in time: it may be lost in a
    failover, so the caller should treat it as not done, and do it again later."""


class Scripts:
    """Sends script calls by SHA (EVALSHA), loading the scripts again if Redis lost them.

    With wait_replicas, each send ends with Redis's WAIT on the same connection, and
    raises NotReplicated unless that many replicas acknowledged the calls' writes within
    wait_timeout_seconds.
    """

    def __init__(self, redis: RedisClient, wait_replicas: int = 0,
                 wait_timeout_seconds: float = 1.0) -> None:
        self.redis = redis
        self.wait_replicas = wait_replicas
        self.wait_timeout_seconds = wait_timeout_seconds
        # register_script only hashes the source: nothing is sent to Redis yet.
        self._scripts = {name: redis.register_script(_source(name)) for name in NAMES}

    def call(self, call: Call) -> Any:
        """Send one call and return its reply.

        Sent as a plain command: register_script's own call costs about 10 us more per
        call in redis-py, a sixth of a dispatch.
        """
        if self.wait_replicas:
            return self.run([call])[0]
        command = (len(call.keys), *call.keys, *call.args)
        send: Any = self.redis.execute_command  # untyped in redis-py
        try:
            return send("EVALSHA", self._scripts[call.script].sha, *command)
        except NoScriptError:
            self.load()
            return send("EVALSHA", self._scripts[call.script].sha, *command)

    def run(self, calls: Sequence[Call], commands: Sequence[Sequence[Any]] = ()) -> list[Any]:
        """Send calls in one round trip (a pipeline) and return their replies, in order.

        commands: plain Redis commands to send first in the same round trip; their replies
        are dropped.

        register_script's own calls would ask SCRIPT EXISTS before every pipeline: a
        second round trip per batch. Instead, when Redis has lost its scripts (a restart),
        load them all and send again just the calls that were refused.
        """
        results = self._evalsha(calls, commands)
        missing = [i for i, result in enumerate(results) if isinstance(result, NoScriptError)]
        if missing:
            self.load()
            for i, result in zip(missing, self._evalsha([calls[i] for i in missing]), strict=True):
                results[i] = result
        for result in results:
            if isinstance(result, Exception):
                raise result
        return results

    def load(self) -> None:
        """Load every script into Redis (SCRIPT LOAD)."""
        for script in self._scripts.values():
            script.sha = self.redis.script_load(script.script)

    def _evalsha(self, calls: Sequence[Call], commands: Sequence[Sequence[Any]] = ()) -> list[Any]:
        with self.redis.pipeline(transaction=False) as pipe:
            send: Any = pipe.execute_command  # untyped in redis-py
            for command in commands:
                send(*command)
            for call in calls:
                pipe.evalsha(self._scripts[call.script].sha, len(call.keys), *call.keys, *call.args)
            if not self.wait_replicas:
                return pipe.execute(raise_on_error=False)[len(commands) :]
            # In the same pipeline: WAIT counts the writes of its own connection only.
            send("WAIT", self.wait_replicas, int(self.wait_timeout_seconds * 1000))
            *results, replicas = pipe.execute(raise_on_error=False)[len(commands) :]
        if isinstance(replicas, int) and replicas < self.wait_replicas:
            raise NotReplicated(
                f"{replicas} of {self.wait_replicas} replicas acknowledged the write within "
                f"{self.wait_timeout_seconds:g} s"
            )
        return results


def _source(name: str) -> str:
    return files("jobs").joinpath("lua", f"{name}.lua").read_text(encoding="utf-8")
