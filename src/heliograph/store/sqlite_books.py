"""Address books and templates on SQLite (``store.books.AddressBooks``), schema 11.

Kept beside ``SqliteStore`` rather than in it, like ``sqlite_admin``: it uses the
store's writer and readers, and only the books service needs it. A contact's
groups are kept twice: as JSON in ``contacts`` (read back with the contact) and
one row each in ``contact_groups`` (to select a group and count its members);
both are written by the same job, in the same transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from heliograph.domain.books import BookSummary, Contact, Template
from heliograph.domain.ids import AccountId
from heliograph.store.books import AddressBooks
from heliograph.store.sqlite import SqliteStore

_CONTACT = "SELECT c.number, c.name, c.groups, c.fields FROM contacts c"


def _contact(row: sqlite3.Row | tuple[str, str | None, str, str]) -> Contact:
    return Contact(
        number=row[0], name=row[1], groups=tuple(json.loads(row[2])), fields=json.loads(row[3])
    )


class SqliteAddressBooks:
    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    async def books(self, account_id: AccountId) -> list[BookSummary]:
        def job(conn: sqlite3.Connection) -> list[BookSummary]:
            groups: dict[str, list[tuple[str, int]]] = {}
            for book, grp, count in conn.execute(
                "SELECT book, grp, count(*) FROM contact_groups WHERE account_id = ?"
                " GROUP BY book, grp ORDER BY book, grp",
                (account_id,),
            ):
                groups.setdefault(book, []).append((grp, count))
            rows = conn.execute(
                "SELECT b.name, b.created_at, (SELECT count(*) FROM contacts c"
                " WHERE c.account_id = b.account_id AND c.book = b.name)"
                " FROM address_books b WHERE b.account_id = ? ORDER BY b.name",
                (account_id,),
            )
            return [
                BookSummary(
                    name=name, contacts=count, groups=tuple(groups.get(name, ())), created_at=at
                )
                for name, at, count in rows
            ]

        return await self._store._read(job)

    async def contacts(
        self,
        account_id: AccountId,
        book: str,
        *,
        group: str | None = None,
        after: str | None = None,
        limit: int | None = None,
    ) -> list[Contact] | None:
        def job(conn: sqlite3.Connection) -> list[Contact] | None:
            if not conn.execute(
                "SELECT 1 FROM address_books WHERE account_id = ? AND name = ?",
                (account_id, book),
            ).fetchone():
                return None
            sql, args = f"{_CONTACT} WHERE c.account_id = ? AND c.book = ?", [account_id, book]
            if group is not None:
                sql += (
                    " AND EXISTS (SELECT 1 FROM contact_groups g WHERE g.account_id = c.account_id"
                    " AND g.book = c.book AND g.grp = ? AND g.number = c.number)"
                )
                args.append(group)
            if after is not None:
                sql += " AND c.number > ?"
                args.append(after)
            sql += " ORDER BY c.number"
            if limit is not None:
                sql += f" LIMIT {int(limit)}"
            return [_contact(r) for r in conn.execute(sql, args)]

        return await self._store._read(job)

    async def save_contacts(
        self, account_id: AccountId, book: str, contacts: Sequence[Contact], now: float
    ) -> tuple[int, int]:
        def job(conn: sqlite3.Connection) -> tuple[int, int]:
            conn.execute(
                "INSERT OR IGNORE INTO address_books (account_id, name, created_at)"
                " VALUES (?, ?, ?)",
                (account_id, book, now),
            )
            added = updated = 0
            for c in contacts:
                key = (account_id, book, c.number)
                if conn.execute(
                    "SELECT 1 FROM contacts WHERE account_id = ? AND book = ? AND number = ?", key
                ).fetchone():
                    updated += 1
                    conn.execute(
                        "DELETE FROM contact_groups WHERE account_id = ? AND book = ?"
                        " AND number = ?",
                        key,
                    )
                else:
                    added += 1
                conn.execute(
                    "INSERT OR REPLACE INTO contacts"
                    " (account_id, book, number, name, groups, fields, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        *key,
                        c.name,
                        json.dumps(list(c.groups), ensure_ascii=False),
                        json.dumps(dict(c.fields), ensure_ascii=False, sort_keys=True),
                        now,
                    ),
                )
                conn.executemany(
                    "INSERT INTO contact_groups (account_id, book, grp, number)"
                    " VALUES (?, ?, ?, ?)",
                    [(account_id, book, g, c.number) for g in c.groups],
                )
            return added, updated

        return await self._store._write(job)

    async def delete_contact(self, account_id: AccountId, book: str, number: str) -> bool:
        def job(conn: sqlite3.Connection) -> bool:
            key = (account_id, book, number)
            conn.execute(
                "DELETE FROM contact_groups WHERE account_id = ? AND book = ? AND number = ?", key
            )
            cur = conn.execute(
                "DELETE FROM contacts WHERE account_id = ? AND book = ? AND number = ?", key
            )
            return cur.rowcount > 0

        return await self._store._write(job)

    async def delete_book(self, account_id: AccountId, book: str) -> bool:
        def job(conn: sqlite3.Connection) -> bool:
            key = (account_id, book)
            conn.execute("DELETE FROM contact_groups WHERE account_id = ? AND book = ?", key)
            conn.execute("DELETE FROM contacts WHERE account_id = ? AND book = ?", key)
            cur = conn.execute("DELETE FROM address_books WHERE account_id = ? AND name = ?", key)
            return cur.rowcount > 0

        return await self._store._write(job)

    async def templates(self, account_id: AccountId) -> list[Template]:
        def job(conn: sqlite3.Connection) -> list[Template]:
            rows = conn.execute(
                "SELECT name, text, updated_at FROM templates WHERE account_id = ? ORDER BY name",
                (account_id,),
            )
            return [Template(name=r[0], text=r[1], updated_at=r[2]) for r in rows]

        return await self._store._read(job)

    async def template(self, account_id: AccountId, name: str) -> Template | None:
        def job(conn: sqlite3.Connection) -> Template | None:
            row = conn.execute(
                "SELECT name, text, updated_at FROM templates WHERE account_id = ? AND name = ?",
                (account_id, name),
            ).fetchone()
            return Template(name=row[0], text=row[1], updated_at=row[2]) if row else None

        return await self._store._read(job)

    async def set_template(self, account_id: AccountId, name: str, text: str, now: float) -> bool:
        def job(conn: sqlite3.Connection) -> bool:
            cur = conn.execute(
                "UPDATE templates SET text = ?, updated_at = ? WHERE account_id = ? AND name = ?",
                (text, now, account_id, name),
            )
            if cur.rowcount:
                return False
            conn.execute(
                "INSERT INTO templates (account_id, name, text, updated_at) VALUES (?, ?, ?, ?)",
                (account_id, name, text, now),
            )
            return True

        return await self._store._write(job)

    async def delete_template(self, account_id: AccountId, name: str) -> bool:
        def job(conn: sqlite3.Connection) -> bool:
            cur = conn.execute(
                "DELETE FROM templates WHERE account_id = ? AND name = ?", (account_id, name)
            )
            return cur.rowcount > 0

        return await self._store._write(job)


def address_books(store: object) -> AddressBooks | None:
    """The address books of ``store``, or None when its backend has none.

    SQLite's are this module's; ``PostgresStore`` offers them itself (``postgres_books``).
    """
    if isinstance(store, SqliteStore):
        return SqliteAddressBooks(store)
    return store if isinstance(store, AddressBooks) else None
