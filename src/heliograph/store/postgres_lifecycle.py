"""Message and part lifecycle in SQL (PostgreSQL dialect), run inside one transaction.

The rules are SQLite's (``sqlite_lifecycle``), taken from the same domain
functions: part updates are written first; then every touched message's state
is derived from its parts (``domain.messages.derive_state``), moved with
``transition()`` (an illegal move raises and rolls the transaction back), and a
status event is added to the callback outbox in the same transaction when the
message has a callback URL. Rows go to the server in arrays (``unnest``), one
statement per step, whatever the batch size.

Theory of operation: several nodes, one database
------------------------------------------------
Rule 1: locks are taken in one order, parts (by id) before messages (by id),
so writers on different nodes queue behind each other instead of deadlocking.

Rule 2: work is shared with ``FOR UPDATE SKIP LOCKED``: claims, releases of
scheduled parts and expiry skip the rows another transaction holds, so each
part is claimed by exactly one node and no node waits for another's batch.

Rule 3: a multi-part message's state is derived only after its row is locked.
Two nodes claiming two parts of one message serialise on the message row; the
second reads the parts after the first committed (a new statement sees it under
READ COMMITTED) and derives from what is really there. A single-part message
needs no lock beyond its part's: nobody changes it without holding that.

Rule 4: a receipt may come before the submit response that names its upstream
id, and on another node. A recorder (``record_results``) holds an advisory lock
in shared mode while it looks for receipts waiting for its ids; a receipt
writer that is about to leave receipts waiting takes it in exclusive mode first
and looks once more. Either the recorder sees the waiting receipt, or the
receipt writer sees the recorded id: never neither.

Rule 5: credit goes last. A part that ends without reaching an upstream
(failed, expired or cancelled from the queue or from sending) gives its price
back in the same transaction, after the parts and messages are written, by a
conditional update of the account row (``postgres_credit.refund``, accounts by
id). Account rows are the last locks a transaction takes; the charge of an
insert transaction is its last statement, so the row is held only until commit.
A part whose price is reserved (``parts.reserved``, [credit] settle =
"delivery") settles or gives back its price the same way, in the transaction
that moves it to its final state (``postgres_credit.release``): the part row is
locked and final states have no way out, so each part does it exactly once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from heliograph.domain.events import status_event
from heliograph.domain.ids import AccountId, MessageId, PartId
from heliograph.domain.messages import (
    FINAL_STATES,
    MessageState,
    MessageView,
    can_transition,
    derive_state,
    transition,
)
from heliograph.domain.outcomes import Receipt
from heliograph.store.base import Changes, ClaimedPart, Conflict, NotFound, PartResult
from heliograph.store.postgres_credit import refund, release
from heliograph.store.postgres_engine import Conn, Record
from heliograph.store.postgres_reads import get_message
from heliograph.store.rows import parse_tlvs

S = MessageState
EXPIRED_ERROR = "validity period passed before the part could be sent"
PENDING_RECEIPT_TTL_S = 3600.0
PENDING_LOCK = 0x48_454C_5052  # advisory lock key of Rule 4
_encode_json = msgspec.json.Encoder().encode
# (connector, upstream id) -> (part id, state, message id, price reserved)
Found = dict[tuple[str, str], tuple[int, MessageState, str, bool]]
UNRECEIPTED_ERROR = "no final receipt within the validity period"


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


_MSG_COLUMNS = (
    "id, account_id, state, parts, callback_url, reference, recipient, sender, callback_format,"
    " price_micros"
)
_PRICE = 9  # index of price_micros in a message row
_READ = f"SELECT {_MSG_COLUMNS} FROM messages WHERE id = ANY($1::text[])"
_READ_FOR_CLAIM = (
    f"SELECT {_MSG_COLUMNS}, text, encoding, data_coding, concat_ref, priority, udh, test,"
    " payload, dest_port, src_port, message_class, languages, connector, tlvs"
    " FROM messages WHERE id = ANY($1::text[])"
)
# A part that ends in one of these straight from queued or sending never
# reached an upstream: its price goes back (as sqlite_lifecycle._NEVER_SENT_ENDS).
NEVER_SENT_ENDS = frozenset({MessageState.FAILED, MessageState.EXPIRED, MessageState.CANCELLED})


async def _lock(conn: Conn, ids: Iterable[str], sql: str = _READ) -> dict[str, Record]:
    """The touched messages, multi-part ones locked (Rule 3).

    A single-part message changes only with its one part, whose row the caller
    holds, so it needs no lock of its own; reading it in a statement after the
    part was locked sees its last committed state.
    """
    rows = {r[0]: r for r in await conn.fetch(sql, list(ids))}
    multi = sorted(mid for mid, r in rows.items() if r[3] != 1)
    if multi:
        locked = await conn.fetch(sql + " ORDER BY id FOR UPDATE", multi)
        rows.update((r[0], r) for r in locked)
    return rows


async def _advance(
    conn: Conn,
    locked: Mapping[str, Record],
    touched: Mapping[str, MessageState],
    errors: Mapping[str, str],
    now: float,
    changes: Changes,
    upstream: Mapping[str, tuple[str, str]] | None = None,
) -> None:
    """Derive and store the state of every touched (and locked) message; queue callbacks.

    ``touched`` holds the last part state written per message, which is the
    state of a single-part message; multi-part messages are read back.
    ``upstream``: per message, the (connector, upstream id) of the part whose
    result or receipt is being applied, for the status event.
    """
    msgs = [_Msg(r[0], r[1], S(r[2]), *r[3:9]) for r in locked.values()]
    multi = [m.id for m in msgs if m.parts != 1]
    part_states: dict[str, list[MessageState]] = {}
    if multi:
        rows = await conn.fetch(
            "SELECT message_id, state FROM parts WHERE message_id = ANY($1::text[])"
            " ORDER BY message_id, seq",
            multi,
        )
        for row in rows:
            part_states.setdefault(row[0], []).append(S(row[1]))
    ids: list[str] = []
    states: list[str] = []
    errs: list[str | None] = []
    cb: list[list[Any]] = [[], [], [], [], []]
    for msg in msgs:
        new = touched[msg.id] if msg.parts == 1 else derive_state(part_states[msg.id])
        if new == msg.state:
            continue
        transition(msg.state, new)
        error = errors.get(msg.id)
        ids.append(msg.id)
        states.append(new.value)
        errs.append(error)
        changes.states[new] += 1
        if msg.callback_url:
            connector, upstream_id = (upstream or {}).get(msg.id, (None, None))
            event = status_event(
                message_id=msg.id,
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
            row = (msg.account_id, msg.id, msg.callback_url, msg.callback_format)
            for column, value in zip(cb, (*row, _encode_json(event)), strict=True):
                column.append(value)
        msg.state = new
    if ids:
        await conn.execute(
            "UPDATE messages AS m SET state = u.state, updated_at = $4,"
            " error = COALESCE(u.error, m.error)"
            " FROM unnest($1::text[], $2::text[], $3::text[]) AS u(id, state, error)"
            " WHERE m.id = u.id",
            ids,
            states,
            errs,
            now,
        )
    if cb[0]:
        changes.callbacks += len(cb[0])
        await conn.execute(
            "INSERT INTO callbacks (account_id, message_id, url, format, body,"
            " next_attempt_at, created_at)"
            " SELECT a, m, u, f, b, $6, $6 FROM unnest($1::text[], $2::text[], $3::text[],"
            " $4::text[], $5::bytea[]) WITH ORDINALITY AS t(a, m, u, f, b, n) ORDER BY n",
            *cb,
            now,
        )


async def _refund(
    conn: Conn, locked: Mapping[str, Record], message_ids: Iterable[str], reason: str, now: float
) -> None:
    """Rule 5: one part's price back for every message id listed (once per part)."""
    refunds: dict[str, int] = {}
    for mid in message_ids:
        row = locked[mid]
        if row[_PRICE]:
            refunds[row[1]] = refunds.get(row[1], 0) + row[_PRICE]
    if refunds:
        await refund(conn, refunds, reason, now)


