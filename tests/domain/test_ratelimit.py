from __future__ import annotations

import math

from heliograph.domain.ratelimit import TokenBucket

T0 = 1_800_000_000.0


def test_bucket_starts_full_and_refills_at_rate() -> None:
    b = TokenBucket.full(10, 5, T0)
    assert b.take(10, T0) == 0.0
    assert math.isclose(b.take(1, T0), 0.2, abs_tol=1e-6)
    assert b.take(1, T0 + 0.2) == 0.0
    assert math.isclose(b.take(5, T0 + 0.2), 1.0, abs_tol=1e-6)


def test_bucket_never_exceeds_capacity() -> None:
    b = TokenBucket.full(10, 5, T0)
    b.take(10, T0)
    assert b.take(10, T0 + 100) == 0.0
    assert b.take(1, T0 + 100) > 0


def test_refused_take_takes_nothing() -> None:
    b = TokenBucket.full(10, 1, T0)
    assert b.take(8, T0) == 0.0
    assert b.take(5, T0) > 0
    assert b.take(2, T0) == 0.0


def test_more_than_capacity_can_never_pass() -> None:
    b = TokenBucket.full(10, 1, T0)
    assert b.take(11, T0) == float("inf")
