"""The Lua scripts: each documents its KEYS and ARGV, and touches only keys given in KEYS."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
import redis as redis_py

import jobs
from jobs import Job, Keys

LUA = Path(jobs.__file__).parent / "lua"
SCRIPTS = sorted(LUA.glob("*.lua"))
CALL = re.compile(r"redis\.p?call\(\s*'(\w+)'\s*(?:,\s*([^,)]+))?")
KEY_REFERENCE = re.compile(r"KEYS\[[^\]]+\]")


def header(script: Path) -> str:
    """The comment lines the script opens with."""
    lines = script.read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines[: next_code_line(lines)])


def code(script: Path) -> str:
    """Everything after the opening comment."""
    lines = script.read_text(encoding="utf-8").splitlines()
    return "\n".join(lines[next_code_line(lines) :])


def next_code_line(lines: list[str]) -> int:
    return next(i for i, line in enumerate(lines) if not line.startswith("--"))


def names_holding_keys(source: str) -> set[str]:
    """Locals assigned straight from KEYS, loop variables over KEYS, tables filled from KEYS."""
    names: set[str] = set()
    for targets, values in re.findall(r"local\s+([\w\s,]+?)\s*=\s*([^\n]+)", source):
        pairs = zip(re.split(r"\s*,\s*", targets), re.split(r"\s*,\s*", values), strict=False)
        names |= {name for name, value in pairs if KEY_REFERENCE.fullmatch(value.strip())}
    names |= set(re.findall(r"for\s+\w+\s*,\s*(\w+)\s+in\s+ipairs\(KEYS\)", source))
    names |= set(re.findall(r"(\w+)\[.+\]\s*=\s*KEYS\[[^\]]+\]", source))
    return names


def built_key_names(source: str) -> list[str]:
    """The first arguments of redis.call that are neither KEYS[...] nor a name holding one."""
    allowed = names_holding_keys(source)
    built = []
    for _, first in CALL.findall(source):
        first = first.strip()
        name = re.sub(r"\[[^\]]*\]$", "", first)  # queue_key[...] counts as queue_key
        if first and not KEY_REFERENCE.fullmatch(first) and name not in allowed:
            built.append(first)
    return built


def test_there_is_one_script_per_atomic_operation() -> None:
    assert [script.stem for script in SCRIPTS] == [
        "ack",
        "enqueue",
        "enqueue_many",
        "fail",
        "lesson_done",
        "migrate_delayed",
        "reap",
        "requeue",
        "retry",
        "retry_failed",
        "schedule",
        "start",
        "take",
        "unregister",
    ]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda script: script.stem)
def test_each_script_opens_with_a_header(script: Path) -> None:
    text = header(script)

    assert text.startswith(f"-- {script.stem}: ")
    for section in ("Why atomic", "KEYS[", "ARGV[", "Returns"):
        assert section in text, f"{script.name}'s header lacks {section!r}"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda script: script.stem)
def test_the_header_documents_every_key_and_argument_used(script: Path) -> None:
    documented = header(script)
    for table, index in set(re.findall(r"\b(KEYS|ARGV)\[(\d+)\]", code(script))):
        ranges = re.findall(rf"{table}\[(\d+)\.\.", documented)
        assert f"{table}[{index}]" in documented or any(int(n) <= int(index) for n in ranges), (
            f"{script.name} uses {table}[{index}] without documenting it"
        )


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda script: script.stem)
def test_no_script_scans_the_keyspace(script: Path) -> None:
    commands = {command.upper() for command, _ in CALL.findall(code(script))}

    assert commands
    assert not commands & {"KEYS", "SCAN"}


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda script: script.stem)
def test_no_script_builds_a_key_name(script: Path) -> None:
    assert built_key_names(code(script)) == []


def test_the_key_name_check_catches_a_built_key() -> None:
    source = """
