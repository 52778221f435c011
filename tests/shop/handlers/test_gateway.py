"""The simulated payment gateway: seeded failures, and one charge per idempotency key."""

from __future__ import annotations

import random
import threading

import pytest
from sqlalchemy import select

from shop.db import Database
from shop.handlers.gateway import (
    GatewayCharge,
    IdempotencyKeyReused,
    PaymentDeclined,
    SimulatedGateway,
)


def gateway(
    database: Database, failure_rate: float = 0.0, seed: int | None = None, latency: float = 0
) -> SimulatedGateway:
    """Return a gateway keeping its ledger in the test's database."""
    return SimulatedGateway(database.sessions, latency, failure_rate, rng=random.Random(seed))


def charges(database: Database) -> list[GatewayCharge]:
    """Return every charge the gateway recorded."""
    with database.sessions() as session:
        return list(session.scalars(select(GatewayCharge).order_by(GatewayCharge.id)))


def test_a_seeded_gateway_is_repeatable(database: Database) -> None:
    def outcomes(gateway: SimulatedGateway, name: str) -> list[str]:
        results = []
        for attempt in range(20):
            try:
                gateway.charge(100, f"{name}-{attempt}")
                results.append("charged")
            except PaymentDeclined:
                results.append("declined")
        return results

    results = outcomes(gateway(database, 0.5, seed=7), "first")
    assert results == outcomes(gateway(database, 0.5, seed=7), "second")
    assert {"declined", "charged"} == set(results)


def test_failure_rate_one_always_declines(database: Database) -> None:
    with pytest.raises(PaymentDeclined, match="order-9"):
        gateway(database, failure_rate=1.0).charge(1450, "order-9")

    assert charges(database) == []


def test_failure_rate_zero_always_charges(database: Database) -> None:
    references = [gateway(database).charge(1, f"order-{n}") for n in range(20)]

    assert all(reference.startswith("sim_") for reference in references)
    assert len(charges(database)) == 20


def test_a_second_charge_with_a_key_returns_the_first_and_charges_nothing(
    database: Database,
) -> None:
    first = gateway(database, seed=1).charge(1450, "order-7")

    again = gateway(database, seed=2).charge(1450, "order-7")

    assert again == first
    assert [(charge.idempotency_key, charge.reference) for charge in charges(database)] == [
        ("order-7", first)
    ]


def test_a_key_reused_for_another_amount_is_refused(database: Database) -> None:
    gateway(database).charge(1450, "order-7")

    with pytest.raises(IdempotencyKeyReused, match="1450 cents, not 999"):
        gateway(database).charge(999, "order-7")


def test_a_declined_attempt_is_not_remembered_so_a_retry_can_succeed(database: Database) -> None:
    with pytest.raises(PaymentDeclined):
        gateway(database, failure_rate=1.0).charge(1450, "order-7")

    reference = gateway(database).charge(1450, "order-7")

    assert [charge.reference for charge in charges(database)] == [reference]


def test_concurrent_charges_with_one_key_charge_once(database: Database) -> None:
    # Given eight threads charging one key at once, each past the "already charged?" check
    shared = gateway(database, latency=0.2)
    start = threading.Barrier(8)
    references: list[str] = []

    def charge() -> None:
        start.wait()
        references.append(shared.charge(1450, "order-7"))

    threads = [threading.Thread(target=charge) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then one charge was made, and every caller got its reference
    [charge_made] = charges(database)
    assert references == [charge_made.reference] * 8


@pytest.mark.parametrize(("latency", "rate"), [(-0.1, 0.0), (0.0, -0.1), (0.0, 1.1)])
def test_impossible_settings_are_refused(database: Database, latency: float, rate: float) -> None:
    with pytest.raises(ValueError):
        SimulatedGateway(database.sessions, latency_seconds=latency, failure_rate=rate)
