"""The templates' filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from shop.web.templating import format_utc


def test_unix_seconds_and_datetimes_are_shown_in_utc() -> None:
    moment = datetime(2025, 1, 31, 14, 5, 9, tzinfo=UTC)
    in_paris = moment.astimezone(timezone(timedelta(hours=1)))

    assert format_utc(moment.timestamp()) == "2025-01-31 14:05:09 UTC"
    assert format_utc(in_paris) == "2025-01-31 14:05:09 UTC"


def test_a_missing_moment_is_a_dash() -> None:
    assert format_utc(None) == "-"
