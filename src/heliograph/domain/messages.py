"""The neutral message model and its lifecycle.

Theory of operation
-------------------
A mobile-terminated (MT) message goes to one recipient and is carried by one or
more *parts* (one SMS each). Parts move through the states of ``MessageState``;
the message's own state is *derived* from its parts (``derive_state``), so that
there is exactly one place where the two can disagree: nowhere.

Every state change of a part or a message goes through ``transition()``, which
consults ``TRANSITIONS``, the one table of legal moves, and raises
``IllegalTransition`` otherwise. Receipts that would move a part backwards (a
late ENROUTE after DELIVRD) are not transitions and are ignored by the caller
through ``can_transition()``.

This module knows nothing about storage, protocols or time sources: ``now`` is
always an argument (seconds since the epoch, as a float).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from heliograph.domain.ids import AccountId, ConnectorId, MessageId, UpstreamId


class MessageState(StrEnum):
    ACCEPTED = "accepted"
    SCHEDULED = "scheduled"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERABLE = "undeliverable"
    EXPIRED = "expired"
    REJECTED = "rejected"
    FAILED = "failed"
    CANCELLED = "cancelled"


S = MessageState

TRANSITIONS: dict[MessageState, frozenset[MessageState]] = {
    S.ACCEPTED: frozenset({S.SCHEDULED, S.QUEUED, S.CANCELLED, S.FAILED}),
    S.SCHEDULED: frozenset({S.QUEUED, S.CANCELLED, S.EXPIRED}),
    # A multi-part message is QUEUED while one part waits for a retry. If that
    # part then expires, the message is as far along as its other parts (SENT)
    # or, when all are final, takes the worst outcome among them, which may be
    # another part's UNDELIVERABLE or REJECTED receipt.
    S.QUEUED: frozenset(
        {S.SENDING, S.SENT, S.CANCELLED, S.EXPIRED, S.FAILED, S.UNDELIVERABLE, S.REJECTED}
    ),
    # SENDING → QUEUED is a retry after a temporary upstream failure or a crash.
    # UNDELIVERABLE and REJECTED: a multi-part message whose last part in flight
    # expires takes the worst outcome of its other parts.
    S.SENDING: frozenset({S.SENT, S.QUEUED, S.FAILED, S.EXPIRED, S.UNDELIVERABLE, S.REJECTED}),
    S.SENT: frozenset({S.DELIVERED, S.UNDELIVERABLE, S.EXPIRED, S.REJECTED, S.FAILED}),
    S.DELIVERED: frozenset(),
    S.UNDELIVERABLE: frozenset(),
    S.EXPIRED: frozenset(),
    S.REJECTED: frozenset(),
    S.FAILED: frozenset(),
    S.CANCELLED: frozenset(),
}

FINAL_STATES: frozenset[MessageState] = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)

# How far a part has progressed, for deriving a message's state from its parts.
_PROGRESS = {S.ACCEPTED: 0, S.SCHEDULED: 1, S.QUEUED: 2, S.SENDING: 3, S.SENT: 4}
# Among final states, the worst outcome of any part is the message's outcome.
_SEVERITY = {
    S.DELIVERED: 0,
    S.CANCELLED: 1,
    S.EXPIRED: 2,
    S.UNDELIVERABLE: 3,
    S.REJECTED: 4,
    S.FAILED: 5,
}


class IllegalTransition(Exception):
    def __init__(self, current: MessageState, new: MessageState) -> None:
        super().__init__(f"illegal transition {current.value} → {new.value}")
        self.current = current
        self.new = new


def can_transition(current: MessageState, new: MessageState) -> bool:
    return new in TRANSITIONS[current]


def transition(current: MessageState, new: MessageState) -> MessageState:
    """Return ``new`` if the move is legal. Raises: IllegalTransition."""
    if new not in TRANSITIONS[current]:
        raise IllegalTransition(current, new)
    return new


def derive_state(part_states: list[MessageState]) -> MessageState:
    """A message's state from its parts' states.

    All parts final: the worst outcome among them (one undeliverable part makes
    the message undeliverable). Otherwise the least progressed unfinished part,
    where finished parts count as ``sent``: the message is not further along
    than its slowest part.
    """
    if len(part_states) == 1:
        return part_states[0]
    if all(s in FINAL_STATES for s in part_states):
        return max(part_states, key=_SEVERITY.__getitem__)
    return min(
        (s if s not in FINAL_STATES else S.SENT for s in part_states),
        key=_PROGRESS.__getitem__,
    )


# Not frozen, unlike the other domain values: one is built per recipient on the
# submit hot path, and a frozen dataclass's __init__ sets each of these thirty
# fields through object.__setattr__, which made planning a third slower. Nothing
# mutates one after it is planned (dataclasses.replace makes new ones).
@dataclass(slots=True, kw_only=True)
class NewMessage:
    """An accepted MT message, ready to be persisted with its parts."""

    id: MessageId
    account_id: AccountId
    to: str
    sender: str | None
    text: str
    encoding: str
    data_coding: int
    parts: int
    concat_ref: int
    state: MessageState
    reference: str | None
    callback_url: str | None
    priority: int
    created_at: float
    due_at: float
    expires_at: float | None
    callback_format: str = "json"
    price_micros: int = 0  # per part, charged when accepted, refunded for parts never sent
    # A UDH the client built itself (with UDHL): the message is that one part, sent as given.
    udh: bytes | None = None
    # Test mode: routed to the built-in "test" loopback connector, never upstream, never charged.
    test: bool = False
    # Binary content (WAP Push, vCard, OTA...): these octets are split into the parts
    # (wire.gsm.parts.split_binary) and ``text`` only describes them.
    payload: bytes | None = None
    dest_port: int | None = None  # TS 23.040 §9.2.3.24.4 application port addressing
    src_port: int | None = None
    message_class: int | None = None  # TS 23.038 §4; 0 is a flash message
    languages: frozenset[int] | None = None  # national shift tables (TS 23.038 Annex A)
    # The connector every part goes through, chosen by the client (Kannel's smsc); None:
    # the routes choose one for each part when it is sent.
    connector: ConnectorId | None = None
    # SMPP optional parameters every submit_sm of the message carries verbatim, as
    # (tag, value) pairs (Kannel's meta-data, resolved against [[smpp_tlvs]]).
    tlvs: tuple[tuple[int, bytes], ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PartView:
    seq: int
    state: MessageState
    connector: ConnectorId | None
    upstream_id: UpstreamId | None
    attempts: int
    error: str | None
    updated_at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageView:
    """A stored MT message as clients see it."""

    id: MessageId
    account_id: AccountId
    to: str
    sender: str | None
    text: str
    encoding: str
    state: MessageState
    reference: str | None
    callback_url: str | None
    priority: int
    created_at: float
    updated_at: float
    due_at: float
    expires_at: float | None
    error: str | None
    parts: tuple[PartView, ...]
    test: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class MoMessage:
    """A mobile-originated message received from upstream."""

    id: MessageId
    connector: ConnectorId
    sender: str
    to: str
    text: str
    received_at: float
    incomplete: bool = False
