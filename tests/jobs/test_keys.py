"""The key layout: the lesson's names, one prefix, and queue names that cannot collide."""

from __future__ import annotations

import pytest
from redis.crc import key_slot

import jobs.keys
from jobs import Keys

LAYOUT = [
    "queue:<name>",
    "queue:marker:<name>",
    "queue:delayed:<name>",
    "queue:failed:<name>",
    "queue:processing:<name>:<worker>",
    "queue:job:<name>:<id>",
    "queue:stats:<name>:processed:<m>",
    "queue:stats:<name>:handlers",
    "queue:workers",
    "queue:reaper",
]


def test_default_layout_keeps_the_lessons_queue_names() -> None:
    keys = Keys()

    assert keys.queue("emails") == "queue:emails"
    assert keys.delayed("emails") == "queue:delayed:emails"
    assert keys.failed("emails") == "queue:failed:emails"
    assert keys.processing("emails", "host:42:ab12") == "queue:processing:emails:host:42:ab12"
    assert keys.job("emails", "0f" * 16) == "queue:job:emails:" + "0f" * 16


def test_the_worker_registry_and_the_reaper_lock_have_their_own_keys() -> None:
    keys = Keys()

    assert (keys.workers, keys.reaper) == ("queue:workers", "queue:reaper")


def test_every_key_starts_with_the_prefix() -> None:
    keys = Keys("test:1:queue:")

    names = [
        keys.queue("emails"),
        keys.delayed("emails"),
        keys.failed("emails"),
        keys.processing("emails", "w"),
        keys.job("emails", "j"),
        keys.workers,
        keys.reaper,
    ]

    assert names == [
        "test:1:queue:emails",
        "test:1:queue:delayed:emails",
        "test:1:queue:failed:emails",
        "test:1:queue:processing:emails:w",
        "test:1:queue:job:emails:j",
        "test:1:queue:workers",
        "test:1:queue:reaper",
    ]


def queue_keys(keys: Keys, queue: str) -> list[str]:
    return [keys.queue(queue), keys.marker(queue), keys.delayed(queue), keys.failed(queue),
            keys.processing(queue, "host:1:ab"), keys.job(queue, "order-1-payment"),
            keys.stats(queue, "processed", 1), keys.handler_stats(queue)]


def test_on_a_cluster_each_queues_keys_share_one_slot_and_queues_spread() -> None:
    keys = Keys("test:1:queue:", cluster=True)

    assert keys.queue("emails") == "test:1:queue:{emails}"
    assert keys.delayed("emails") == "test:1:queue:delayed:{emails}"
    slots = {queue: {key_slot(key.encode()) for key in queue_keys(keys, queue)}
             for queue in ("emails", "payments", "reports")}
    assert all(len(slot) == 1 for slot in slots.values())
    assert len(set.union(*slots.values())) == 3


def test_on_a_single_redis_one_call_may_span_queues_on_a_cluster_not() -> None:
    queues = ["payments", "emails"]

    assert Keys().slot_groups(queues) == [["payments", "emails"]]
    assert Keys(cluster=True).slot_groups(queues) == [["payments"], ["emails"]]


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
    own = {keys.queues, keys.workers, keys.reaper, keys.relay, keys.worker("w").partition(":")[0]}
    own |= {key.partition(":")[0] for key in queue_keys(keys, "q")[1:]}

    assert own == jobs.keys.RESERVED_QUEUE_NAMES


@pytest.mark.parametrize("name", ["", "two words", "a:b", "x" * 65, "emails\n", "café", "*"])
def test_invalid_queue_names_are_rejected_saying_what_is_allowed(name: str) -> None:
    with pytest.raises(ValueError, match=r"Invalid queue name .*: use 1-64 letters, digits"):
        Keys().queue(name)


def test_a_queue_name_that_is_not_a_string_is_rejected() -> None:
    with pytest.raises(ValueError, match="Invalid queue name None"):
        Keys().queue(None)  # type: ignore[arg-type]
