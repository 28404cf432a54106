"""Message and part lifecycle in SQL (SQLite dialect), run inside writer jobs.

Each function here runs in the writer thread inside the caller's transaction.
Part updates are written first; then every touched message's state is derived
from its parts (``domain.messages.derive_state``), moved with ``transition()``
(an illegal move raises and rolls the job back), and, when the message has a
callback URL, a status event is added to the callback outbox in the same
transaction, so a committed change and its callback cannot be separated.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from heliograph.domain.events import status_event
from heliograph.domain.ids import AccountId, MessageId, PartId
from heliograph.domain.messages import (
    FINAL_STATES,
    MessageState,
    MessageView,
    NewMessage,
    PartView,
    can_transition,
    derive_state,
    transition,
)
from heliograph.domain.outcomes import Receipt
from heliograph.store.base import (
    Balance,
    CallbackJob,
    CallbackRetry,
    Changes,
    ClaimedPart,
    Conflict,
    InsufficientCredit,
    LedgerEntry,
    LedgerKind,
    MessageFilter,
    NotFound,
    PartResult,
    QueueDepth,
)
from heliograph.store.rows import (
    MESSAGE_COLUMNS,
    PART_COLUMNS,
    PART_INSERT_COLUMNS,
    VIEW_COLUMNS,
    message_row,
    message_view,
    parse_tlvs,
    part_rows,
    part_view,
)

S = MessageState
# Row text to state: a dict lookup (MessageState(text) costs ten times as much, per row).
_STATE: dict[str, MessageState] = {state.value: state for state in MessageState}
_CHUNK = 500
PENDING_RECEIPT_TTL_S = 3600.0
_encode_json = msgspec.json.Encoder().encode


@dataclass(slots=True)
class _Msg:
    id: str
    account_id: str
    state: MessageState
    parts: int
    callback_url: str | None
    reference: str | None
    recipient: str
    sender: str | None
    callback_format: str
    price_micros: int


_MSG_COLUMNS = (
    "m.id, m.account_id, m.state, m.parts, m.callback_url, m.reference, m.recipient,"
    " m.sender, m.callback_format, m.price_micros"
)


def _msg(row: Sequence[Any], offset: int = 0) -> _Msg:
    return _Msg(
        row[offset],
        row[offset + 1],
        _STATE[row[offset + 2]],
        row[offset + 3],
        row[offset + 4],
        row[offset + 5],
        row[offset + 6],
        row[offset + 7],
        row[offset + 8],
        row[offset + 9],
    )


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


# Rows updated alike go in one statement, their ids in one JSON array: one
# statement step instead of one per row (each step hands the interpreter lock
# to the event loop and takes it back), and three times less work per row.
_IDS = "(SELECT value FROM json_each(?))"


def _json(rows: Sequence[Any]) -> str:
    """Ids or rows as a JSON array, for ``json_each``."""
    return _encode_json(rows).decode()


def _marks(n: int) -> str:
    return ",".join("?" * n)


def _advance(
    conn: sqlite3.Connection,
    msgs: dict[str, _Msg],
    single: dict[str, MessageState],
    errors: dict[str, str | None],
    now: float,
    changes: Changes,
    upstream: dict[str, tuple[str, str]] | None = None,
) -> None:
    """Derive and store the state of every touched message; queue callbacks.

    ``single`` holds the new part state of single-part messages, which is the
    message's state; multi-part messages are read back from their parts.
    ``upstream``: per message, the (connector, upstream id) of the part whose
    result or receipt is being applied, for the status event.
    """
    updates: dict[tuple[MessageState, str | None], list[str]] = {}
    callbacks: list[tuple[str, str, str, str, bytes, float, float]] = []
    for mid, msg in msgs.items():
        new = single.get(mid)
        if new is None:
            states = [_STATE[r[0]] for r in conn.execute(_PART_STATES, (mid,))]
            new = derive_state(states)
        if new == msg.state:
            continue
        transition(msg.state, new)
        error = errors.get(mid)
        updates.setdefault((new, error), []).append(mid)
        changes.states[new] += 1
        if msg.callback_url:
            connector, upstream_id = (upstream or {}).get(mid, (None, None))
            event = status_event(
                message_id=mid,
                reference=msg.reference,
                to=msg.recipient,
                sender=msg.sender,
                state=new,
                previous=msg.state,
                parts=msg.parts,
                error=error,
                at=now,
                connector=connector,
                upstream_id=upstream_id,
            )
            callbacks.append(
                (
                    msg.account_id,
                    mid,
                    msg.callback_url,
                    msg.callback_format,
                    _encode_json(event),
                    now,
                    now,
                )
            )
        msg.state = new
    for (new, error), ids in updates.items():
        conn.execute(
            "UPDATE messages SET state = ?, updated_at = ?, error = COALESCE(?, error)"
            f" WHERE id IN {_IDS}",
            (new, now, error, _json(ids)),
        )
    if callbacks:
        changes.callbacks += len(callbacks)
        conn.executemany(
            "INSERT INTO callbacks (account_id, message_id, url, format, body, next_attempt_at,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            callbacks,
        )


_PART_STATES = "SELECT state FROM parts WHERE message_id = ? ORDER BY seq"


def balance(conn: sqlite3.Connection, account_id: str) -> Balance:
    row = conn.execute(
        "SELECT balance_micros, currency, reserved_micros FROM accounts WHERE id = ?",
        (account_id,),
    ).fetchone()
    if row is None:
        raise NotFound(f"no account {account_id}")
    return Balance(
        account_id=AccountId(account_id),
        balance_micros=row[0],
        currency=row[1],
        reserved_micros=row[2],
    )


def change_balance(
    conn: sqlite3.Connection,
    account_id: str,
    delta_micros: int,
    reason: str,
    now: float,
    kind: LedgerKind = LedgerKind.ADJUST,
    reserve_change_micros: int = 0,
) -> int:
    """Add ``delta_micros`` (negative: take) to the available balance and
    ``reserve_change_micros`` to the reserved amount; write the ledger row.
    Returns the available balance.

    Raises: NotFound; InsufficientCredit when the balance would go below zero.
    """
    row = conn.execute(
        "UPDATE accounts SET balance_micros = balance_micros + ?,"
        " reserved_micros = reserved_micros + ?"
        " WHERE id = ? AND balance_micros + ? >= 0 RETURNING balance_micros",
        (delta_micros, reserve_change_micros, account_id, delta_micros),
    ).fetchone()
    if row is None:
        current = balance(conn, account_id)
        raise InsufficientCredit(-delta_micros, current.balance_micros)
    conn.execute(
        "INSERT INTO ledger (account_id, amount_micros, balance_micros, reason, at, kind,"
        " reserve_change_micros) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (account_id, delta_micros, row[0], reason, now, kind, reserve_change_micros),
    )
    return int(row[0])


def ledger(conn: sqlite3.Connection, account_id: str, limit: int) -> list[LedgerEntry]:
    rows = conn.execute(
        "SELECT id, account_id, kind, amount_micros, reserve_change_micros, balance_micros,"
        " reason, at FROM ledger WHERE account_id = ? ORDER BY id DESC LIMIT ?",
        (account_id, limit),
    )
    return [
        LedgerEntry(
            id=r[0],
            account_id=AccountId(r[1]),
            kind=LedgerKind(r[2]),
            amount_micros=r[3],
            reserve_change_micros=r[4],
            balance_micros=r[5],
            reason=r[6],
            at=r[7],
        )
        for r in rows
    ]


# A part that ends in one of these straight from queued or sending never
# reached an upstream: its price goes back.
_NEVER_SENT_ENDS = frozenset({MessageState.FAILED, MessageState.EXPIRED, MessageState.CANCELLED})
UNRECEIPTED_ERROR = "no final receipt within the validity period"


def _refund(conn: sqlite3.Connection, refunds: dict[str, int], reason: str, now: float) -> None:
    """Give back the price of parts that ended without reaching an upstream."""
    for account_id, micros in refunds.items():
        if micros:
            change_balance(conn, account_id, micros, reason, now, LedgerKind.REFUND)


def _hold(held: dict[tuple[str, bool], int], msg: _Msg, state: MessageState) -> None:
    """A part whose price is reserved moved to ``state``: when that is final, the
    price settles (delivered) or goes back (any other end). Applied by ``_release``."""
    if state in FINAL_STATES and msg.price_micros:
        key = (msg.account_id, state is S.DELIVERED)
        held[key] = held.get(key, 0) + msg.price_micros


def _release(
    conn: sqlite3.Connection, held: dict[tuple[str, bool], int], reason: str, now: float
) -> None:
    """Settle or refund the reserved prices collected by ``_hold``."""
    for (account_id, delivered), micros in sorted(held.items()):
        if delivered:
            change_balance(
                conn, account_id, 0, "settle: parts delivered", now, LedgerKind.SETTLE, -micros
            )
        else:
            change_balance(conn, account_id, micros, reason, now, LedgerKind.REFUND, -micros)


def format_languages(languages: frozenset[int] | None) -> str | None:
    return ",".join(str(i) for i in sorted(languages)) if languages else None


def parse_languages(text: str | None) -> frozenset[int] | None:
    return frozenset(int(i) for i in text.split(",")) if text else None


def insert_messages(
    conn: sqlite3.Connection, messages: Sequence[NewMessage], *, reserved: bool = False
) -> None:
    """``reserved``: the parts' price is held until their final state (settle = "delivery")."""
    conn.executemany(
        f"INSERT INTO messages ({', '.join(MESSAGE_COLUMNS)})"
        f" VALUES ({_marks(len(MESSAGE_COLUMNS))})",
        [message_row(m, format_languages(m.languages)) for m in messages],
    )
    conn.executemany(
        f"INSERT INTO parts ({', '.join(PART_INSERT_COLUMNS)})"
        f" VALUES ({_marks(len(PART_INSERT_COLUMNS))})",
        part_rows(messages),
    )
    if reserved:
        for chunk in _chunks([m.id for m in messages]):
            conn.execute(
                f"UPDATE parts SET reserved = 1 WHERE message_id IN ({_marks(len(chunk))})",
                chunk,
            )