async def _release(
    conn: Conn,
    locked: Mapping[str, Record],
    ends: Iterable[tuple[str, MessageState]],
    reason: str,
    now: float,
) -> None:
    """Rule 5 for reserved prices: per (message id, final state) of one part, the
    part's price settles (delivered) or goes back (any other end)."""
    held: dict[tuple[str, bool], int] = {}
    for mid, state in ends:
        row = locked[mid]
        if row[_PRICE] and state in FINAL_STATES:
            key = (row[1], state is S.DELIVERED)
            held[key] = held.get(key, 0) + row[_PRICE]
    if held:
        await release(conn, held, reason, now)


def _touch(
    touched: dict[str, MessageState],
    errors: dict[str, str],
    message_id: str,
    state: MessageState,
    error: str | None,
) -> None:
    touched[message_id] = state
    if error:
        errors[message_id] = error


# --- dispatch ------------------------------------------------------------------------------

_CLAIM = """
WITH c AS (
    SELECT id FROM parts
    WHERE state = 'queued' AND due_at <= $1
    ORDER BY priority DESC, due_at, id
    LIMIT $2
    FOR UPDATE SKIP LOCKED
)
UPDATE parts AS p SET
    state = CASE WHEN p.expires_at <= $1 THEN 'expired' ELSE 'sending' END,
    attempts = p.attempts + CASE WHEN p.expires_at <= $1 THEN 0 ELSE 1 END,
    node = $3,
    updated_at = $1
FROM c WHERE p.id = c.id
RETURNING p.id, p.message_id, p.seq, p.state, p.attempts, p.expires_at, p.priority, p.due_at,
    p.reserved
"""


