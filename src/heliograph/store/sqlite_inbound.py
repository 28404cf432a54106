"""The SQLite store's inbound side: MO routes and messages, opt-outs, test mode, statistics.

A mixin of ``SqliteStore`` (kept apart so that neither module outgrows its
subject). Each public write method is one writer job and so one transaction:
an MO, the outbox event that delivers it and the consent change its keyword
makes are committed together or not at all. Schema: migration 0005.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import msgspec

from heliograph.domain.ids import AccountId, MessageId
from heliograph.domain.inbound import DeliveryMethod, MoPlan, MoRecord, MoRoute, MoRouteSpec
from heliograph.domain.optout import Consent, ConsentAction, KeywordAction, OptOut
from heliograph.store.base import AccountModes, Bucket, Conflict, MessageStats, NotFound
from heliograph.store.rows import OPTOUT_COLUMNS, consent, optout

T = TypeVar("T")
_encode_json = msgspec.json.Encoder().encode
_CHUNK = 500

_ROUTE_COLUMNS = "id, number, keyword, account_id, method, url, created_at, format"
_MO_COLUMNS = (
    "id, connector, sender, recipient, text, received_at, incomplete, account_id, route_id,"
    " keyword, action"
)
# A part refunded at its end never reached an upstream (see sqlite_lifecycle._NEVER_SENT_ENDS),
# or its price was reserved ([credit] settle = "delivery") and it ended undelivered.
_REFUNDED = (
    "((p.state IN ('failed', 'expired', 'cancelled') AND p.upstream_id IS NULL)"
    " OR (p.reserved = 1 AND p.state IN ('undeliverable', 'expired', 'rejected', 'failed')))"
)


class SqliteInbound:
    async def _read(self, job: Callable[[sqlite3.Connection], T]) -> T:
        raise NotImplementedError

    async def _write(self, job: Callable[[sqlite3.Connection], T]) -> T:
        raise NotImplementedError

    # outbox copies (receipts also mailed: services/callbacks.py) ------------

    async def copy_callback(self, job_id: int, url: str, format: str, now: float) -> bool:
        """Queue a copy of an outbox event for another destination, due now.

        False when the event is no longer in the outbox.
        """

        def job(conn: sqlite3.Connection) -> bool:
            cur = conn.execute(
                "INSERT INTO callbacks (account_id, message_id, url, format, body,"
                " next_attempt_at, created_at)"
                " SELECT account_id, message_id, ?, ?, body, ?, ? FROM callbacks WHERE id = ?",
                (url, format, now, now, job_id),
            )
            return cur.rowcount > 0

        return await self._write(job)

    # MO routes --------------------------------------------------------------

    async def add_mo_route(self, spec: MoRouteSpec, account_id: AccountId, now: float) -> MoRoute:
        def job(conn: sqlite3.Connection) -> MoRoute:
            if (
                conn.execute("SELECT 1 FROM accounts WHERE id = ?", (account_id,)).fetchone()
                is None
            ):
                raise NotFound(f"no account {account_id}")
            taken = conn.execute(
                "SELECT id FROM mo_routes WHERE number = ? AND COALESCE(keyword, '') = ?",
                (spec.number, spec.keyword or ""),
            ).fetchone()
            if taken is not None:
                raise Conflict(
                    f"route {taken[0]} already takes {spec.number}"
                    + (f" with keyword {spec.keyword!r}" if spec.keyword else "")
                )
            row = conn.execute(
                "INSERT INTO mo_routes"
                " (number, keyword, account_id, method, url, created_at, format)"
                f" VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING {_ROUTE_COLUMNS}",
                (
                    spec.number,
                    spec.keyword,
                    account_id,
                    spec.method.value,
                    spec.url,
                    now,
                    spec.format,
                ),
            ).fetchone()
            return _route(row)

        return await self._write(job)

    async def mo_routes(self) -> list[MoRoute]:
        def job(conn: sqlite3.Connection) -> list[MoRoute]:
            rows = conn.execute(f"SELECT {_ROUTE_COLUMNS} FROM mo_routes ORDER BY id")
            return [_route(r) for r in rows]

        return await self._read(job)

    async def remove_mo_route(self, route_id: int) -> bool:
        def job(conn: sqlite3.Connection) -> bool:
            return conn.execute("DELETE FROM mo_routes WHERE id = ?", (route_id,)).rowcount > 0

        return await self._write(job)

    # MO messages ------------------------------------------------------------

    async def insert_mo(self, plans: Sequence[MoPlan], now: float) -> list[MessageId]:
        return await self._write(lambda conn: _insert_mo(conn, plans, now))

    async def list_mo(
        self, account_id: AccountId | None, *, before: MessageId | None, limit: int
    ) -> list[MoRecord]:
        def job(conn: sqlite3.Connection) -> list[MoRecord]:
            where = "account_id = ?" if account_id is not None else "account_id IS NULL"
            params: list[Any] = [account_id] if account_id is not None else []
            if before is not None:
                where += " AND id < ?"
                params.append(before)
            rows = conn.execute(
                f"SELECT {_MO_COLUMNS} FROM mo_messages WHERE {where} ORDER BY id DESC LIMIT ?",
                (*params, limit),
            )
            return [_mo(r) for r in rows]

        return await self._read(job)

    # test mode and opt-outs -------------------------------------------------

    async def account_modes(self, account_id: AccountId) -> AccountModes:
        def job(conn: sqlite3.Connection) -> AccountModes:
            row = conn.execute(
                "SELECT test_mode, EXISTS (SELECT 1 FROM optouts WHERE account_id = ?)"
                " FROM accounts WHERE id = ?",
                (account_id, account_id),
            ).fetchone()
            if row is None:
                return AccountModes()
            return AccountModes(test_mode=bool(row[0]), has_optouts=bool(row[1]))

        return await self._read(job)

    async def set_test_mode(self, account_id: AccountId, on: bool) -> None:
        def job(conn: sqlite3.Connection) -> None:
            cur = conn.execute(
                "UPDATE accounts SET test_mode = ? WHERE id = ?", (int(on), account_id)
            )
            if cur.rowcount == 0:
                raise NotFound(f"no account {account_id}")

        await self._write(job)

    async def record_consent(self, consent: Consent) -> bool:
        return await self._write(lambda conn: _record_consent(conn, consent))

    async def opted_out(self, account_id: AccountId, numbers: Sequence[str]) -> set[str]:
        def job(conn: sqlite3.Connection) -> set[str]:
            found: set[str] = set()
            unique = sorted(set(numbers))
            for start in range(0, len(unique), _CHUNK):
                chunk = unique[start : start + _CHUNK]
                rows = conn.execute(
                    "SELECT number FROM optouts WHERE account_id = ?"
                    f" AND number IN ({','.join('?' * len(chunk))})",
                    (account_id, *chunk),
                )
                found.update(r[0] for r in rows)
            return found

        return await self._read(job)

    async def optouts(
        self, account_id: AccountId, *, after: str | None, limit: int
    ) -> list[OptOut]:
        def job(conn: sqlite3.Connection) -> list[OptOut]:
            rows = conn.execute(
                f"SELECT {OPTOUT_COLUMNS} FROM optouts"
                " WHERE account_id = ? AND number > ? ORDER BY number LIMIT ?",
                (account_id, after or "", limit),
            )
            return [optout(r) for r in rows]

        return await self._read(job)

    async def consents(self, account_id: AccountId, number: str) -> list[Consent]:
        def job(conn: sqlite3.Connection) -> list[Consent]:
            rows = conn.execute(
                "SELECT action, at, source, mo_id, keyword, reason FROM consents"
                " WHERE account_id = ? AND number = ? ORDER BY id",
                (account_id, number),
            )
            return [consent(r, account_id, number) for r in rows]

        return await self._read(job)

    # statistics -------------------------------------------------------------

    async def message_stats(
        self, account_id: AccountId, created_from: float | None, created_to: float | None
    ) -> MessageStats:
        return await self._read(lambda conn: _stats(conn, account_id, created_from, created_to))


def _route(row: Sequence[Any]) -> MoRoute:
    return MoRoute(
        id=row[0],
        number=row[1],
        keyword=row[2],
        account_id=row[3],
        method=DeliveryMethod(row[4]),
        url=row[5],
        created_at=row[6],
        format=row[7],
    )


def _mo(row: Sequence[Any]) -> MoRecord:
    return MoRecord(
        id=row[0],
        connector=row[1],
        sender=row[2],
        to=row[3],
        text=row[4],
        received_at=row[5],
        incomplete=bool(row[6]),
        account_id=row[7],
        route_id=row[8],
        keyword=row[9],
        action=KeywordAction(row[10]) if row[10] else None,
    )


def _insert_mo(conn: sqlite3.Connection, plans: Sequence[MoPlan], now: float) -> list[MessageId]:
    new: list[MessageId] = []
    for plan in plans:
        r = plan.record
        cur = conn.execute(
            f"INSERT OR IGNORE INTO mo_messages ({_MO_COLUMNS})"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                r.id,
                r.connector,
                r.sender,
                r.to,
                r.text,
                r.received_at,
                int(r.incomplete),
                r.account_id,
                r.route_id,
                r.keyword,
                r.action.value if r.action else None,
            ),
        )
        if cur.rowcount == 0:
            continue  # the same MO again: it was delivered the first time
        new.append(r.id)
        if plan.delivery is not None and r.account_id is not None:
            conn.execute(
                "INSERT INTO callbacks (account_id, message_id, url, format, body,"
                " next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    r.account_id,
                    r.id,
                    plan.delivery.url,
                    plan.delivery.format,
                    _encode_json(plan.delivery.event),
                    now,
                    now,
                ),
            )
        if plan.consent is not None:
            _record_consent(conn, plan.consent)
    return new


def _record_consent(conn: sqlite3.Connection, c: Consent) -> bool:
    if c.action is ConsentAction.OPT_OUT:
        existed = conn.execute(
            "SELECT 1 FROM optouts WHERE account_id = ? AND number = ?", (c.account_id, c.number)
        ).fetchone()
        conn.execute(
            "INSERT INTO optouts (account_id, number, since, source, mo_id, keyword, reason)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account_id, number) DO UPDATE SET"
            " since = excluded.since, source = excluded.source, mo_id = excluded.mo_id,"
            " keyword = excluded.keyword, reason = excluded.reason",
            (c.account_id, c.number, c.at, c.source.value, c.mo_id, c.keyword, c.reason),
        )
        changed = existed is None
    else:
        changed = (
            conn.execute(
                "DELETE FROM optouts WHERE account_id = ? AND number = ?", (c.account_id, c.number)
            ).rowcount
            > 0
        )
    conn.execute(
        "INSERT INTO consents (account_id, number, action, at, source, mo_id, keyword, reason)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            c.account_id,
            c.number,
            c.action.value,
            c.at,
            c.source.value,
            c.mo_id,
            c.keyword,
            c.reason,
        ),
    )
    return changed


def _stats(
    conn: sqlite3.Connection,
    account_id: str,
    created_from: float | None,
    created_to: float | None,
) -> MessageStats:
    where = "m.account_id = ?"
    params: list[Any] = [account_id]
    if created_from is not None:
        where += " AND m.created_at >= ?"
        params.append(created_from)
    if created_to is not None:
        where += " AND m.created_at < ?"
        params.append(created_to)
    per_message = (
        "SELECT m.state AS state, m.test AS test, date(m.created_at, 'unixepoch') AS day,"
        " m.parts AS parts, CASE WHEN m.price_micros = 0 THEN 0 ELSE m.price_micros * (m.parts"
        f" - (SELECT count(*) FROM parts p WHERE p.message_id = m.id AND {_REFUNDED})) END AS cost"
        f" FROM messages m WHERE {where}"
    )

    def grouped(key: str) -> list[tuple[Any, ...]]:
        return conn.execute(
            f"WITH s AS ({per_message}) SELECT {key}, count(*), sum(parts), sum(cost), sum(test)"
            f" FROM s GROUP BY {key} ORDER BY {key}",
            params,
        ).fetchall()

    by_status = grouped("state")
    by_day = grouped("day")
    by_connector = conn.execute(
        "SELECT p.connector, count(DISTINCT p.message_id), count(*),"
        f" sum(CASE WHEN {_REFUNDED} THEN 0 ELSE m.price_micros END)"
        f" FROM parts p JOIN messages m ON m.id = p.message_id WHERE {where}"
        " GROUP BY p.connector ORDER BY p.connector",
        params,
    ).fetchall()
    total = Bucket(
        key=None,
        messages=sum(r[1] for r in by_status),
        parts=sum(r[2] for r in by_status),
        cost_micros=sum(r[3] for r in by_status),
    )
    return MessageStats(
        total=total,
        test_messages=sum(r[4] for r in by_status),
        by_status=[_bucket(r) for r in by_status],
        by_day=[_bucket(r) for r in by_day],
        by_connector=[_bucket(r) for r in by_connector],
    )


def _bucket(row: Sequence[Any]) -> Bucket:
    return Bucket(key=row[0], messages=row[1], parts=row[2], cost_micros=row[3])
