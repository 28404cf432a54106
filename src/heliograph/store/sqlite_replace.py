"""Replacing and cancelling by address on SQLite (``store.edits.MessageEdits``).

Kept beside ``SqliteStore`` rather than in it, like ``sqlite_books``: each
method is one writer job (one transaction, the writer being the only one), so
the check that every part is still scheduled or queued and the change are
atomic: the dispatcher's claims go through the same writer. Part rows are
updated in place; a replacement with fewer parts deletes the rows beyond its
count, one with more inserts them. Cancelling goes through the lifecycle's
own ``cancel`` (state table, refund, status event).
"""

from __future__ import annotations

import sqlite3

from heliograph.domain.ids import AccountId, MessageId
from heliograph.domain.messages import MessageView, NewMessage
from heliograph.store import sqlite_lifecycle as lc
from heliograph.store.base import Conflict, LedgerKind, NotFound
from heliograph.store.edits import CHANGEABLE, SourceMismatch
from heliograph.store.rows import PART_INSERT_COLUMNS
from heliograph.store.sqlite import SqliteStore

_CHANGEABLE = tuple(s.value for s in CHANGEABLE)


def replace(
    conn: sqlite3.Connection, account_id: str, m: NewMessage, sender: str | None, now: float
) -> MessageView:
    """One replacement, inside the caller's transaction (``MessageEdits.replace_message``)."""
    row = conn.execute(
        "SELECT state, sender, parts, price_micros, test, udh IS NOT NULL OR payload IS NOT NULL"
        " FROM messages WHERE id = ? AND account_id = ?",
        (m.id, account_id),
    ).fetchone()
    if row is None:
        raise NotFound(f"no message {m.id}")
    state, stored_sender, old_parts, old_price, test, raw = row
    if sender is not None and sender != stored_sender:
        raise SourceMismatch(f"message {m.id} was not sent from {sender}")
    left = conn.execute(
        "SELECT count(*) FROM parts WHERE message_id = ? AND state NOT IN (?, ?)",
        (m.id, *_CHANGEABLE),
    ).fetchone()[0]
    if state not in _CHANGEABLE or left:
        raise Conflict(f"message {m.id} is {state} and can no longer be replaced")
    if raw:
        raise Conflict(f"message {m.id} carries a client's UDH or binary data")
    delta = 0 if test else m.price_micros * m.parts - old_price * old_parts
    # a reserved price ([credit] settle = "delivery") stays reserved, at its new amount
    reserved = bool(
        conn.execute("SELECT max(reserved) FROM parts WHERE message_id = ?", (m.id,)).fetchone()[0]
    )
    held = delta if reserved else 0
    if delta > 0:
        kind = LedgerKind.RESERVE if reserved else LedgerKind.CHARGE
        lc.change_balance(conn, account_id, -delta, f"replace: message {m.id}", now, kind, held)
    elif delta < 0:
        reason = f"refund: message {m.id} replaced"
        lc.change_balance(conn, account_id, -delta, reason, now, LedgerKind.REFUND, held)
    conn.execute(
        "UPDATE messages SET text = ?, encoding = ?, data_coding = ?, parts = ?, concat_ref = ?,"
        " state = ?, callback_url = ?, callback_format = ?, updated_at = ?, due_at = ?,"
        " expires_at = ?, price_micros = ?, languages = ?, message_class = ?, error = NULL"
        " WHERE id = ?",
        (
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
            lc.format_languages(m.languages),
            m.message_class,
            m.id,
        ),
    )
    conn.execute(
        "UPDATE parts SET state = ?, due_at = ?, expires_at = ?, updated_at = ?, error = NULL"
        " WHERE message_id = ? AND seq <= ?",
        (m.state.value, m.due_at, m.expires_at, now, m.id, m.parts),
    )
    conn.execute("DELETE FROM parts WHERE message_id = ? AND seq > ?", (m.id, m.parts))
    conn.executemany(
        f"INSERT INTO parts ({', '.join(PART_INSERT_COLUMNS)})"
        f" VALUES ({', '.join('?' * len(PART_INSERT_COLUMNS))})",
        [
            (m.id, seq, m.state.value, m.priority, m.due_at, m.expires_at, now)
            for seq in range(old_parts + 1, m.parts + 1)
        ],
    )
    if reserved and m.parts > old_parts:
        conn.execute(
            "UPDATE parts SET reserved = 1 WHERE message_id = ? AND seq > ?", (m.id, old_parts)
        )
    view = lc.get_message(conn, account_id, m.id)
    assert view is not None
    return view


def cancel_matching(
    conn: sqlite3.Connection, account_id: str, to: str, sender: str | None, now: float
) -> list[MessageId]:
    """Cancel by address, inside the caller's transaction (``MessageEdits.cancel_matching``)."""
    sql = (
        "SELECT m.id FROM messages m WHERE m.account_id = ? AND m.recipient = ?"
        " AND m.state IN (?, ?)"
        " AND NOT EXISTS (SELECT 1 FROM parts p WHERE p.message_id = m.id"
        " AND p.state NOT IN (?, ?))"
    )
    params: list[object] = [account_id, to, *_CHANGEABLE, *_CHANGEABLE]
    if sender is not None:
        sql += " AND m.sender = ?"
        params.append(sender)
    cancelled: list[MessageId] = []
    for (message_id,) in conn.execute(sql + " ORDER BY m.id", params).fetchall():
        view = lc.get_message(conn, account_id, message_id)
        assert view is not None
        lc.cancel(conn, view, now)
        cancelled.append(MessageId(message_id))
    return cancelled


class SqliteMessageEdits:
    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    async def replace_message(
        self, account_id: AccountId, message: NewMessage, now: float, *, sender: str | None = None
    ) -> MessageView:
        return await self._store._write(
            lambda conn: replace(conn, account_id, message, sender, now)
        )

    async def cancel_matching(
        self, account_id: AccountId, *, to: str, sender: str | None, now: float
    ) -> list[MessageId]:
        return await self._store._write(
            lambda conn: cancel_matching(conn, account_id, to, sender, now)
        )
