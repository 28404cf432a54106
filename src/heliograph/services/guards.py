"""Per-node state of the protective rules: rate limits and duplicate/flood history.

The rules are pure (``domain.ratelimit``, ``domain.protection``); this class
keeps one token bucket per account and one ``Protection`` history, and
applies them to a submission plan. State is held in this process: in a cluster
each node enforces the rules on the traffic it receives (put a load balancer
with client affinity in front to make them exact across nodes).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from heliograph.domain.accounts import AccountRules
from heliograph.domain.protection import Protection, ProtectionRules
from heliograph.domain.ratelimit import TokenBucket
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.domain.submission import RecipientPlan


@dataclass(frozen=True, slots=True, kw_only=True)
class GuardSettings:
    rules: ProtectionRules = field(default_factory=ProtectionRules)
    rate_per_s: float = 0.0  # messages per second per account; 0 = unlimited
    burst: float = 0.0  # bucket size; 0 = one second's worth


class Guards:
    def __init__(self, settings: GuardSettings) -> None:
        self._settings = settings
        self._protection = Protection(settings.rules)
        self._buckets: dict[str, TokenBucket] = {}

    def apply(
        self,
        account_id: str,
        plans: list[RecipientPlan],
        now: float,
        rules: AccountRules | None = None,
    ) -> list[RecipientPlan]:
        """Refuse the request when over the rate; turn duplicates and floods into errors.

        ``rules``: the account's own settings, over the gateway's.
        Raises: Rejected(THROTTLED) with ``retry_after_s``.
        """
        wanted = sum(1 for p in plans if p.message is not None)
        own = rules or AccountRules()
        rate = own.rate_per_s if own.rate_per_s is not None else self._settings.rate_per_s
        burst = own.burst if own.burst is not None else self._settings.burst
        if rate > 0 and wanted:
            bucket = self._buckets.get(account_id)
            if bucket is None or (bucket.refill_per_s, bucket.capacity) != (rate, burst or rate):
                bucket = TokenBucket.full(burst or rate, rate, now)
                self._buckets[account_id] = bucket
            wait = bucket.take(wanted, now)
            if wait:
                raise Rejected(
                    RejectReason.THROTTLED,
                    f"over the rate limit of {rate:g} messages/s"
                    + (
                        f"; retry in {wait:.1f} s"
                        if wait != float("inf")
                        else f"; at most {bucket.capacity:g} recipients per request"
                    ),
                    retry_after_s=None if wait == float("inf") else wait,
                )
        out: list[RecipientPlan] = []
        for plan in plans:
            msg = plan.message
            if msg is not None:
                refused = self._protection.check(
                    account_id,
                    msg.to,
                    msg.text,
                    now,
                    duplicates=own.duplicates is not False,
                    floods=own.floods is not False,
                )
                if refused is not None:
                    plan = replace(plan, message=None, error=refused)
            out.append(plan)
        return out

    def undo(self, account_id: str, plans: list[RecipientPlan]) -> None:
        """Forget the sends of a plan that was not committed (so a retry is no duplicate)."""
        for plan in plans:
            if plan.message is not None:
                self._protection.forget(account_id, plan.message.to, plan.message.text)
