"""One round for one system: enqueue, drain, pick-up latency (and the system's extras).

`python -m bench.measure SYSTEM --redis-url URL --workdir DIR --out FILE [...]`, run by
bench.run with the system's own interpreter (a peer's virtualenv for a peer), writes the
round's numbers as JSON. It empties the Redis at --redis-url: the benchmark's own server.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import fields
from pathlib import Path
from typing import Any

import redis

from bench import roundtrips
from bench.drain import measure_drain, measure_enqueue
from bench.latency import measure_pickup
from bench.pinning import pinned_apart
from bench.processes import serving_worker
from bench.recorder import REDIS_ENV
from bench.systems import SYSTEMS, Settings, System, load_system


def measure(system: System, settings: Settings) -> dict[str, Any]:
    """Every measurement of one round, each on an empty Redis."""
    client = redis.Redis.from_url(settings.redis_url)
    try:
        client.flushdb()
        with pinned_apart(client) as pinning:
            enqueue = {**measure_enqueue(system, client, settings.jobs), "pinned": pinning}
        drain = measure_drain(system, client, settings)
        client.flushdb()
        with serving_worker(system.worker_command(burst=False), settings.workdir,
                            f"{system.name}-pickup", settings.redis_url):
            pickup = measure_pickup(system, client, settings)
        extras = system.extras(client, settings)
        client.flushdb()
    finally:
        client.close()
    return {
        "system": system.name, "label": system.label, "delivery": system.delivery,
        "versions": system.versions(),
        "enqueue": enqueue, "drain": drain, "pickup": pickup, "extras": extras,
    }


def parse_args(argv: list[str] | None) -> tuple[str, Settings, Path]:
    parser = argparse.ArgumentParser(description="Measure one system for one round.")
    parser.add_argument("system", choices=sorted(SYSTEMS))
    parser.add_argument("--out", type=Path, required=True, help="the round's JSON")
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--workdir", type=Path, required=True)
    for field in fields(Settings)[2:]:  # the sizes, each with its default
        parser.add_argument(f"--{field.name.replace('_', '-')}", type=type(field.default),
                            default=field.default)
    args = vars(parser.parse_args(argv))
    system, out = args.pop("system"), args.pop("out")
    return system, Settings(**args), out


def main(argv: list[str] | None = None) -> int:
    name, settings, out = parse_args(argv)
    roundtrips.install()
    # A peer's module reads the benchmark's Redis from here when imported, in this process
    # as in its workers: never the default localhost:6379.
    os.environ[REDIS_ENV] = settings.redis_url
    system = load_system(name, settings.redis_url)
    try:
        result = measure(system, settings)
    finally:
        system.close()
    out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
