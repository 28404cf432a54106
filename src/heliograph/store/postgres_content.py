"""The PostgreSQL store's content side: composed MMS kept for handsets to fetch.

A mixin of ``PostgresStore``, with the rules of SQLite's (``sqlite_content``).
Each write is one transaction. Schema: migration 0011 (``mms_content``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from heliograph.domain.content import StoredMms
from heliograph.domain.ids import AccountId
from heliograph.store.base import Conflict
from heliograph.store.postgres_engine import Conn, Record

T = TypeVar("T")

_COLUMNS = "token, account_id, pdu, created_at, expires_at, fetches, first_fetched_at, adapt"


def _row(row: Record) -> StoredMms:
    token, account_id, pdu, created_at, expires_at, fetches, first, adapt = row
    return StoredMms(
        token=token,
        account_id=AccountId(account_id),
        pdu=bytes(pdu),
        created_at=created_at,
        expires_at=expires_at,
        fetches=fetches,
        first_fetched_at=first,
        adapt=adapt,
    )


class PostgresContent:
    async def _pg_read(self, job: Callable[[Conn], Awaitable[T]]) -> T:
        raise NotImplementedError

    async def _pg_write(self, job: Callable[[Conn], Awaitable[T]]) -> T:
        raise NotImplementedError

    async def put_mms(self, mms: StoredMms) -> None:
        """Keep a composed MMS. Raises: Conflict when the token exists."""

        async def job(conn: Conn) -> None:
            inserted = await conn.fetchval(
                f"INSERT INTO mms_content ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                " ON CONFLICT (token) DO NOTHING RETURNING 1",
                mms.token,
                mms.account_id,
                mms.pdu,
                mms.created_at,
                mms.expires_at,
                mms.fetches,
                mms.first_fetched_at,
                mms.adapt,
            )
            if inserted is None:
                raise Conflict(f"MMS token {mms.token} exists")

        await self._pg_write(job)

    async def get_mms(self, token: str) -> StoredMms | None:
        async def job(conn: Conn) -> StoredMms | None:
            row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM mms_content WHERE token = $1", token)
            return None if row is None else _row(row)

        return await self._pg_read(job)

    async def mms_fetched(self, token: str, now: float) -> None:
        """Count a handset's fetch of ``token``."""

        async def job(conn: Conn) -> None:
            await conn.execute(
                "UPDATE mms_content SET fetches = fetches + 1,"
                " first_fetched_at = COALESCE(first_fetched_at, $1) WHERE token = $2",
                now,
                token,
            )

        await self._pg_write(job)

    async def delete_mms(self, token: str) -> None:
        async def job(conn: Conn) -> None:
            await conn.execute("DELETE FROM mms_content WHERE token = $1", token)

        await self._pg_write(job)

    async def purge_mms(self, now: float) -> int:
        """Remove the MMS whose URL has expired; how many."""

        async def job(conn: Conn) -> int:
            status: str = await conn.execute("DELETE FROM mms_content WHERE expires_at <= $1", now)
            return int(status.rsplit(" ", 1)[1])

        return await self._pg_write(job)