async def claim_parts(
    conn: Conn, now: float, limit: int, node: str
) -> tuple[list[ClaimedPart], Changes]:
    changes = Changes()
    rows = sorted(await conn.fetch(_CLAIM, now, limit, node), key=lambda r: (-r[6], r[7], r[0]))
    if not rows:
        return [], changes
    touched: dict[str, MessageState] = {}
    errors: dict[str, str] = {}
    for r in rows:
        expired = r[3] == S.EXPIRED.value
        _touch(touched, errors, r[1], S(r[3]), EXPIRED_ERROR if expired else None)
    locked = await _lock(conn, touched, _READ_FOR_CLAIM)
    claimed: list[ClaimedPart] = []
    for r in rows:
        if r[3] != S.SENDING.value:
            continue
        m = locked[r[1]]
        claimed.append(
            ClaimedPart(
                part_id=PartId(r[0]),
                message_id=MessageId(r[1]),
                account_id=AccountId(m[1]),
                seq=r[2],
                parts=m[3],
                to=m[6],
                sender=m[7],
                text=m[10],
                encoding=m[11],
                data_coding=m[12],
                concat_ref=m[13],
                priority=m[14],
                attempts=r[4],
                expires_at=r[5],
                udh=m[15],
                test=m[16],
                payload=m[17],
                dest_port=m[18],
                src_port=m[19],
                message_class=m[20],
                languages=frozenset(m[21]) if m[21] else None,
                forced=m[22],
                tlvs=parse_tlvs(m[23]),
            )
        )
    await _advance(conn, locked, touched, errors, now, changes)
    expired = [r[1] for r in rows if r[3] == S.EXPIRED.value and not r[8]]
    reason = "refund: parts expired before sending"
    await _refund(conn, locked, expired, reason, now)
    held = [(r[1], S.EXPIRED) for r in rows if r[3] == S.EXPIRED.value and r[8]]
    if held:
        await _release(conn, locked, held, reason, now)
    return claimed, changes


async def record_results(conn: Conn, results: Sequence[PartResult], now: float) -> Changes:
    changes = Changes()
    latest = {r.part_id: r for r in results}
    rows = await conn.fetch(
        "SELECT id, state, message_id, reserved FROM parts WHERE id = ANY($1::bigint[])"
        " ORDER BY id FOR UPDATE",
        list(latest),
    )
    columns: list[list[Any]] = [[] for _ in range(6)]
    touched: dict[str, MessageState] = {}
    errors: dict[str, str] = {}
    accepted: Found = {}
    upstream: dict[str, tuple[str, str]] = {}
    never_sent: list[str] = []
    held: list[tuple[str, MessageState]] = []
    for part_id, state, message_id, reserved in rows:
        r = latest[part_id]
        if not can_transition(S(state), r.state):
            continue  # cancelled or already recovered meanwhile
        values = (part_id, r.state.value, r.connector, r.upstream_id, r.error, r.due_at)
        for column, value in zip(columns, values, strict=True):
            column.append(value)
        _touch(touched, errors, message_id, r.state, r.error)
        if reserved:
            held.append((message_id, r.state))
        elif r.state in NEVER_SENT_ENDS:
            never_sent.append(message_id)
        if r.upstream_id is not None and r.connector is not None:
            accepted[(r.connector, r.upstream_id)] = (part_id, r.state, message_id, reserved)
            upstream[message_id] = (r.connector, r.upstream_id)
    if not touched:
        return changes
    await conn.execute(
        "UPDATE parts AS p SET state = u.state, connector = u.connector,"
        " upstream_id = u.upstream_id, error = u.error, due_at = COALESCE(u.due_at, p.due_at),"
        " updated_at = $7 FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[],"
        " $5::text[], $6::float8[]) AS u(id, state, connector, upstream_id, error, due_at)"
        " WHERE p.id = u.id",
        *columns,
        now,
    )
    locked = await _lock(conn, touched)
    await _advance(conn, locked, touched, errors, now, changes, upstream)
    reason = "refund: parts failed before reaching an upstream"
    await _refund(conn, locked, never_sent, reason, now)
    if held:
        await _release(conn, locked, held, "refund: parts failed", now)
    if accepted:
        await _match_pending(conn, accepted, now, changes)
    return changes


