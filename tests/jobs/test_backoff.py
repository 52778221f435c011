"""compute_backoff and RetryPolicy: 2**attempts * base seconds, capped, jittered; no sleeping."""

from __future__ import annotations

import pytest

from jobs import RetryPolicy, compute_backoff


@pytest.mark.parametrize(("attempts", "seconds"), [(1, 120.0), (2, 240.0), (3, 480.0)])
def test_the_lessons_base_of_60_s_doubles_each_attempt(attempts: int, seconds: float) -> None:
    assert compute_backoff(attempts, base_seconds=60.0) == seconds


def test_a_small_base_scales_the_same_way() -> None:
    assert [compute_backoff(n, 0.01) for n in (1, 2, 3)] == pytest.approx([0.02, 0.04, 0.08])


def test_the_delay_is_a_float_in_seconds() -> None:
    assert isinstance(compute_backoff(1, 60), float)


@pytest.mark.parametrize("attempts", [0, -1])
def test_fewer_than_one_attempt_is_rejected(attempts: int) -> None:
    with pytest.raises(ValueError, match=f"attempts must be at least 1, got {attempts}"):
        compute_backoff(attempts, 60.0)


def test_the_delay_never_exceeds_the_cap() -> None:
    assert compute_backoff(10, base_seconds=60.0, cap_seconds=3600.0) == 3600.0
    assert compute_backoff(2, base_seconds=60.0, cap_seconds=3600.0) == 240.0


def test_the_cap_applies_before_the_jitter() -> None:
    delay = compute_backoff(10, 60.0, cap_seconds=3600.0, jitter=0.1, random=lambda: 1.0)

    assert delay == pytest.approx(3240.0)


@pytest.mark.parametrize(("draw", "seconds"), [(0.0, 120.0), (0.5, 114.0), (1.0, 108.0)])
def test_jitter_takes_off_the_drawn_share_of_it(draw: float, seconds: float) -> None:
    delay = compute_backoff(1, 60.0, jitter=0.1, random=lambda: draw)

    assert delay == pytest.approx(seconds)


def test_jittered_delays_stay_within_their_bounds() -> None:
    delays = [compute_backoff(3, 60.0, jitter=0.25) for _ in range(1000)]

    assert all(360.0 < delay <= 480.0 for delay in delays)
    assert len(set(delays)) > 1  # they spread out: that is the point of jitter


@pytest.mark.parametrize("draw", [0.0, 0.5, 1.0])
def test_without_jitter_the_draw_changes_nothing(draw: float) -> None:
    assert compute_backoff(1, 60.0, jitter=0.0, random=lambda: draw) == 120.0


def test_full_jitter_can_take_off_the_whole_delay() -> None:
    assert compute_backoff(1, 60.0, jitter=1.0, random=lambda: 1.0) == 0.0


@pytest.mark.parametrize("jitter", [-0.1, 1.1, 2.0])
def test_jitter_outside_zero_to_one_is_rejected(jitter: float) -> None:
    with pytest.raises(ValueError, match=f"jitter must be between 0 and 1, got {jitter}"):
        compute_backoff(1, 60.0, jitter=jitter)


def test_a_huge_attempt_count_is_capped_rather_than_overflowing() -> None:
    assert compute_backoff(1024, 60.0, cap_seconds=3600.0) == 3600.0


def test_a_policys_delay_is_its_backoff_without_jitter() -> None:
    policy = RetryPolicy(max_attempts=5, base_seconds=10.0, cap_seconds=50.0, jitter=0.0)

    assert [policy.delay_seconds(n) for n in (1, 2, 3, 4)] == [20.0, 40.0, 50.0, 50.0]


def test_a_policys_jitter_keeps_delays_within_bounds() -> None:
    policy = RetryPolicy(base_seconds=60.0, jitter=0.1)

    assert all(108.0 < policy.delay_seconds(1) <= 120.0 for _ in range(200))


def test_the_default_policy_is_the_lessons() -> None:
    policy = RetryPolicy()

    assert (policy.max_attempts, policy.base_seconds) == (3, 60.0)
    assert (policy.cap_seconds, policy.jitter) == (3600.0, 0.1)


@pytest.mark.parametrize("max_attempts", [0, -1])
def test_a_policy_needs_at_least_one_attempt(max_attempts: int) -> None:
    with pytest.raises(ValueError, match=f"max_attempts must be at least 1, got {max_attempts}"):
        RetryPolicy(max_attempts=max_attempts)


@pytest.mark.parametrize("jitter", [-0.1, 1.5])
def test_a_policy_with_jitter_outside_zero_to_one_is_refused(jitter: float) -> None:
    with pytest.raises(ValueError, match="jitter must be between 0 and 1"):
        RetryPolicy(jitter=jitter)