_CLAIM = (
    "SELECT p.id, p.seq, p.attempts, p.expires_at, " + _MSG_COLUMNS + ", m.text,"
    " m.encoding, m.data_coding, m.concat_ref, m.priority, m.udh, m.test, m.payload,"
    " m.dest_port, m.src_port, m.message_class, m.languages, p.reserved, m.connector,"
    " m.tlvs"
    " FROM parts p JOIN messages m ON m.id = p.message_id"
    " WHERE p.state = 'queued' AND p.due_at <= ?"
    " ORDER BY p.priority DESC, p.due_at LIMIT ?"
)


def claim_parts(
    conn: sqlite3.Connection, now: float, limit: int
) -> tuple[list[ClaimedPart], Changes]:
    changes = Changes()
    claimed: list[ClaimedPart] = []
    sending: list[int] = []
    expired: list[int] = []
    msgs: dict[str, _Msg] = {}
    single: dict[str, MessageState] = {}
    errors: dict[str, str | None] = {}
    refunds: dict[str, int] = {}
    held: dict[tuple[str, bool], int] = {}
    for row in conn.execute(_CLAIM, (now, limit)).fetchall():
        part_id, seq, attempts, expires_at = row[0], row[1], row[2], row[3]
        msg = _msg(row, 4)
        msgs[msg.id] = msg
        if expires_at is not None and expires_at <= now:
            new = S.EXPIRED
            expired.append(part_id)
            errors[msg.id] = "validity period passed before the part could be sent"
            if row[26]:
                _hold(held, msg, new)
            else:
                refunds[msg.account_id] = refunds.get(msg.account_id, 0) + msg.price_micros
        else:
            new = S.SENDING
            attempts += 1
            sending.append(part_id)
            claimed.append(
                ClaimedPart(
                    part_id=PartId(part_id),
                    message_id=MessageId(msg.id),
                    account_id=AccountId(msg.account_id),
                    seq=seq,
                    parts=msg.parts,
                    to=msg.recipient,
                    sender=msg.sender,
                    text=row[14],
                    encoding=row[15],
                    data_coding=row[16],
                    concat_ref=row[17],
                    priority=row[18],
                    attempts=attempts,
                    expires_at=expires_at,
                    udh=row[19],
                    test=bool(row[20]),
                    payload=row[21],
                    dest_port=row[22],
                    src_port=row[23],
                    message_class=row[24],
                    languages=parse_languages(row[25]),
                    forced=row[27],
                    tlvs=parse_tlvs(row[28]),
                )
            )
        if msg.parts == 1:
            single[msg.id] = new
    if sending:
        conn.execute(
            "UPDATE parts SET state = 'sending', attempts = attempts + 1, updated_at = ?"
            f" WHERE id IN {_IDS}",
            (now, _json(sending)),
        )
    if expired:
        conn.execute(
            f"UPDATE parts SET state = 'expired', updated_at = ? WHERE id IN {_IDS}",
            (now, _json(expired)),
        )
    _advance(conn, msgs, single, errors, now, changes)
    _refund(conn, refunds, "refund: parts expired before sending", now)
    if held:
        _release(conn, held, "refund: parts expired before sending", now)
    return claimed, changes


