"""The content library on PostgreSQL (schema 13, ``content_library``).

The rules are SQLite's (``store.sqlite_library``): a number is the lowest free
one of its kind's range above the highest in use, else the lowest gap. Several
nodes may upload at once, so an upload takes the table's EXCLUSIVE lock inside
its transaction (readers are not blocked) before it looks for a free number:
two uploads never get the same number. ``UnsupportedLibrary`` is what a store
without a library gets; every method answers ``Rejected(NOT_SUPPORTED)``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar, runtime_checkable

from heliograph.domain.ids import AccountId
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.store.library import (
    LIBRARY_COLUMNS,
    LIBRARY_RANGES,
    LibraryItem,
    NewLibraryItem,
    library_item,
    library_row,
    numbered,
)

__all__ = ["NOT_SUPPORTED", "PostgresLibrary", "UnsupportedLibrary"]

T = TypeVar("T")
Conn = Any  # asyncpg.Connection (store.postgres_engine), not imported: asyncpg loads lazily

NOT_SUPPORTED = "this store keeps no content library"


@runtime_checkable
class PgTransactions(Protocol):
    """What the library needs of ``PostgresStore``: its read and write transactions."""

    async def _pg_read(self, job: Callable[[Conn], Awaitable[T]]) -> T: ...
    async def _pg_write(self, job: Callable[[Conn], Awaitable[T]]) -> T: ...


async def _free_number(conn: Conn, first: int, last: int) -> int | None:
    highest = await conn.fetchval(
        "SELECT max(number) FROM content_library WHERE number BETWEEN $1 AND $2", first, last
    )
    if highest is None:
        return first
    if highest < last:
        return int(highest) + 1
    gap = await conn.fetchval(
        "SELECT min(c.number + 1) FROM content_library c WHERE c.number BETWEEN $1 AND $2"
        " AND c.number < $2"
        " AND NOT EXISTS (SELECT 1 FROM content_library n WHERE n.number = c.number + 1)",
        first,
        last,
    )
    if gap is not None:
        return int(gap)
    taken = await conn.fetchval("SELECT 1 FROM content_library WHERE number = $1", first)
    return None if taken else first


class PostgresLibrary:
    """``store.library.ContentLibrary`` on a ``PostgresStore``."""

    def __init__(self, store: PgTransactions) -> None:
        self._store = store

    async def add(self, item: NewLibraryItem) -> LibraryItem | None:
        first, last = LIBRARY_RANGES[item.kind]

        async def job(conn: Conn) -> LibraryItem | None:
            await conn.execute("LOCK TABLE content_library IN EXCLUSIVE MODE")
            number = await _free_number(conn, first, last)
            if number is None:
                return None
            stored = numbered(item, number)
            await conn.execute(
                f"INSERT INTO content_library ({LIBRARY_COLUMNS})"
                " VALUES ($1, $2, $3, $4, $5, $6, $7)",
                *library_row(stored),
            )
            return stored

        return await self._store._pg_write(job)

    async def get(self, number: int) -> LibraryItem | None:
        async def job(conn: Conn) -> LibraryItem | None:
            row = await conn.fetchrow(
                f"SELECT {LIBRARY_COLUMNS} FROM content_library WHERE number = $1", number
            )
            return None if row is None else library_item(row)

        return await self._store._pg_read(job)

    async def items(self, account_id: AccountId, *, public: bool = True) -> list[LibraryItem]:
        where = "account_id = $1 OR account_id IS NULL" if public else "account_id = $1"

        async def job(conn: Conn) -> list[LibraryItem]:
            rows = await conn.fetch(
                f"SELECT {LIBRARY_COLUMNS} FROM content_library WHERE {where} ORDER BY number",
                account_id,
            )
            return [library_item(r) for r in rows]

        return await self._store._pg_read(job)

    async def delete(self, number: int) -> bool:
        async def job(conn: Conn) -> bool:
            status = await conn.execute("DELETE FROM content_library WHERE number = $1", number)
            return bool(int(status.rsplit(" ", 1)[-1]))

        return await self._store._pg_write(job)


def _unsupported() -> Rejected:
    return Rejected(RejectReason.NOT_SUPPORTED, NOT_SUPPORTED)


class UnsupportedLibrary:
    """The library of a store that has none: every method answers "not supported"."""

    async def add(self, item: NewLibraryItem) -> LibraryItem | None:
        raise _unsupported()

    async def get(self, number: int) -> LibraryItem | None:
        raise _unsupported()

    async def items(self, account_id: AccountId, *, public: bool = True) -> list[LibraryItem]:
        raise _unsupported()

    async def delete(self, number: int) -> bool:
        raise _unsupported()