async def _match_pending(conn: Conn, accepted: Found, now: float, changes: Changes) -> None:
    """Apply receipts that arrived before their (connector, upstream id) was recorded."""
    await conn.execute("SELECT pg_advisory_xact_lock_shared($1)", PENDING_LOCK)
    rows = await conn.fetch(
        "SELECT id, connector, upstream_id, state, error, at FROM pending_receipts"
        " WHERE upstream_id = ANY($1::text[]) ORDER BY id",
        [upstream_id for _, upstream_id in accepted],
    )
    rows = [r for r in rows if (r[1], r[2]) in accepted]
    if not rows:
        return
    await conn.execute(
        "DELETE FROM pending_receipts WHERE id = ANY($1::bigint[])", [r[0] for r in rows]
    )
    receipts = [
        Receipt(connector=r[1], upstream_id=r[2], state=S(r[3]), error=r[4], at=r[5]) for r in rows
    ]
    changes.merge(await _apply(conn, receipts, dict(accepted), now, keep_unmatched=False))


_FIND = (
    "SELECT id, state, connector, upstream_id, message_id, reserved FROM parts"
    " WHERE upstream_id = ANY($1::text[]) ORDER BY id FOR UPDATE"
)


async def _find(conn: Conn, upstream_ids: Iterable[str]) -> Found:
    rows = await conn.fetch(_FIND, list(set(upstream_ids)))
    return {(r[2], r[3]): (r[0], S(r[1]), r[4], r[5]) for r in rows}


async def apply_receipts(conn: Conn, receipts: Sequence[Receipt], now: float) -> Changes:
    found = await _find(conn, (r.upstream_id for r in receipts))
    unmatched = {r.upstream_id for r in receipts if (r.connector, r.upstream_id) not in found}
    if unmatched:
        # Rule 4: wait for recorders in progress, then look again before keeping them.
        await conn.execute("SELECT pg_advisory_xact_lock($1)", PENDING_LOCK)
        found.update(await _find(conn, unmatched))
    return await _apply(conn, receipts, found, now, keep_unmatched=True)


async def _apply(
    conn: Conn, receipts: Sequence[Receipt], found: Found, now: float, *, keep_unmatched: bool
) -> Changes:
    changes = Changes()
    updates: dict[int, tuple[str, str | None]] = {}
    touched: dict[str, MessageState] = {}
    errors: dict[str, str] = {}
    pending: list[Receipt] = []
    upstream: dict[str, tuple[str, str]] = {}
    held: list[tuple[str, MessageState]] = []
    for rc in receipts:
        key = (rc.connector, rc.upstream_id)
        hit = found.get(key)
        if hit is None:
            pending.append(rc)
            continue
        part_id, state, message_id, reserved = hit
        if rc.state == state or not can_transition(state, rc.state):
            continue  # intermediate (enroute) or duplicate receipt
        found[key] = (part_id, rc.state, message_id, reserved)
        if reserved:
            held.append((message_id, rc.state))
        earlier = updates.get(part_id)
        updates[part_id] = (rc.state.value, rc.error or (earlier[1] if earlier else None))
        _touch(touched, errors, message_id, rc.state, rc.error)
        upstream[message_id] = key
    if updates:
        await conn.execute(
            "UPDATE parts AS p SET state = u.state, error = COALESCE(u.error, p.error),"
            " updated_at = $4 FROM unnest($1::bigint[], $2::text[], $3::text[])"
            " AS u(id, state, error) WHERE p.id = u.id",
            list(updates),
            [u[0] for u in updates.values()],
            [u[1] for u in updates.values()],
            now,
        )
        locked = await _lock(conn, touched)
        await _advance(conn, locked, touched, errors, now, changes, upstream)
        if held:
            await _release(conn, locked, held, "refund: parts not delivered", now)
    if keep_unmatched and pending:
        await conn.execute(
            "INSERT INTO pending_receipts (connector, upstream_id, state, error, at, received_at)"
            " SELECT c, u, s, e, a, $6 FROM unnest($1::text[], $2::text[], $3::text[],"
            " $4::text[], $5::float8[]) AS t(c, u, s, e, a)",
            [r.connector for r in pending],
            [r.upstream_id for r in pending],
            [r.state.value for r in pending],
            [r.error for r in pending],
            [r.at for r in pending],
            now,
        )
        changes.pending += len(pending)
    return changes