def _load_parts(
    conn: sqlite3.Connection, part_ids: Sequence[int]
) -> dict[int, tuple[MessageState, _Msg, int]]:
    """Per part id: its state, its message and whether its price is reserved."""
    found: dict[int, tuple[MessageState, _Msg, int]] = {}
    for chunk in _chunks(part_ids):
        sql = (
            f"SELECT p.id, p.state, {_MSG_COLUMNS}, p.reserved FROM parts p"
            f" JOIN messages m ON m.id = p.message_id WHERE p.id IN ({_marks(len(chunk))})"
        )
        for row in conn.execute(sql, chunk):
            found[row[0]] = (_STATE[row[1]], _msg(row, 2), row[12])
    return found


def record_results(conn: sqlite3.Connection, results: Sequence[PartResult], now: float) -> Changes:
    changes = Changes()
    current = _load_parts(conn, [r.part_id for r in results])
    msgs: dict[str, _Msg] = {}
    single: dict[str, MessageState] = {}
    errors: dict[str, str | None] = {}
    updates = []
    accepted: list[tuple[str, str]] = []
    upstream: dict[str, tuple[str, str]] = {}
    refunds: dict[str, int] = {}
    held: dict[tuple[str, bool], int] = {}
    for r in results:
        found = current.get(r.part_id)
        if found is None or not can_transition(found[0], r.state):
            continue  # cancelled or already recovered meanwhile
        msg = msgs.setdefault(found[1].id, found[1])
        if found[2]:
            _hold(held, msg, r.state)
        elif r.state in _NEVER_SENT_ENDS:
            refunds[msg.account_id] = refunds.get(msg.account_id, 0) + msg.price_micros
        updates.append((r.part_id, r.state, r.connector, r.upstream_id, r.error, r.due_at))
        if msg.parts == 1:
            single[msg.id] = r.state
        if r.error:
            errors[msg.id] = r.error
        if r.upstream_id is not None and r.connector is not None:
            accepted.append((r.connector, r.upstream_id))
            upstream[msg.id] = (r.connector, r.upstream_id)
    if updates:  # one statement, the rows as a JSON array (see _IDS)
        conn.execute(
            "UPDATE parts SET state = j.value ->> 1, connector = j.value ->> 2,"
            " upstream_id = j.value ->> 3, error = j.value ->> 4,"
            " due_at = COALESCE(j.value ->> 5, due_at), updated_at = ?"
            " FROM json_each(?) AS j WHERE parts.id = j.value ->> 0",
            (now, _json(updates)),
        )
    _advance(conn, msgs, single, errors, now, changes, upstream)
    _refund(conn, refunds, "refund: parts failed before reaching an upstream", now)
    if held:
        _release(conn, held, "refund: parts failed", now)
    if accepted and conn.execute("SELECT 1 FROM pending_receipts LIMIT 1").fetchone():
        _match_pending(conn, accepted, now, changes)
    return changes


