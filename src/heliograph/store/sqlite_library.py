"""The content library on SQLite (schema 13, ``content_library``); ``content_library()``.

Kept beside ``SqliteStore`` rather than in it, as ``sqlite_books`` is: it uses
the store's writer and readers. A number is allocated inside the writer's
transaction: the lowest free number of the kind's range above the highest in
use, else the lowest gap, so two uploads never get the same number.
"""

from __future__ import annotations

import sqlite3

from heliograph.domain.ids import AccountId
from heliograph.store.library import (
    LIBRARY_COLUMNS,
    LIBRARY_RANGES,
    ContentLibrary,
    LibraryItem,
    NewLibraryItem,
    library_item,
    library_row,
    numbered,
)
from heliograph.store.postgres_library import PgTransactions, PostgresLibrary, UnsupportedLibrary
from heliograph.store.sqlite import SqliteStore

__all__ = ["SqliteLibrary", "content_library"]


def _free_number(conn: sqlite3.Connection, first: int, last: int) -> int | None:
    (highest,) = conn.execute(
        "SELECT MAX(number) FROM content_library WHERE number BETWEEN ? AND ?", (first, last)
    ).fetchone()
    if highest is None:
        return first
    if highest < last:
        return int(highest) + 1
    row = conn.execute(
        "SELECT MIN(c.number + 1) FROM content_library c WHERE c.number BETWEEN ? AND ?"
        " AND NOT EXISTS (SELECT 1 FROM content_library n WHERE n.number = c.number + 1)"
        " AND c.number < ?",
        (first, last, last),
    ).fetchone()
    if row[0] is not None:
        return int(row[0])
    exists = conn.execute("SELECT 1 FROM content_library WHERE number = ?", (first,)).fetchone()
    return None if exists else first


class SqliteLibrary:
    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    async def add(self, item: NewLibraryItem) -> LibraryItem | None:
        first, last = LIBRARY_RANGES[item.kind]

        def job(conn: sqlite3.Connection) -> LibraryItem | None:
            number = _free_number(conn, first, last)
            if number is None:
                return None
            stored = numbered(item, number)
            conn.execute(
                f"INSERT INTO content_library ({LIBRARY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                library_row(stored),
            )
            return stored

        return await self._store._write(job)

    async def get(self, number: int) -> LibraryItem | None:
        def job(conn: sqlite3.Connection) -> LibraryItem | None:
            row = conn.execute(
                f"SELECT {LIBRARY_COLUMNS} FROM content_library WHERE number = ?", (number,)
            ).fetchone()
            return None if row is None else library_item(row)

        return await self._store._read(job)

    async def items(self, account_id: AccountId, *, public: bool = True) -> list[LibraryItem]:
        where = "account_id = ? OR account_id IS NULL" if public else "account_id = ?"

        def job(conn: sqlite3.Connection) -> list[LibraryItem]:
            rows = conn.execute(
                f"SELECT {LIBRARY_COLUMNS} FROM content_library WHERE {where} ORDER BY number",
                (account_id,),
            )
            return [library_item(r) for r in rows]

        return await self._store._read(job)

    async def delete(self, number: int) -> bool:
        def job(conn: sqlite3.Connection) -> bool:
            cur = conn.execute("DELETE FROM content_library WHERE number = ?", (number,))
            return cur.rowcount > 0

        return await self._store._write(job)


def content_library(store: object) -> ContentLibrary:
    """The content library of ``store``: SQLite's, PostgreSQL's (``postgres_library``),
    or for any other object one answering "not supported"."""
    if isinstance(store, SqliteStore):
        return SqliteLibrary(store)
    if isinstance(store, PgTransactions):
        return PostgresLibrary(store)
    return UnsupportedLibrary()