async def move_parts(
    conn: Conn,
    where: str,
    params: Sequence[Any],
    new: MessageState,
    error: str | None,
    now: float,
    *,
    skip_locked: bool = False,
    limit: int | None = None,
    reason: str | None = None,
) -> Changes:
    """Move every part matching ``where`` (on ``parts p``) to ``new``; advance their messages.

    ``changes.resent`` is the number of parts moved. ``reason``: the ledger's
    words for the refund when ``new`` gives prices back.
    """
    changes = Changes()
    sql = f"SELECT id, state, message_id, reserved FROM parts p WHERE {where} ORDER BY id"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    sql += " FOR UPDATE SKIP LOCKED" if skip_locked else " FOR UPDATE"
    rows = await conn.fetch(sql, *params)
    if not rows:
        return changes
    touched: dict[str, MessageState] = {}
    errors: dict[str, str] = {}
    for _, state, message_id, _reserved in rows:
        transition(S(state), new)
        _touch(touched, errors, message_id, new, error)
    await conn.execute(
        "UPDATE parts SET state = $1, updated_at = $2 WHERE id = ANY($3::bigint[])",
        new.value,
        now,
        [r[0] for r in rows],
    )
    locked = await _lock(conn, touched)
    await _advance(conn, locked, touched, errors, now, changes)
    reason = reason or f"refund: parts {new.value} before sending"
    if new in NEVER_SENT_ENDS:
        refunded = [r[2] for r in rows if not r[3]]
        await _refund(conn, locked, refunded, reason, now)
    held = [(r[2], new) for r in rows if r[3]]
    if held:
        await _release(conn, locked, held, reason, now)
    changes.resent = len(rows)
    return changes


async def release_scheduled(conn: Conn, now: float) -> Changes:
    changes = await move_parts(
        conn,
        "p.state = 'scheduled' AND p.due_at <= $1",
        (now,),
        S.QUEUED,
        None,
        now,
        skip_locked=True,
        limit=5000,
    )
    changes.resent = 0
    return changes


async def expire_pending(
    conn: Conn, now: float, unreceipted_before: float | None = None
) -> Changes:
    """Expire queued parts past their validity and, with ``unreceipted_before``,
    sent parts with a reserved price whose validity ended before it with no final
    receipt (their price goes back)."""
    changes = await move_parts(
        conn,
        "p.state = 'queued' AND p.expires_at <= $1",
        (now,),
        S.EXPIRED,
        EXPIRED_ERROR,
        now,
        skip_locked=True,
        limit=10_000,
    )
    if unreceipted_before is not None:
        changes.merge(
            await move_parts(
                conn,
                "p.state = 'sent' AND p.reserved AND p.expires_at <= $1",
                (unreceipted_before,),
                S.EXPIRED,
                UNRECEIPTED_ERROR,
                now,
                skip_locked=True,
                limit=10_000,
                reason="refund: parts sent without a final receipt",
            )
        )
    await conn.execute(
        "DELETE FROM pending_receipts WHERE received_at < $1", now - PENDING_RECEIPT_TTL_S
    )
    changes.resent = 0
    return changes


async def cancel(conn: Conn, account_id: str, message_id: str, now: float) -> MessageView:
    """Raises: NotFound; Conflict if any part has left the queue."""
    await conn.execute(
        "SELECT 1 FROM parts WHERE message_id = $1 ORDER BY id FOR UPDATE", message_id
    )
    view = await get_message(conn, account_id, message_id)
    if view is None:
        raise NotFound(f"no message {message_id}")
    cancellable = {S.QUEUED, S.SCHEDULED}
    if view.state not in cancellable or any(p.state not in cancellable for p in view.parts):
        raise Conflict(f"message {view.id} is {view.state.value} and can no longer be cancelled")
    where = "p.message_id = $1"
    await move_parts(conn, where, (message_id,), S.CANCELLED, "cancelled by client", now)
    cancelled = await get_message(conn, account_id, message_id)
    assert cancelled is not None
    return cancelled
