"""The models: timestamps come back as aware UTC on every database; money stays in cents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session

from shop.models import Order, OrderItem


def test_a_timestamp_is_stored_as_utc_and_loaded_aware(session: Session) -> None:
    placed_in_tokyo = datetime(2025, 3, 1, 18, 30, tzinfo=timezone(timedelta(hours=9)))
    session.add(Order(email="a@b.co", total_cents=0, created_at=placed_in_tokyo))
    session.commit()
    session.expunge_all()

    order = session.scalars(select(Order)).one()

    assert order.created_at == datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
    assert order.created_at.tzinfo is UTC


def test_a_naive_timestamp_is_refused(session: Session) -> None:
    session.add(Order(email="a@b.co", total_cents=0, created_at=datetime(2025, 3, 1, 9, 30)))

    with pytest.raises(StatementError, match="naive datetime"):
        session.commit()


def test_a_line_total_is_quantity_times_unit_price() -> None:
    assert OrderItem(quantity=3, unit_price_cents=399).line_total_cents == 1197