def _match_pending(
    conn: sqlite3.Connection, accepted: Sequence[tuple[str, str]], now: float, changes: Changes
) -> None:
    """Apply receipts that arrived before their (connector, upstream id) was recorded."""
    wanted = set(accepted)
    receipts: list[Receipt] = []
    ids: list[int] = []
    for chunk in _chunks([upstream_id for _, upstream_id in accepted]):
        sql = (
            "SELECT id, connector, upstream_id, state, error, at FROM pending_receipts"
            f" WHERE upstream_id IN ({_marks(len(chunk))}) ORDER BY id"
        )
        for row in conn.execute(sql, chunk):
            if (row[1], row[2]) not in wanted:
                continue
            ids.append(row[0])
            receipts.append(
                Receipt(
                    connector=row[1],
                    upstream_id=row[2],
                    state=_STATE[row[3]],
                    error=row[4],
                    at=row[5],
                )
            )
    if not receipts:
        return
    conn.executemany("DELETE FROM pending_receipts WHERE id = ?", [(i,) for i in ids])
    changes.merge(apply_receipts(conn, receipts, now, keep_unmatched=False))


def apply_receipts(
    conn: sqlite3.Connection, receipts: Sequence[Receipt], now: float, keep_unmatched: bool = True
) -> Changes:
    changes = Changes()
    by_upstream: dict[tuple[str, str], tuple[int, MessageState, _Msg, int]] = {}
    for chunk in _chunks([r.upstream_id for r in receipts]):
        sql = (
            f"SELECT p.id, p.state, p.connector, p.upstream_id, {_MSG_COLUMNS}, p.reserved"
            f" FROM parts p JOIN messages m ON m.id = p.message_id"
            f" WHERE p.upstream_id IN ({_marks(len(chunk))})"
        )
        for row in conn.execute(sql, chunk):
            by_upstream[(row[2], row[3])] = (row[0], _STATE[row[1]], _msg(row, 4), row[14])
    msgs: dict[str, _Msg] = {}
    single: dict[str, MessageState] = {}
    errors: dict[str, str | None] = {}
    final: dict[int, tuple[MessageState, str | None]] = {}  # part: its last state, error
    pending = []
    upstream: dict[str, tuple[str, str]] = {}
    held: dict[tuple[str, bool], int] = {}
    for rc in receipts:
        found = by_upstream.get((rc.connector, rc.upstream_id))
        if found is None:
            pending.append((rc.connector, rc.upstream_id, rc.state, rc.error, rc.at, now))
            continue
        part_id, state, msg, reserved = found
        if rc.state == state or not can_transition(state, rc.state):
            continue  # intermediate (enroute) or duplicate receipt
        by_upstream[(rc.connector, rc.upstream_id)] = (part_id, rc.state, msg, reserved)
        if reserved:
            _hold(held, msg, rc.state)
        msgs.setdefault(msg.id, msg)
        upstream[msg.id] = (rc.connector, rc.upstream_id)
        earlier = final.get(part_id)  # a batch may hold two receipts for one part
        error = rc.error if rc.error is not None or earlier is None else earlier[1]
        final[part_id] = (rc.state, error)
        if msg.parts == 1:
            single[msg.id] = rc.state
        if rc.error:
            errors[msg.id] = rc.error
    updates: dict[tuple[MessageState, str | None], list[int]] = {}
    for part_id, key in final.items():
        updates.setdefault(key, []).append(part_id)
    for (state, error), ids in updates.items():
        conn.execute(
            "UPDATE parts SET state = ?, error = COALESCE(?, error), updated_at = ?"
            f" WHERE id IN {_IDS}",
            (state, error, now, _json(ids)),
        )
    _advance(conn, msgs, single, errors, now, changes, upstream)
    if held:
        _release(conn, held, "refund: parts not delivered", now)
    if keep_unmatched and pending:
        conn.executemany(
            "INSERT INTO pending_receipts (connector, upstream_id, state, error, at, received_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            pending,
        )
        changes.pending += len(pending)
    return changes


