"""Redis commands per job, from the server's own count (`INFO commandstats`).

Redis counts a command run inside a Lua script as well as the EVALSHA that ran it, so a
script that does three commands counts four: the work Redis did, not the round trips.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import redis

# Commands the benchmark itself sends while it measures, left out of the counts.
OWN_COMMANDS = frozenset({"info"})


def snapshot(client: redis.Redis) -> Counter[str]:
    """Calls of each command so far, by name (`cmdstat_lmove` -> `lmove`)."""
    stats: dict[str, Any] = client.info("commandstats")
    return Counter({
        name.removeprefix("cmdstat_"): int(fields["calls"])
        for name, fields in stats.items()
        if name.removeprefix("cmdstat_") not in OWN_COMMANDS
    })


def per_job(before: Counter[str], after: Counter[str], jobs: int) -> dict[str, Any]:
    """Commands per job between two snapshots: the total and each command's share."""
    delta = after - before
    total = sum(delta.values())
    return {
        "commands_per_job": total / jobs,
        "commands": {name: calls / jobs for name, calls in delta.most_common()},
    }
