"""Backoff schedules for upstream resubmits and client callbacks.

Exponential backoff with full jitter over a bounded ceiling: attempt ``n``
(1-based) waits ``base * 2**(n-1)`` capped at ``max_s``, of which a fraction
``jitter`` is randomised by ``rand`` in [0, 1) supplied by the caller, so that
the schedule is testable and many parts failing together do not retry together.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class Backoff:
    base_s: float = 1.0
    max_s: float = 300.0
    jitter: float = 0.2
    max_attempts: int = 10

    def delay_s(self, attempt: int, rand: float) -> float:
        raw = min(self.max_s, self.base_s * 2.0 ** min(max(0, attempt - 1), 64))
        return raw * (1.0 - self.jitter * rand)

    def exhausted(self, attempt: int) -> bool:
        return attempt >= self.max_attempts
