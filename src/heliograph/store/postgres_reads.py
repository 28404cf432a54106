"""Reads (message views, queue depth) and the callback outbox, in PostgreSQL's dialect.

Each read is one statement, so a message and its parts come from one snapshot.
Callback claims lease rows with ``FOR UPDATE SKIP LOCKED``: the callback
workers of all nodes share the outbox and never send one event twice at once.
Events for an SMPP client (format ``"smpp"``) are claimed only by the node
holding a receiver bind of its account (schema 7, ``client_binds``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from heliograph.domain.messages import MessageState, MessageView, PartView
from heliograph.store.base import CallbackJob, CallbackRetry, MessageFilter, QueueDepth
from heliograph.store.postgres_engine import Conn, Record
from heliograph.store.rows import PART_COLUMNS, VIEW_COLUMNS, message_view, part_view

S = MessageState

# --- reads ---------------------------------------------------------------------------------

_VIEW_COLUMNS = VIEW_COLUMNS
_PART_COLUMNS = PART_COLUMNS


def _views(rows: Sequence[Record]) -> list[MessageView]:
    """Message views from rows of message columns followed by part columns, grouped."""
    heads: dict[str, Record] = {}
    parts: dict[str, list[PartView]] = {}
    for r in rows:
        if r[0] not in heads:
            heads[r[0]] = r
            parts[r[0]] = []
        if r[16] is not None:
            parts[r[0]].append(part_view(r, 16))
    return [message_view(r, parts[mid]) for mid, r in heads.items()]


async def get_message(conn: Conn, account_id: str, message_id: str) -> MessageView | None:
    rows = await conn.fetch(
        f"SELECT {_VIEW_COLUMNS}, {_PART_COLUMNS} FROM messages m"
        " LEFT JOIN parts p ON p.message_id = m.id"
        " WHERE m.id = $1 AND m.account_id = $2 ORDER BY p.seq",
        message_id,
        account_id,
    )
    views = _views(rows)
    return views[0] if views else None


async def list_messages(
    conn: Conn, account_id: str, flt: MessageFilter, before: str | None, limit: int
) -> list[MessageView]:
    where = ["m.account_id = $1"]
    params: list[Any] = [account_id]
    for clause, value in (
        ("m.id < ${}", before),
        ("m.state = ${}", flt.state.value if flt.state else None),
        ("m.recipient = ${}", flt.to),
        ("m.created_at >= ${}", flt.created_from),
        ("m.created_at < ${}", flt.created_to),
    ):
        if value is not None:
            params.append(value)
            where.append(clause.format(len(params)))
    params.append(limit)
    rows = await conn.fetch(
        f"WITH m AS (SELECT {_VIEW_COLUMNS} FROM messages m WHERE {' AND '.join(where)}"
        f" ORDER BY m.id DESC LIMIT ${len(params)})"
        f" SELECT m.*, {_PART_COLUMNS} FROM m LEFT JOIN parts p ON p.message_id = m.id"
        " ORDER BY m.id DESC, p.seq",
        *params,
    )
    return _views(rows)


async def queue_depth(conn: Conn) -> QueueDepth:
    row = await conn.fetchrow(
        "SELECT (SELECT count(DISTINCT message_id) FROM parts WHERE state = 'scheduled'),"
        " (SELECT count(*) FROM parts WHERE state = 'queued'),"
        " (SELECT count(*) FROM parts WHERE state = 'sending'),"
        " (SELECT count(*) FROM callbacks)"
    )
    return QueueDepth(scheduled=row[0], queued=row[1], sending=row[2], sent=0, callbacks=row[3])


# --- callbacks -----------------------------------------------------------------------------

# "smpp" events go to the node holding a receiver bind of the account ($4: the accounts
# bound on this node); those of accounts bound on no live node are anyone's (held).
_CLAIM_CALLBACKS = """
WITH c AS (
    SELECT cb.id, a.callback_secret FROM callbacks cb JOIN accounts a ON a.id = cb.account_id
    WHERE cb.next_attempt_at <= $1
      AND (cb.format <> 'smpp' OR cb.account_id = ANY($4::text[]) OR NOT EXISTS (
        SELECT 1 FROM client_binds b JOIN nodes n ON n.id = b.node
        WHERE b.account_id = cb.account_id AND n.expires_at > $1
          AND n.stopped_at IS NULL AND n.taken_over_at IS NULL))
    ORDER BY cb.next_attempt_at, cb.id
    LIMIT $2
    FOR UPDATE OF cb SKIP LOCKED
)
UPDATE callbacks AS cb SET next_attempt_at = $1 + $3, attempts = cb.attempts + 1
FROM c WHERE cb.id = c.id
RETURNING cb.id, cb.account_id, cb.message_id, cb.url, cb.format, cb.body, c.callback_secret,
    cb.attempts, cb.created_at
"""


async def claim_callbacks(
    conn: Conn, now: float, limit: int, lease_s: float, receivers: Sequence[str] = ()
) -> list[CallbackJob]:
    """Lease due outbox events; "smpp" ones only of ``receivers`` (accounts bound here) or
    of accounts bound on no live node."""
    rows = await conn.fetch(_CLAIM_CALLBACKS, now, limit, lease_s, list(receivers))
    return [
        CallbackJob(
            id=r[0],
            account_id=r[1],
            message_id=r[2],
            url=r[3],
            format=r[4],
            body=bytes(r[5]),
            secret=r[6],
            attempts=r[7],
            created_at=r[8],
        )
        for r in sorted(rows, key=lambda r: r[0])
    ]


async def finish_callbacks(
    conn: Conn, done: Sequence[int], retry: Sequence[CallbackRetry], dead: Sequence[int]
) -> None:
    if done or dead:
        await conn.execute("DELETE FROM callbacks WHERE id = ANY($1::bigint[])", [*done, *dead])
    if retry:
        await conn.execute(
            "UPDATE callbacks AS c SET next_attempt_at = u.at, last_error = u.error"
            " FROM unnest($1::bigint[], $2::float8[], $3::text[]) AS u(id, at, error)"
            " WHERE c.id = u.id",
            [r.id for r in retry],
            [r.next_attempt_at for r in retry],
            [r.error for r in retry],
        )


async def release_callbacks(conn: Conn, account_id: str, format: str, now: float) -> int:
    status: str = await conn.execute(
        "UPDATE callbacks SET next_attempt_at = $1"
        " WHERE account_id = $2 AND format = $3 AND next_attempt_at > $1",
        now,
        account_id,
        format,
    )
    return int(status.rsplit(" ", 1)[-1])
