"""The simulated payment gateway."""

from __future__ import annotations

import random

import pytest

from shop.gateway import PaymentDeclined, SimulatedGateway


def test_a_seeded_gateway_is_repeatable() -> None:
    first = SimulatedGateway(latency_seconds=0, failure_rate=0.5, rng=random.Random(7))
    second = SimulatedGateway(latency_seconds=0, failure_rate=0.5, rng=random.Random(7))

    def outcomes(gateway: SimulatedGateway) -> list[str]:
        results = []
        for attempt in range(20):
            try:
                results.append(gateway.charge(100, f"order-{attempt}"))
            except PaymentDeclined:
                results.append("declined")
        return results

    results = outcomes(first)
    assert results == outcomes(second)
    assert "declined" in results
    assert any(result.startswith("sim_") for result in results)


def test_failure_rate_one_always_declines() -> None:
    gateway = SimulatedGateway(latency_seconds=0, failure_rate=1.0)

    with pytest.raises(PaymentDeclined, match="order-9"):
        gateway.charge(1450, "order-9")


def test_failure_rate_zero_always_charges() -> None:
    gateway = SimulatedGateway(latency_seconds=0, failure_rate=0.0)

    assert all(gateway.charge(1, f"order-{n}").startswith("sim_") for n in range(50))


@pytest.mark.parametrize(("latency", "rate"), [(-0.1, 0.0), (0.0, -0.1), (0.0, 1.1)])
def test_impossible_settings_are_refused(latency: float, rate: float) -> None:
    with pytest.raises(ValueError):
        SimulatedGateway(latency_seconds=latency, failure_rate=rate)
