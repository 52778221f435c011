"""Alarm: interrupting a handler in the main thread with SIGALRM, and JobInterrupted."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator

import pytest

from jobs.alarm import Alarm, JobInterrupted


@pytest.fixture(autouse=True)
def own_timer() -> Iterator[None]:
    """No interval timer running (pytest-timeout runs one), then the one found put back."""
    found = signal.setitimer(signal.ITIMER_REAL, 0)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, *found)


@pytest.fixture
def alarm() -> Iterator[Alarm]:
    """An enabled Alarm, ringing on SIGALRM as the worker sets it up; undone afterwards."""
    alarm = Alarm()
    previous = signal.signal(signal.SIGALRM, alarm.ring)
    alarm.enabled = True
    try:
        yield alarm
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def remaining_seconds() -> float:
    return signal.getitimer(signal.ITIMER_REAL)[0]


def stubborn_handler() -> list[str]:
    """Busy work for up to 10 s that swallows every Exception; returns what it swallowed."""
    swallowed: list[str] = []
    never = threading.Event()
    guard = time.monotonic() + 10.0
    try:
        while not never.is_set() and time.monotonic() < guard:
            pass
    except Exception as error:
        swallowed.append(repr(error))
    return swallowed


def test_job_interrupted_is_not_an_exception() -> None:
    assert issubclass(JobInterrupted, BaseException)
    assert not issubclass(JobInterrupted, Exception)
    assert JobInterrupted("timeout").reason == "timeout"


def test_a_handlers_except_exception_cannot_swallow_the_interruption() -> None:
    alarm = Alarm()
    swallowed = []

    with pytest.raises(JobInterrupted) as caught, alarm.armed(None):
        try:
            alarm.ring_now("forced")
        except Exception as error:
            swallowed.append(error)

    assert swallowed == []
    assert caught.value.reason == "forced"


def test_an_armed_alarm_interrupts_a_busy_handler_at_its_time(alarm: Alarm) -> None:
    with pytest.raises(JobInterrupted) as caught, alarm.armed(0.05, "timeout"):
        stubborn_handler()

    assert caught.value.reason == "timeout"
    assert alarm.reason is None
    assert remaining_seconds() == 0


def test_armed_sets_the_timer_and_clears_it_on_the_way_out(alarm: Alarm) -> None:
    with alarm.armed(5.0):
        assert 0 < remaining_seconds() <= 5.0
        assert alarm.reason == "timeout"

    assert remaining_seconds() == 0
    assert alarm.reason is None


def test_armed_without_seconds_sets_no_timer(alarm: Alarm) -> None:
    with alarm.armed(None):
        assert remaining_seconds() == 0
        assert alarm.reason == "timeout"  # a handler runs: shutdown may still shorten it


def test_armed_is_a_no_op_when_not_enabled() -> None:
    alarm = Alarm()  # as in a worker run off the main thread

    with alarm.armed(0.01):
        assert remaining_seconds() == 0

    assert alarm.reason is None


def test_shorten_sets_a_timer_when_none_runs(alarm: Alarm) -> None:
    with alarm.armed(None):
        alarm.shorten(2.0, "shutdown")

        assert 0 < remaining_seconds() <= 2.0
        assert alarm.reason == "shutdown"


def test_shorten_brings_a_later_ring_forward(alarm: Alarm) -> None:
    with alarm.armed(60.0, "timeout"):
        alarm.shorten(2.0, "shutdown")

        assert 0 < remaining_seconds() <= 2.0
        assert alarm.reason == "shutdown"


def test_shorten_leaves_an_earlier_ring_alone(alarm: Alarm) -> None:
    with alarm.armed(2.0, "timeout"):
        alarm.shorten(60.0, "shutdown")

        assert 0 < remaining_seconds() <= 2.0
        assert alarm.reason == "timeout"


def test_shorten_to_nothing_still_rings(alarm: Alarm) -> None:
    with pytest.raises(JobInterrupted) as caught, alarm.armed(None):
        alarm.shorten(0.0, "shutdown")
        stubborn_handler()

    assert caught.value.reason == "shutdown"


def test_shorten_does_nothing_between_jobs(alarm: Alarm) -> None:
    alarm.shorten(2.0, "shutdown")

    assert remaining_seconds() == 0
    assert alarm.reason is None


def test_shorten_does_nothing_when_not_enabled() -> None:
    alarm = Alarm()

    with alarm.armed(None):
        alarm.shorten(2.0, "shutdown")

        assert remaining_seconds() == 0
        assert alarm.reason == "timeout"


def test_ring_now_interrupts_the_running_handler_once() -> None:
    alarm = Alarm()

    with pytest.raises(JobInterrupted) as caught, alarm.armed(None):
        alarm.ring_now("forced")

    assert caught.value.reason == "forced"
    assert alarm.reason is None


def test_ring_now_between_jobs_does_nothing() -> None:
    alarm = Alarm()

    alarm.ring_now("forced")

    assert alarm.reason is None


def test_ring_between_jobs_does_nothing() -> None:
    alarm = Alarm()

    alarm.ring(signal.SIGALRM, None)  # a ring that came late, after the handler returned

    assert alarm.reason is None
