"""Token bucket rate limits (per account), with time passed in.

A bucket holds at most ``capacity`` tokens and gains ``refill_per_s`` per
second; taking ``n`` tokens succeeds when that many are there. A refusal says
how long until ``n`` tokens will be there, which edges pass on (HTTP
``Retry-After``; SMPP clients retry after ESME_RTHROTTLED).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class TokenBucket:
    capacity: float
    refill_per_s: float
    tokens: float
    updated_at: float

    @classmethod
    def full(cls, capacity: float, refill_per_s: float, now: float) -> TokenBucket:
        return cls(capacity=capacity, refill_per_s=refill_per_s, tokens=capacity, updated_at=now)

    def take(self, n: float, now: float) -> float:
        """Take ``n`` tokens. Returns 0.0 on success, else the seconds to wait (nothing taken)."""
        if now > self.updated_at:
            self.tokens = min(
                self.capacity, self.tokens + (now - self.updated_at) * self.refill_per_s
            )
            self.updated_at = now
        if n <= self.tokens:
            self.tokens -= n
            return 0.0
        if n > self.capacity or self.refill_per_s <= 0:
            return float("inf")
        return (n - self.tokens) / self.refill_per_s
