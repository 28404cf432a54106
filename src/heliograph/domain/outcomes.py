"""What an upstream said about a part, and what a receipt said about it later.

Upstream results are values, not exceptions (STYLE §4): a connector answers
every part with ``Accepted``, ``TemporaryFailure`` or ``PermanentFailure``, and
the dispatch service decides what to do with it. A ``Receipt`` is the neutral
form of a delivery report (SMPP 3.4 Appendix B text, the receipted_message_id
and message_state TLVs, or an HTTP upstream's callback), already translated by
the connector that received it.
"""

from __future__ import annotations

from dataclasses import dataclass

from heliograph.domain.ids import ConnectorId, UpstreamId
from heliograph.domain.messages import MessageState


# Accepted and Receipt are not frozen, unlike the other domain values: one of each
# is built per part on the hot path, where a frozen dataclass's __init__ (one
# object.__setattr__ per field) costs twice as much. Nothing mutates them.
@dataclass(slots=True, kw_only=True)
class Accepted:
    upstream_id: UpstreamId


@dataclass(frozen=True, slots=True, kw_only=True)
class TemporaryFailure:
    reason: str
    retry_after_s: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PermanentFailure:
    reason: str


SubmitOutcome = Accepted | TemporaryFailure | PermanentFailure


@dataclass(slots=True, kw_only=True)
class Receipt:
    connector: ConnectorId
    upstream_id: UpstreamId
    state: MessageState  # DELIVERED, UNDELIVERABLE, EXPIRED, REJECTED, FAILED, or SENT (enroute)
    error: str | None
    at: float


RECEIPT_STATES = frozenset(
    {
        MessageState.SENT,
        MessageState.DELIVERED,
        MessageState.UNDELIVERABLE,
        MessageState.EXPIRED,
        MessageState.REJECTED,
        MessageState.FAILED,
    }
)
