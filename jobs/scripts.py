"""The queue's Lua scripts (jobs/lua/*.lua), and sending them: one call or many per round trip."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from redis import Redis
from redis.exceptions import NoScriptError

# One script per atomic step; each file says what it does, to which keys, and why atomic.
NAMES = (
    "enqueue", "schedule", "enqueue_many", "migrate_delayed", "take", "start", "ack", "retry",
    "fail", "requeue", "reap", "retry_failed", "lesson_done",
)


@dataclass(frozen=True)
class Call:
    """One script call: the script's name, its keys and its arguments."""

    script: str
    keys: list[str]
    args: list[Any]


class Scripts:
    """Sends script calls by SHA (EVALSHA), loading the scripts again if Redis lost them."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        # register_script only hashes the source: nothing is sent to Redis yet.
        self._scripts = {name: redis.register_script(_source(name)) for name in NAMES}

    def call(self, call: Call) -> Any:
        """Send one call and return its reply.

        Sent as a plain command: register_script's own call costs about 10 us more per
        call in redis-py, a sixth of a dispatch.
        """
        command = (len(call.keys), *call.keys, *call.args)
        send: Any = self.redis.execute_command  # untyped in redis-py
        try:
            return send("EVALSHA", self._scripts[call.script].sha, *command)
        except NoScriptError:
            self.load()
            return send("EVALSHA", self._scripts[call.script].sha, *command)

    def run(self, calls: Sequence[Call]) -> list[Any]:
        """Send calls in one round trip (a pipeline) and return their replies, in order.

        register_script's own calls would ask SCRIPT EXISTS before every pipeline: a
        second round trip per batch. Instead, when Redis has lost its scripts (a restart),
        load them all and send again just the calls that were refused.
        """
        results = self._evalsha(calls)
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

    def _evalsha(self, calls: Sequence[Call]) -> list[Any]:
        with self.redis.pipeline(transaction=False) as pipe:
            for call in calls:
                pipe.evalsha(self._scripts[call.script].sha, len(call.keys), *call.keys, *call.args)
            return pipe.execute(raise_on_error=False)


def _source(name: str) -> str:
    return files("jobs").joinpath("lua", f"{name}.lua").read_text(encoding="utf-8")
