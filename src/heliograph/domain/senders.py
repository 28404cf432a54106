"""Sender ids an account may use (the csoft document's PermittedReplyTo).

An account with no sender ids configured may send from any valid sender. Once
it has some, ``from`` must be one of them, and a request without ``from``
uses the default one (or none, when no default is set).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from heliograph.domain.addresses import normalize_sender
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.domain.submission import RecipientPlan


@dataclass(frozen=True, slots=True, kw_only=True)
class Senders:
    allowed: frozenset[str] = frozenset()
    default: str | None = None

    @property
    def restricted(self) -> bool:
        return bool(self.allowed)


def validate_sender(raw: str) -> str:
    """The canonical form of a sender id to store. Raises: Rejected(INVALID_SENDER)."""
    return normalize_sender(raw, field="sender")


def apply_senders(
    plans: list[RecipientPlan], requested: str | None, senders: Senders
) -> list[RecipientPlan]:
    """Check the request's sender against the account's list; fill in the default.

    Raises: Rejected(SENDER_NOT_ALLOWED) for the request as a whole.
    """
    if not senders.restricted:
        return plans
    if requested is not None:
        sender = normalize_sender(requested)
        if sender not in senders.allowed:
            raise Rejected(
                RejectReason.SENDER_NOT_ALLOWED,
                f"sender {requested!r} is not one of this account's sender ids "
                "(GET /v1/senders lists them)",
                field="from",
            )
        return plans
    if senders.default is None:
        return plans
    return [
        replace(p, message=replace(p.message, sender=senders.default))
        if p.message is not None
        else p
        for p in plans
    ]