def _move_parts(
    conn: sqlite3.Connection,
    where: str,
    params: Sequence[Any],
    new: MessageState,
    error: str | None,
    now: float,
    reason: str | None = None,
) -> Changes:
    """Move every part matching ``where`` to ``new`` and advance their messages.

    ``reason``: the ledger's words for the refund when ``new`` gives prices back.
    """
    changes = Changes()
    rows = conn.execute(
        f"SELECT p.id, p.state, {_MSG_COLUMNS}, p.reserved FROM parts p"
        f" JOIN messages m ON m.id = p.message_id WHERE {where}",
        params,
    ).fetchall()
    msgs: dict[str, _Msg] = {}
    single: dict[str, MessageState] = {}
    errors: dict[str, str | None] = {}
    updates = []
    refunds: dict[str, int] = {}
    held: dict[tuple[str, bool], int] = {}
    for row in rows:
        transition(_STATE[row[1]], new)
        msg = msgs.setdefault(row[2], _msg(row, 2))
        updates.append((new, now, row[0]))
        if msg.parts == 1:
            single[msg.id] = new
        errors[msg.id] = error
        if row[12]:
            _hold(held, msg, new)
        elif new in _NEVER_SENT_ENDS:
            refunds[msg.account_id] = refunds.get(msg.account_id, 0) + msg.price_micros
    conn.executemany("UPDATE parts SET state = ?, updated_at = ? WHERE id = ?", updates)
    _advance(conn, msgs, single, errors, now, changes)
    reason = reason or f"refund: parts {new.value} before sending"
    _refund(conn, refunds, reason, now)
    if held:
        _release(conn, held, reason, now)
    changes.resent = len(updates)
    return changes


