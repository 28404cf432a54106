"""Rows to domain values, shared by the SQL stores (SQLite and PostgreSQL).

Both select the same columns in the same order (``VIEW_COLUMNS``, then
``PART_COLUMNS``), so one mapping serves both; only how the rows are fetched
differs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from heliograph.domain.ids import AccountId
from heliograph.domain.messages import MessageState, MessageView, NewMessage, PartView
from heliograph.domain.optout import Consent, ConsentAction, ConsentSource, OptOut

VIEW_COLUMNS = (
    "m.id, m.account_id, m.recipient, m.sender, m.text, m.encoding, m.state, m.reference,"
    " m.callback_url, m.priority, m.created_at, m.updated_at, m.due_at, m.expires_at, m.error,"
    " m.test"
)
PART_COLUMNS = "p.seq, p.state, p.connector, p.upstream_id, p.attempts, p.error, p.updated_at"


def part_view(r: Sequence[Any], i: int = 0) -> PartView:
    """The part whose ``PART_COLUMNS`` start at column ``i``."""
    return PartView(
        seq=r[i],
        state=MessageState(r[i + 1]),
        connector=r[i + 2],
        upstream_id=r[i + 3],
        attempts=r[i + 4],
        error=r[i + 5],
        updated_at=r[i + 6],
    )


def message_view(r: Sequence[Any], parts: Sequence[PartView]) -> MessageView:
    """The message of a ``VIEW_COLUMNS`` row, with its parts."""
    return MessageView(
        id=r[0],
        account_id=r[1],
        to=r[2],
        sender=r[3],
        text=r[4],
        encoding=r[5],
        state=MessageState(r[6]),
        reference=r[7],
        callback_url=r[8],
        priority=r[9],
        created_at=r[10],
        updated_at=r[11],
        due_at=r[12],
        expires_at=r[13],
        error=r[14],
        parts=tuple(parts),
        test=bool(r[15]),
    )


# Inserting messages: both stores write these columns in this order.
MESSAGE_COLUMNS = (
    "id", "account_id", "recipient", "sender", "text", "encoding", "data_coding", "parts",
    "concat_ref", "state", "reference", "callback_url", "callback_format", "priority",
    "created_at", "updated_at", "due_at", "expires_at", "udh", "price_micros", "test", "payload",
    "dest_port", "src_port", "message_class", "languages", "connector", "tlvs",
)  # fmt: skip
PART_INSERT_COLUMNS = (
    "message_id",
    "seq",
    "state",
    "priority",
    "due_at",
    "expires_at",
    "updated_at",
)


def message_row(m: NewMessage, languages: object) -> tuple[Any, ...]:
    """The values of ``MESSAGE_COLUMNS`` for a new message; ``languages`` is how the
    store keeps the national language tables (text on SQLite, an array on PostgreSQL)."""
    return (
        m.id,
        m.account_id,
        m.to,
        m.sender,
        m.text,
        m.encoding,
        m.data_coding,
        m.parts,
        m.concat_ref,
        m.state.value,
        m.reference,
        m.callback_url,
        m.callback_format,
        m.priority,
        m.created_at,
        m.created_at,
        m.due_at,
        m.expires_at,
        m.udh,
        m.price_micros,
        m.test,
        m.payload,
        m.dest_port,
        m.src_port,
        m.message_class,
        languages,
        m.connector,
        tlvs_json(m.tlvs),
    )


def tlvs_json(tlvs: tuple[tuple[int, bytes], ...] | None) -> str | None:
    """The ``tlvs`` column: a JSON list of [tag, hex value], NULL for none."""
    if not tlvs:
        return None
    return json.dumps([[tag, value.hex()] for tag, value in tlvs], separators=(",", ":"))


def parse_tlvs(text: str | None) -> tuple[tuple[int, bytes], ...] | None:
    """The inverse of ``tlvs_json``."""
    if not text:
        return None
    return tuple((int(tag), bytes.fromhex(value)) for tag, value in json.loads(text))


def part_rows(messages: Sequence[NewMessage]) -> list[tuple[Any, ...]]:
    """The values of ``PART_INSERT_COLUMNS`` for every part of new messages."""
    return [
        (m.id, seq, m.state.value, m.priority, m.due_at, m.expires_at, m.created_at)
        for m in messages
        for seq in range(1, m.parts + 1)
    ]


def consent(r: Sequence[Any], account_id: AccountId, number: str) -> Consent:
    """A consent record from (action, at, source, mo_id, keyword, reason)."""
    return Consent(
        account_id=account_id,
        number=number,
        action=ConsentAction(r[0]),
        at=r[1],
        source=ConsentSource(r[2]),
        mo_id=r[3],
        keyword=r[4],
        reason=r[5],
    )


# Reading an opt-out list: both stores select these columns in this order.
OPTOUT_COLUMNS = "account_id, number, since, source, mo_id, keyword, reason"


def optout(r: Sequence[Any]) -> OptOut:
    """An opt-out from an ``OPTOUT_COLUMNS`` row."""
    return OptOut(
        account_id=r[0],
        number=r[1],
        since=r[2],
        source=ConsentSource(r[3]),
        mo_id=r[4],
        keyword=r[5],
        reason=r[6],
    )