local processing = KEYS[1]
local prefix = ARGV[1]
local job_key = prefix .. 'job:' .. ARGV[2]
redis.call('LREM', processing, 1, ARGV[3])
redis.call('HSET', job_key, 'state', 'failed')
redis.call('DEL', KEYS[2] .. ':lock')
"""

    assert built_key_names(source) == ["job_key", "KEYS[2] .. ':lock'"]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda script: script.stem)
def test_each_script_compiles_on_redis(script: Path, redis: redis_py.Redis) -> None:
    assert re.fullmatch(r"[0-9a-f]{40}", redis.script_load(script.read_text(encoding="utf-8")))


def test_migrate_delayed_moves_at_most_argv_2_jobs(redis: redis_py.Redis, keys: Keys) -> None:
    # Given 50 due jobs, run as a learner would with redis-cli --eval
    delayed, queue, marker = keys.delayed("default"), keys.queue("default"), keys.marker("default")
    for n in range(50):
        redis.zadd(delayed, {Job("h", {"n": n}, "default").to_json(): 1.0})
    migrate = (LUA / "migrate_delayed.lua").read_text(encoding="utf-8")

    # When the script is told to move at most 10
    moved, _ = redis.eval(migrate, 3, delayed, queue, marker, repr(time.time()), 10)

    # Then it moves 10, and wakes a worker blocked on the queue
    assert moved == 10
    assert redis.llen(queue) == 10
    assert redis.zscore(marker, "next") == 0


def test_reap_gives_a_dead_workers_job_back_and_unregister_spares_a_live_one(
    redis: redis_py.Redis, keys: Keys
) -> None:
    # Given a worker holding a job, run as a learner would with redis-cli --eval
    processing = keys.processing("default", "w1")
    job = Job("h", {}, "default")
    redis.rpush(processing, job.to_json())
    reap = (LUA / "reap.lua").read_text(encoding="utf-8")
    unregister = (LUA / "unregister.lua").read_text(encoding="utf-8")
    script_keys = [processing, keys.queue("default"), keys.marker("default"),
                   keys.failed("default"), keys.job(job.queue, job.id)]

    # When it beat a moment ago, unregister refuses to take it off the registry
    redis.zadd(keys.workers, {"w1": time.time()})
    assert redis.eval(unregister, 1, keys.workers, "w1", repr(time.time() - 30)) == 0
    assert redis.zscore(keys.workers, "w1") is not None, "the live worker stays registered"

    # When its job is reaped, it goes back to its queue
    args = ["w1", 3, repr(time.time()), job.to_json(), "{}"]
    assert redis.eval(reap, len(script_keys), *script_keys, *args) == [1, 0]
    assert redis.lrange(keys.queue("default"), 0, -1) == [job.to_json()]
    assert redis.llen(processing) == 0, "the worker holds nothing"

    # When it has been silent for a minute, it leaves the registry
    redis.zadd(keys.workers, {"w1": time.time() - 60})
    assert redis.eval(unregister, 1, keys.workers, "w1", repr(time.time() - 30)) == 1
    assert redis.zscore(keys.workers, "w1") is None, "the dead worker left the registry"


def test_retry_failed_queues_a_failed_entry_once(redis: redis_py.Redis, keys: Keys) -> None:
    failed, queue = keys.failed("default"), keys.queue("default")
    job = Job("h", {}, "default")
    entry = '{"entry": 1}'
    redis.rpush(failed, entry)
    script = (LUA / "retry_failed.lua").read_text(encoding="utf-8")
    script_keys = [failed, queue, keys.job(job.queue, job.id), keys.marker("default")]

    first = redis.eval(script, 4, *script_keys, entry, job.to_json(), repr(time.time()))
    second = redis.eval(script, 4, *script_keys, entry, job.to_json(), repr(time.time()))

    assert (first, second) == (1, 0)
    assert redis.lrange(queue, 0, -1) == [job.to_json()]
    assert redis.llen(failed) == 0, "the entry left the failed list"