def release_scheduled(conn: sqlite3.Connection, now: float) -> Changes:
    due = [
        r[0]
        for r in conn.execute(
            "SELECT id FROM messages WHERE state = 'scheduled' AND due_at <= ? LIMIT 5000",
            (now,),
        )
    ]
    changes = Changes()
    for chunk in _chunks(due):
        part = _move_parts(
            conn, f"p.message_id IN ({_marks(len(chunk))})", chunk, S.QUEUED, None, now
        )
        changes.merge(part)
    changes.resent = 0
    return changes


def expire_pending(
    conn: sqlite3.Connection, now: float, unreceipted_before: float | None = None
) -> Changes:
    """Expire queued parts past their validity and, with ``unreceipted_before``,
    sent parts with a reserved price whose validity ended before it with no final
    receipt (their price goes back)."""
    changes = _move_parts(
        conn,
        "p.state = 'queued' AND p.expires_at <= ?",
        (now,),
        S.EXPIRED,
        "validity period passed before the part could be sent",
        now,
    )
    if unreceipted_before is not None:
        changes.merge(
            _move_parts(
                conn,
                "p.state = 'sent' AND p.reserved = 1 AND p.expires_at <= ?",
                (unreceipted_before,),
                S.EXPIRED,
                UNRECEIPTED_ERROR,
                now,
                "refund: parts sent without a final receipt",
            )
        )
    conn.execute(
        "DELETE FROM pending_receipts WHERE received_at < ?", (now - PENDING_RECEIPT_TTL_S,)
    )
    changes.resent = 0
    return changes


def recover_inflight(conn: sqlite3.Connection, now: float) -> Changes:
    return _move_parts(conn, "p.state = 'sending'", (), S.QUEUED, None, now)


def cancel(conn: sqlite3.Connection, view: MessageView, now: float) -> None:
    cancellable = {S.QUEUED, S.SCHEDULED}
    if view.state not in cancellable or any(p.state not in cancellable for p in view.parts):
        raise Conflict(f"message {view.id} is {view.state.value} and can no longer be cancelled")
    _move_parts(conn, "p.message_id = ?", (view.id,), S.CANCELLED, "cancelled by client", now)


