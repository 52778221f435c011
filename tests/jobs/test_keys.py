"""The key layout: the lesson's names, one prefix, and queue names that cannot collide."""

from __future__ import annotations

import pytest

import jobs.keys
from jobs import Keys

LAYOUT = [
    "queue:<name>",
    "queue:delayed",
    "queue:failed",
    "queue:processing:<worker>",
    "queue:job:<id>",
    "queue:workers",
    "queue:reaper",
]


def test_default_layout_keeps_the_lessons_names() -> None:
    keys = Keys()

    assert keys.queue("emails") == "queue:emails"
    assert keys.delayed == "queue:delayed"
    assert keys.failed == "queue:failed"
    assert keys.processing("host:42:ab12") == "queue:processing:host:42:ab12"
    assert keys.job("0f" * 16) == "queue:job:" + "0f" * 16


def test_the_worker_registry_and_the_reaper_lock_have_their_own_keys() -> None:
    keys = Keys()

    assert (keys.workers, keys.reaper) == ("queue:workers", "queue:reaper")


def test_every_key_starts_with_the_prefix() -> None:
    keys = Keys("test:1:queue:")

    names = [
        keys.queue("emails"),
        keys.delayed,
        keys.failed,
        keys.processing("w"),
        keys.job("j"),
        keys.workers,
        keys.reaper,
    ]

    assert names == [
        "test:1:queue:emails",
        "test:1:queue:delayed",
        "test:1:queue:failed",
        "test:1:queue:processing:w",
        "test:1:queue:job:j",
        "test:1:queue:workers",
        "test:1:queue:reaper",
    ]


@pytest.mark.parametrize("key", LAYOUT)
def test_the_key_table_documents_each_key(key: str) -> None:
    assert f"`{key}`" in (jobs.keys.__doc__ or "")


@pytest.mark.parametrize(
    "name", ["default", "emails", "high-priority", "v1.reports", "a_b", "x" * 64]
)
def test_ordinary_queue_names_are_accepted(name: str) -> None:
    assert Keys().queue(name) == "queue:" + name


@pytest.mark.parametrize(
    "name", ["delayed", "failed", "processing", "job", "workers", "reaper", "stats"]
)
def test_names_of_the_queues_own_keys_are_reserved(name: str) -> None:
    with pytest.raises(ValueError, match=f"Invalid queue name '{name}': it is reserved"):
        Keys().queue(name)


def test_the_reserved_names_are_exactly_the_queues_own_keys() -> None:
    keys = Keys("")
    own = {keys.delayed, keys.failed, keys.workers, keys.reaper, keys.relay}
    own |= {keys.processing("w").partition(":")[0], keys.job("j").partition(":")[0]}
    own |= {keys.stats("processed", 1).partition(":")[0], keys.handler_stats.partition(":")[0]}
    own |= {keys.worker("w").partition(":")[0], keys.marker("q").partition(":")[0]}

    assert own == jobs.keys.RESERVED_QUEUE_NAMES


@pytest.mark.parametrize("name", ["", "two words", "a:b", "x" * 65, "emails\n", "café", "*"])
def test_invalid_queue_names_are_rejected_saying_what_is_allowed(name: str) -> None:
    with pytest.raises(ValueError, match=r"Invalid queue name .*: use 1-64 letters, digits"):
        Keys().queue(name)


def test_a_queue_name_that_is_not_a_string_is_rejected() -> None:
    with pytest.raises(ValueError, match="Invalid queue name None"):
        Keys().queue(None)  # type: ignore[arg-type]
