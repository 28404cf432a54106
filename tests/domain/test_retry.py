"""Backoff: exponential growth, ceiling, jitter bounds, exhaustion."""

from __future__ import annotations

import pytest

from heliograph.domain.retry import Backoff


def test_backoff_grows_exponentially_without_jitter() -> None:
    b = Backoff(base_s=2.0, max_s=1e9, jitter=0.2)
    assert [b.delay_s(n, 0.0) for n in range(1, 6)] == [2.0, 4.0, 8.0, 16.0, 32.0]


def test_backoff_attempt_zero_or_below_waits_base() -> None:
    b = Backoff(base_s=3.0)
    assert b.delay_s(0, 0.0) == 3.0
    assert b.delay_s(-5, 0.0) == 3.0


def test_backoff_capped_at_max() -> None:
    b = Backoff(base_s=1.0, max_s=300.0, jitter=0.0)
    assert b.delay_s(9, 0.5) == 256.0
    assert b.delay_s(10, 0.5) == 300.0
    assert b.delay_s(60, 0.5) == 300.0


def test_backoff_capped_for_very_many_attempts() -> None:
    b = Backoff(base_s=1.0, max_s=300.0, jitter=0.0)
    assert b.delay_s(5000, 0.5) == 300.0


@pytest.mark.parametrize("attempt", [1, 3, 8, 12])
@pytest.mark.parametrize("rand", [0.0, 0.25, 0.5, 0.999999])
def test_backoff_jitter_within_bounds(attempt: int, rand: float) -> None:
    b = Backoff(base_s=1.0, max_s=300.0, jitter=0.2)
    raw = min(300.0, 2.0 ** (attempt - 1))
    delay = b.delay_s(attempt, rand)
    assert raw * 0.8 < delay <= raw


def test_backoff_jitter_spreads_delays() -> None:
    b = Backoff(base_s=10.0, max_s=300.0, jitter=0.5)
    assert b.delay_s(1, 0.0) == 10.0
    assert b.delay_s(1, 0.5) == pytest.approx(7.5)
    assert b.delay_s(1, 0.999) == pytest.approx(5.005)


def test_backoff_without_jitter_ignores_rand() -> None:
    b = Backoff(base_s=1.0, jitter=0.0)
    assert b.delay_s(4, 0.0) == b.delay_s(4, 0.9) == 8.0


def test_backoff_exhausted_at_max_attempts() -> None:
    b = Backoff(max_attempts=3)
    assert not b.exhausted(1)
    assert not b.exhausted(2)
    assert b.exhausted(3)
    assert b.exhausted(4)
