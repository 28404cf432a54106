"""Replacing and cancelling by address on PostgreSQL (``store.edits.MessageEdits``).

Each method is one transaction that first locks the message's part rows
(``FOR UPDATE``, in id order as ``postgres_lifecycle.cancel`` does): a
dispatcher on any node claims parts with ``FOR UPDATE SKIP LOCKED``, so it
either claimed a part before (and the check refuses) or skips it until the
replacement is committed. Part rows are updated in place; a replacement with
fewer parts deletes the rows beyond its count, one with more inserts them.
Cancelling goes through the lifecycle's own ``cancel`` (state table, refund,
status event).
"""

from __future__ import annotations

from heliograph.domain.ids import AccountId, MessageId
from heliograph.domain.messages import MessageView, NewMessage
from heliograph.store import postgres_lifecycle as lc
from heliograph.store.base import Conflict, LedgerKind, NotFound
from heliograph.store.edits import CHANGEABLE, SourceMismatch
from heliograph.store.postgres import PostgresStore
from heliograph.store.postgres_credit import change_balance
from heliograph.store.postgres_engine import Conn
from heliograph.store.postgres_reads import get_message

_CHANGEABLE = [s.value for s in CHANGEABLE]


async def replace(
    conn: Conn, account_id: str, m: NewMessage, sender: str | None, now: float
) -> MessageView:
    """One replacement, inside the caller's transaction (``MessageEdits.replace_message``)."""
    await conn.execute("SELECT 1 FROM parts WHERE message_id = $1 ORDER BY id FOR UPDATE", m.id)
    row = await conn.fetchrow(
        "SELECT state, sender, parts, price_micros, test,"
        " udh IS NOT NULL OR payload IS NOT NULL AS raw"
        " FROM messages WHERE id = $1 AND account_id = $2 FOR UPDATE",
        m.id,
        account_id,
    )
    if row is None:
        raise NotFound(f"no message {m.id}")
    if sender is not None and sender != row["sender"]:
        raise SourceMismatch(f"message {m.id} was not sent from {sender}")
    left = await conn.fetchval(
        "SELECT count(*) FROM parts WHERE message_id = $1 AND state <> ALL($2::text[])",
        m.id,
        _CHANGEABLE,
    )
    if row["state"] not in _CHANGEABLE or left:
        raise Conflict(f"message {m.id} is {row['state']} and can no longer be replaced")
    if row["raw"]:
        raise Conflict(f"message {m.id} carries a client's UDH or binary data")
    test, old_parts = row["test"], row["parts"]
    delta = 0 if test else m.price_micros * m.parts - row["price_micros"] * old_parts
    # a reserved price ([credit] settle = "delivery") stays reserved, at its new amount
    reserved = bool(
        await conn.fetchval("SELECT bool_or(reserved) FROM parts WHERE message_id = $1", m.id)
    )
    held = delta if reserved else 0
    if delta > 0:
        kind = LedgerKind.RESERVE if reserved else LedgerKind.CHARGE
        reason = f"replace: message {m.id}"
        await change_balance(conn, account_id, -delta, reason, now, kind, held)
    elif delta < 0:
        reason = f"refund: message {m.id} replaced"
        await change_balance(conn, account_id, -delta, reason, now, LedgerKind.REFUND, held)
    await conn.execute(
        "UPDATE messages SET text = $2, encoding = $3, data_coding = $4, parts = $5,"
        " concat_ref = $6, state = $7, callback_url = $8, callback_format = $9,"
        " updated_at = $10, due_at = $11, expires_at = $12, price_micros = $13,"
        " languages = $14::int[], message_class = $15, error = NULL WHERE id = $1",
        m.id,
        m.text,
        m.encoding,
        m.data_coding,
        m.parts,
        m.concat_ref,
        m.state.value,
        m.callback_url,
        m.callback_format,
        now,
        m.due_at,
        m.expires_at,
        0 if test else m.price_micros,
        sorted(m.languages) if m.languages else None,
        m.message_class,
    )
    await conn.execute(
        "UPDATE parts SET state = $2, due_at = $3, expires_at = $4, updated_at = $5,"
        " error = NULL WHERE message_id = $1 AND seq <= $6",
        m.id,
        m.state.value,
        m.due_at,
        m.expires_at,
        now,
        m.parts,
    )
    await conn.execute("DELETE FROM parts WHERE message_id = $1 AND seq > $2", m.id, m.parts)
    if m.parts > old_parts:
        await conn.execute(
            "INSERT INTO parts (message_id, seq, state, priority, due_at, expires_at, updated_at,"
            " reserved) SELECT $1, g, $2, $3, $4, $5, $6, $9"
            " FROM generate_series($7::int, $8::int) AS g",
            m.id,
            m.state.value,
            m.priority,
            m.due_at,
            m.expires_at,
            now,
            old_parts + 1,
            m.parts,
            reserved,
        )
    view = await get_message(conn, account_id, m.id)
    assert view is not None
    return view


async def cancel_matching(
    conn: Conn, account_id: str, to: str, sender: str | None, now: float
) -> list[MessageId]:
    """Cancel by address, inside the caller's transaction (``MessageEdits.cancel_matching``)."""
    rows = await conn.fetch(
        "SELECT m.id FROM messages m WHERE m.account_id = $1 AND m.recipient = $2"
        " AND m.state = ANY($3::text[]) AND ($4::text IS NULL OR m.sender = $4)"
        " ORDER BY m.id",
        account_id,
        to,
        _CHANGEABLE,
        sender,
    )
    cancelled: list[MessageId] = []
    for row in rows:
        # lc.cancel locks the parts and checks them again; one claimed meanwhile is skipped
        try:
            await _cancel_one(conn, account_id, row["id"], now)
        except Conflict:
            continue
        cancelled.append(MessageId(row["id"]))
    return cancelled


async def _cancel_one(conn: Conn, account_id: str, message_id: str, now: float) -> None:
    async with conn.transaction():  # a savepoint: a refused one leaves the others alone
        await lc.cancel(conn, account_id, message_id, now)


class PostgresMessageEdits:
    def __init__(self, store: PostgresStore) -> None:
        self._store = store

    async def replace_message(
        self, account_id: AccountId, message: NewMessage, now: float, *, sender: str | None = None
    ) -> MessageView:
        return await self._store.db.write(
            lambda conn: replace(conn, account_id, message, sender, now)
        )

    async def cancel_matching(
        self, account_id: AccountId, *, to: str, sender: str | None, now: float
    ) -> list[MessageId]:
        return await self._store.db.write(
            lambda conn: cancel_matching(conn, account_id, to, sender, now)
        )