def queue_depth(conn: sqlite3.Connection) -> QueueDepth:
    def count(sql: str) -> int:
        return int(conn.execute(sql).fetchone()[0])

    return QueueDepth(
        scheduled=count("SELECT count(*) FROM messages WHERE state = 'scheduled'"),
        queued=count("SELECT count(*) FROM parts WHERE state = 'queued'"),
        sending=count("SELECT count(*) FROM parts WHERE state = 'sending'"),
        sent=0,
        callbacks=count("SELECT count(*) FROM callbacks"),
    )


_VIEW_COLUMNS = VIEW_COLUMNS


def _views(conn: sqlite3.Connection, rows: list[Any]) -> list[MessageView]:
    parts: dict[str, list[PartView]] = {r[0]: [] for r in rows}
    for chunk in _chunks(list(parts)):
        sql = (
            f"SELECT p.message_id, {PART_COLUMNS}"
            f" FROM parts p WHERE p.message_id IN ({_marks(len(chunk))})"
            " ORDER BY p.message_id, p.seq"
        )
        for p in conn.execute(sql, chunk):
            parts[p[0]].append(part_view(p, 1))
    return [message_view(r, parts[r[0]]) for r in rows]


def get_message(conn: sqlite3.Connection, account_id: str, message_id: str) -> MessageView | None:
    rows = conn.execute(
        f"SELECT {_VIEW_COLUMNS} FROM messages m WHERE m.id = ? AND m.account_id = ?",
        (message_id, account_id),
    ).fetchall()
    views = _views(conn, rows)
    return views[0] if views else None


def list_messages(
    conn: sqlite3.Connection,
    account_id: str,
    flt: MessageFilter,
    before: str | None,
    limit: int,
) -> list[MessageView]:
    where = ["m.account_id = ?"]
    params: list[Any] = [account_id]
    for clause, value in (
        ("m.id < ?", before),
        ("m.state = ?", flt.state.value if flt.state else None),
        ("m.recipient = ?", flt.to),
        ("m.created_at >= ?", flt.created_from),
        ("m.created_at < ?", flt.created_to),
    ):
        if value is not None:
            where.append(clause)
            params.append(value)
    params.append(limit)
    rows = conn.execute(
        f"SELECT {_VIEW_COLUMNS} FROM messages m WHERE {' AND '.join(where)}"
        " ORDER BY m.id DESC LIMIT ?",
        params,
    ).fetchall()
    return _views(conn, rows)


def claim_callbacks(
    conn: sqlite3.Connection, now: float, limit: int, lease_s: float
) -> list[CallbackJob]:
    rows = conn.execute(
        "SELECT c.id, c.account_id, c.message_id, c.url, c.body, a.callback_secret, c.attempts,"
        " c.created_at, c.format FROM callbacks c JOIN accounts a ON a.id = c.account_id"
        " WHERE c.next_attempt_at <= ? ORDER BY c.next_attempt_at LIMIT ?",
        (now, limit),
    ).fetchall()
    conn.executemany(
        "UPDATE callbacks SET next_attempt_at = ?, attempts = attempts + 1 WHERE id = ?",
        [(now + lease_s, r[0]) for r in rows],
    )
    return [
        CallbackJob(
            id=r[0],
            account_id=r[1],
            message_id=r[2],
            url=r[3],
            format=r[8],
            body=bytes(r[4]),
            secret=r[5],
            attempts=r[6] + 1,
            created_at=r[7],
        )
        for r in rows
    ]


def finish_callbacks(
    conn: sqlite3.Connection,
    done: Sequence[int],
    retry: Sequence[CallbackRetry],
    dead: Sequence[int],
) -> None:
    conn.executemany("DELETE FROM callbacks WHERE id = ?", [(i,) for i in (*done, *dead)])
    conn.executemany(
        "UPDATE callbacks SET next_attempt_at = ?, last_error = ? WHERE id = ?",
        [(r.next_attempt_at, r.error, r.id) for r in retry],
    )


def release_callbacks(conn: sqlite3.Connection, account_id: str, format: str, now: float) -> int:
    cursor = conn.execute(
        "UPDATE callbacks SET next_attempt_at = ?"
        " WHERE account_id = ? AND format = ? AND next_attempt_at > ?",
        (now, account_id, format, now),
    )
    return cursor.rowcount


__all__ = ["FINAL_STATES"]
