"""Rows to domain values, shared by the SQL stores (SQLite and PostgreSQL).

Both select the same columns in the same order (``VIEW_COLUMNS``, then
``PART_COLUMNS``), so one mapping serves both; only how the rows are fetched
differs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from heliograph.domain.messages import MessageState, MessageView, PartView

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
