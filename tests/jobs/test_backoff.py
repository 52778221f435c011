"""compute_backoff: 2**attempts * base seconds, checked without sleeping."""

from __future__ import annotations

import pytest

from jobs import compute_backoff


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
