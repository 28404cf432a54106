"""The PostgreSQL store's inbound side: MO routes and messages, opt-outs, test mode, statistics.

A mixin of ``PostgresStore`` with SQLite's rules (``sqlite_inbound``), schema 5.
Each public write method is one transaction: an MO, the outbox event that
delivers it and the consent change its keyword makes are committed together or
not at all. Several nodes may store the same MO at once (an upstream that
delivers it twice, to two nodes): the primary key decides, and only the node
whose insert wins queues its delivery and its consent change.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import msgspec

from heliograph.domain.ids import AccountId, MessageId
from heliograph.domain.inbound import DeliveryMethod, MoPlan, MoRecord, MoRoute, MoRouteSpec
from heliograph.domain.optout import Consent, ConsentAction, KeywordAction, OptOut
from heliograph.store.base import AccountModes, Bucket, Conflict, MessageStats, NotFound
from heliograph.store.postgres_engine import Conn, Record
from heliograph.store.rows import OPTOUT_COLUMNS, consent, optout

T = TypeVar("T")
_encode_json = msgspec.json.Encoder().encode

_ROUTE_COLUMNS = "id, number, keyword, account_id, method, url, created_at, format"
_MO_COLUMNS = (
    "id, connector, sender, recipient, text, received_at, incomplete, account_id, route_id,"
    " keyword, action"
)
# A part refunded at its end never reached an upstream (postgres_lifecycle.NEVER_SENT_ENDS),
# or its price was reserved ([credit] settle = "delivery") and it ended undelivered.
_REFUNDED = (
    "((p.state IN ('failed', 'expired', 'cancelled') AND p.upstream_id IS NULL)"
    " OR (p.reserved AND p.state IN ('undeliverable', 'expired', 'rejected', 'failed')))"
)


class PostgresInbound:
    """MO, opt-outs, test mode and statistics: a mixin of ``PostgresStore``."""

    async def _pg_read(self, job: Callable[[Conn], Awaitable[T]]) -> T:
        raise NotImplementedError

    async def _pg_write(self, job: Callable[[Conn], Awaitable[T]]) -> T:
        raise NotImplementedError

    # outbox copies (receipts also mailed: services/callbacks.py) ------------

    async def copy_callback(self, job_id: int, url: str, format: str, now: float) -> bool:
        """Queue a copy of an outbox event for another destination, due now (as on SQLite)."""

        async def job(conn: Conn) -> bool:
            status: str = await conn.execute(
                "INSERT INTO callbacks (account_id, message_id, url, format, body,"
                " next_attempt_at, created_at)"
                " SELECT account_id, message_id, $1, $2, body, $3, $3 FROM callbacks WHERE id = $4",
                url,
                format,
                now,
                job_id,
            )
            return status != "INSERT 0 0"

        return await self._pg_write(job)

    # MO routes --------------------------------------------------------------

    async def add_mo_route(self, spec: MoRouteSpec, account_id: AccountId, now: float) -> MoRoute:
        async def job(conn: Conn) -> MoRoute:
            if await conn.fetchval("SELECT 1 FROM accounts WHERE id = $1", account_id) is None:
                raise NotFound(f"no account {account_id}")
            taken = await conn.fetchval(
                "SELECT id FROM mo_routes WHERE number = $1 AND COALESCE(keyword, '') = $2",
                spec.number,
                spec.keyword or "",
            )
            if taken is not None:
                raise Conflict(
                    f"route {taken} already takes {spec.number}"
                    + (f" with keyword {spec.keyword!r}" if spec.keyword else "")
                )
            # A concurrent insert of the same number and keyword fails on the unique index.
            row = await conn.fetchrow(
                "INSERT INTO mo_routes"
                " (number, keyword, account_id, method, url, created_at, format)"
                f" VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {_ROUTE_COLUMNS}",
                spec.number,
                spec.keyword,
                account_id,
                spec.method.value,
                spec.url,
                now,
                spec.format,
            )
            return _route(row)

        return await self._pg_write(job)

    async def mo_routes(self) -> list[MoRoute]:
        async def job(conn: Conn) -> list[MoRoute]:
            rows = await conn.fetch(f"SELECT {_ROUTE_COLUMNS} FROM mo_routes ORDER BY id")
            return [_route(r) for r in rows]

        return await self._pg_read(job)

    async def remove_mo_route(self, route_id: int) -> bool:
        async def job(conn: Conn) -> bool:
            status: str = await conn.execute("DELETE FROM mo_routes WHERE id = $1", route_id)
            return status != "DELETE 0"

        return await self._pg_write(job)

    # MO messages ------------------------------------------------------------

    async def insert_mo(self, plans: Sequence[MoPlan], now: float) -> list[MessageId]:
        return await self._pg_write(lambda conn: _insert_mo(conn, plans, now))

    async def list_mo(
        self, account_id: AccountId | None, *, before: MessageId | None, limit: int
    ) -> list[MoRecord]:
        async def job(conn: Conn) -> list[MoRecord]:
            where = "account_id = $1" if account_id is not None else "account_id IS NULL"
            params: list[Any] = [account_id] if account_id is not None else []
            if before is not None:
                params.append(before)
                where += f" AND id < ${len(params)}"
            params.append(limit)
            rows = await conn.fetch(
                f"SELECT {_MO_COLUMNS} FROM mo_messages WHERE {where}"
                f" ORDER BY id DESC LIMIT ${len(params)}",
                *params,
            )
            return [_mo(r) for r in rows]

        return await self._pg_read(job)

    # test mode and opt-outs -------------------------------------------------

    async def account_modes(self, account_id: AccountId) -> AccountModes:
        async def job(conn: Conn) -> AccountModes:
            row = await conn.fetchrow(
                "SELECT test_mode, EXISTS (SELECT 1 FROM optouts WHERE account_id = $1)"
                " FROM accounts WHERE id = $1",
                account_id,
            )
            if row is None:
                return AccountModes()
            return AccountModes(test_mode=row[0], has_optouts=row[1])

        return await self._pg_read(job)

    async def set_test_mode(self, account_id: AccountId, on: bool) -> None:
        async def job(conn: Conn) -> None:
            status: str = await conn.execute(
                "UPDATE accounts SET test_mode = $1 WHERE id = $2", on, account_id
            )
            if status == "UPDATE 0":
                raise NotFound(f"no account {account_id}")

        await self._pg_write(job)

    async def record_consent(self, consent: Consent) -> bool:
        return await self._pg_write(lambda conn: _record_consent(conn, consent))

    async def opted_out(self, account_id: AccountId, numbers: Sequence[str]) -> set[str]:
        async def job(conn: Conn) -> set[str]:
            rows = await conn.fetch(
                "SELECT number FROM optouts WHERE account_id = $1 AND number = ANY($2::text[])",
                account_id,
                sorted(set(numbers)),
            )
            return {r[0] for r in rows}

        return await self._pg_read(job)

    async def optouts(
        self, account_id: AccountId, *, after: str | None, limit: int
    ) -> list[OptOut]:
        async def job(conn: Conn) -> list[OptOut]:
            rows = await conn.fetch(
                f"SELECT {OPTOUT_COLUMNS} FROM optouts"
                ' WHERE account_id = $1 AND number > $2 COLLATE "C"'
                ' ORDER BY number COLLATE "C" LIMIT $3',
                account_id,
                after or "",
                limit,
            )
            return [optout(r) for r in rows]

        return await self._pg_read(job)

    async def consents(self, account_id: AccountId, number: str) -> list[Consent]:
        async def job(conn: Conn) -> list[Consent]:
            rows = await conn.fetch(
                "SELECT action, at, source, mo_id, keyword, reason FROM consents"
                " WHERE account_id = $1 AND number = $2 ORDER BY id",
                account_id,
                number,
            )
            return [consent(r, account_id, number) for r in rows]

        return await self._pg_read(job)

    # statistics -------------------------------------------------------------

    async def message_stats(
        self, account_id: AccountId, created_from: float | None, created_to: float | None
    ) -> MessageStats:
        return await self._pg_read(lambda conn: _stats(conn, account_id, created_from, created_to))


def _route(row: Record) -> MoRoute:
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


def _mo(row: Record) -> MoRecord:
    return MoRecord(
        id=row[0],
        connector=row[1],
        sender=row[2],
        to=row[3],
        text=row[4],
        received_at=row[5],
        incomplete=row[6],
        account_id=row[7],
        route_id=row[8],
        keyword=row[9],
        action=KeywordAction(row[10]) if row[10] else None,
    )


async def _insert_mo(conn: Conn, plans: Sequence[MoPlan], now: float) -> list[MessageId]:
    events = [_encode_json(p.delivery.event) if p.delivery is not None else None for p in plans]
    records = [p.record for p in plans]
    stored = await conn.fetch(
        f"INSERT INTO mo_messages ({_MO_COLUMNS})"
        " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],"
        " $6::float8[], $7::bool[], $8::text[], $9::int8[], $10::text[], $11::text[])"
        " ON CONFLICT (id) DO NOTHING RETURNING id",
        [r.id for r in records],
        [r.connector for r in records],
        [r.sender for r in records],
        [r.to for r in records],
        [r.text for r in records],
        [r.received_at for r in records],
        [r.incomplete for r in records],
        [r.account_id for r in records],
        [r.route_id for r in records],
        [r.keyword for r in records],
        [r.action.value if r.action else None for r in records],
    )
    fresh = {r[0] for r in stored}  # a replayed MO was delivered the first time
    new: list[MessageId] = []
    outbox: list[tuple[str, str, str, str, bytes]] = []
    for plan, event in zip(plans, events, strict=True):
        r = plan.record
        if r.id not in fresh:
            continue
        fresh.discard(r.id)  # the same id twice in one batch: the first one counts
        new.append(r.id)
        if plan.delivery is not None and r.account_id is not None and event is not None:
            outbox.append((r.account_id, r.id, plan.delivery.url, plan.delivery.format, event))
        if plan.consent is not None:
            await _record_consent(conn, plan.consent)
    if outbox:
        await conn.executemany(
            "INSERT INTO callbacks (account_id, message_id, url, format, body,"
            " next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
            [(*row, now) for row in outbox],
        )
    return new


async def _record_consent(conn: Conn, c: Consent) -> bool:
    if c.action is ConsentAction.OPT_OUT:
        # xmax = 0 on the returned row: it was inserted, not updated (the number was not listed).
        changed: bool = await conn.fetchval(
            "INSERT INTO optouts (account_id, number, since, source, mo_id, keyword, reason)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (account_id, number) DO UPDATE SET"
            " since = EXCLUDED.since, source = EXCLUDED.source, mo_id = EXCLUDED.mo_id,"
            " keyword = EXCLUDED.keyword, reason = EXCLUDED.reason RETURNING xmax = 0",
            c.account_id,
            c.number,
            c.at,
            c.source.value,
            c.mo_id,
            c.keyword,
            c.reason,
        )
    else:
        status: str = await conn.execute(
            "DELETE FROM optouts WHERE account_id = $1 AND number = $2", c.account_id, c.number
        )
        changed = status != "DELETE 0"
    await conn.execute(
        "INSERT INTO consents (account_id, number, action, at, source, mo_id, keyword, reason)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        c.account_id,
        c.number,
        c.action.value,
        c.at,
        c.source.value,
        c.mo_id,
        c.keyword,
        c.reason,
    )
    return changed


async def _stats(
    conn: Conn, account_id: str, created_from: float | None, created_to: float | None
) -> MessageStats:
    params: list[Any] = [account_id]
    where = "m.account_id = $1"
    if created_from is not None:
        params.append(created_from)
        where += f" AND m.created_at >= ${len(params)}"
    if created_to is not None:
        params.append(created_to)
        where += f" AND m.created_at < ${len(params)}"
    per_message = (
        "SELECT m.state AS state, m.test::int AS test,"
        " to_char(to_timestamp(m.created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day,"
        " m.parts AS parts, CASE WHEN m.price_micros = 0 THEN 0 ELSE m.price_micros * (m.parts"
        f" - (SELECT count(*) FROM parts p WHERE p.message_id = m.id AND {_REFUNDED})) END AS cost"
        f" FROM messages m WHERE {where}"
    )

    async def grouped(key: str) -> list[Record]:
        rows: list[Record] = await conn.fetch(
            f"WITH s AS ({per_message}) SELECT {key}, count(*), sum(parts)::int8,"
            f" sum(cost)::int8, sum(test)::int8 FROM s GROUP BY {key}"
            f' ORDER BY {key} COLLATE "C"',
            *params,
        )
        return rows

    by_status = await grouped("state")
    by_day = await grouped("day")
    by_connector = await conn.fetch(
        "SELECT p.connector, count(DISTINCT p.message_id), count(*),"
        f" sum(CASE WHEN {_REFUNDED} THEN 0 ELSE m.price_micros END)::int8"
        f" FROM parts p JOIN messages m ON m.id = p.message_id WHERE {where}"
        ' GROUP BY p.connector ORDER BY p.connector COLLATE "C" NULLS FIRST',
        *params,
    )
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


def _bucket(row: Record) -> Bucket:
    return Bucket(key=row[0], messages=row[1], parts=row[2], cost_micros=row[3])
