"""Address books and templates on PostgreSQL (``store.books.AddressBooks``), schema 12.

A mixin of ``PostgresStore``, which so offers ``AddressBooks`` itself
(``store.sqlite_books.address_books`` hands the store back). The rules are
SQLite's (``sqlite_books``): a contact's groups are kept as JSON in ``contacts``
and once more, one row each, in ``contact_groups``, written by the same
transaction; names sort by code point (``COLLATE "C"``), as on SQLite.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from heliograph.domain.books import BookSummary, Contact, Template
from heliograph.domain.ids import AccountId
from heliograph.store.postgres_engine import Conn, Record

T = TypeVar("T")

_CONTACT = "SELECT c.number, c.name, c.groups, c.fields FROM contacts c"


def _contact(row: Record) -> Contact:
    return Contact(
        number=row[0], name=row[1], groups=tuple(json.loads(row[2])), fields=json.loads(row[3])
    )


def _count(status: str) -> int:
    """The rows an INSERT, UPDATE or DELETE touched, from its command status."""
    return int(status.rsplit(" ", 1)[-1])


class PostgresAddressBooks:
    """``store.books.AddressBooks`` on PostgreSQL: a mixin of ``PostgresStore``."""

    async def _pg_read(self, job: Callable[[Conn], Awaitable[T]]) -> T:
        raise NotImplementedError

    async def _pg_write(self, job: Callable[[Conn], Awaitable[T]]) -> T:
        raise NotImplementedError

    async def books(self, account_id: AccountId) -> list[BookSummary]:
        async def job(conn: Conn) -> list[BookSummary]:
            groups: dict[str, list[tuple[str, int]]] = {}
            for book, grp, count in await conn.fetch(
                "SELECT book, grp, count(*) FROM contact_groups WHERE account_id = $1"
                " GROUP BY book, grp ORDER BY book, grp",
                account_id,
            ):
                groups.setdefault(book, []).append((grp, count))
            rows = await conn.fetch(
                "SELECT b.name, b.created_at, (SELECT count(*) FROM contacts c"
                " WHERE c.account_id = b.account_id AND c.book = b.name)"
                " FROM address_books b WHERE b.account_id = $1 ORDER BY b.name",
                account_id,
            )
            return [
                BookSummary(
                    name=name, contacts=count, groups=tuple(groups.get(name, ())), created_at=at
                )
                for name, at, count in rows
            ]

        return await self._pg_read(job)

    async def contacts(
        self,
        account_id: AccountId,
        book: str,
        *,
        group: str | None = None,
        after: str | None = None,
        limit: int | None = None,
    ) -> list[Contact] | None:
        async def job(conn: Conn) -> list[Contact] | None:
            if not await conn.fetchval(
                "SELECT 1 FROM address_books WHERE account_id = $1 AND name = $2",
                account_id,
                book,
            ):
                return None
            sql = f"{_CONTACT} WHERE c.account_id = $1 AND c.book = $2"
            args: list[Any] = [account_id, book]
            if group is not None:
                args.append(group)
                sql += (
                    " AND EXISTS (SELECT 1 FROM contact_groups g WHERE g.account_id = c.account_id"
                    f" AND g.book = c.book AND g.grp = ${len(args)} AND g.number = c.number)"
                )
            if after is not None:
                args.append(after)
                sql += f" AND c.number > ${len(args)}"
            sql += " ORDER BY c.number"
            if limit is not None:
                sql += f" LIMIT {int(limit)}"
            return [_contact(r) for r in await conn.fetch(sql, *args)]

        return await self._pg_read(job)

    async def save_contacts(
        self, account_id: AccountId, book: str, contacts: Sequence[Contact], now: float
    ) -> tuple[int, int]:
        async def job(conn: Conn) -> tuple[int, int]:
            await conn.execute(
                "INSERT INTO address_books (account_id, name, created_at) VALUES ($1, $2, $3)"
                " ON CONFLICT DO NOTHING",
                account_id,
                book,
                now,
            )
            added = updated = 0
            for c in contacts:
                groups = json.dumps(list(c.groups), ensure_ascii=False)
                fields = json.dumps(dict(c.fields), ensure_ascii=False, sort_keys=True)
                # xmax = 0 only on a row this statement inserted; an updated row has ours.
                inserted = await conn.fetchval(
                    "INSERT INTO contacts (account_id, book, number, name, groups, fields,"
                    " updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)"
                    " ON CONFLICT (account_id, book, number) DO UPDATE SET name = $4,"
                    " groups = $5, fields = $6, updated_at = $7 RETURNING xmax = 0",
                    account_id,
                    book,
                    c.number,
                    c.name,
                    groups,
                    fields,
                    now,
                )
                if inserted:
                    added += 1
                else:
                    updated += 1
                    await conn.execute(
                        "DELETE FROM contact_groups WHERE account_id = $1 AND book = $2"
                        " AND number = $3",
                        account_id,
                        book,
                        c.number,
                    )
                if c.groups:
                    await conn.executemany(
                        "INSERT INTO contact_groups (account_id, book, grp, number)"
                        " VALUES ($1, $2, $3, $4)",
                        [(account_id, book, g, c.number) for g in c.groups],
                    )
            return added, updated

        return await self._pg_write(job)

    async def delete_contact(self, account_id: AccountId, book: str, number: str) -> bool:
        async def job(conn: Conn) -> bool:
            await conn.execute(
                "DELETE FROM contact_groups WHERE account_id = $1 AND book = $2 AND number = $3",
                account_id,
                book,
                number,
            )
            status: str = await conn.execute(
                "DELETE FROM contacts WHERE account_id = $1 AND book = $2 AND number = $3",
                account_id,
                book,
                number,
            )
            return _count(status) > 0

        return await self._pg_write(job)

    async def delete_book(self, account_id: AccountId, book: str) -> bool:
        async def job(conn: Conn) -> bool:
            for sql in (
                "DELETE FROM contact_groups WHERE account_id = $1 AND book = $2",
                "DELETE FROM contacts WHERE account_id = $1 AND book = $2",
            ):
                await conn.execute(sql, account_id, book)
            status: str = await conn.execute(
                "DELETE FROM address_books WHERE account_id = $1 AND name = $2", account_id, book
            )
            return _count(status) > 0

        return await self._pg_write(job)

    async def templates(self, account_id: AccountId) -> list[Template]:
        async def job(conn: Conn) -> list[Template]:
            rows = await conn.fetch(
                "SELECT name, text, updated_at FROM templates WHERE account_id = $1 ORDER BY name",
                account_id,
            )
            return [Template(name=r[0], text=r[1], updated_at=r[2]) for r in rows]

        return await self._pg_read(job)

    async def template(self, account_id: AccountId, name: str) -> Template | None:
        async def job(conn: Conn) -> Template | None:
            row = await conn.fetchrow(
                "SELECT name, text, updated_at FROM templates WHERE account_id = $1 AND name = $2",
                account_id,
                name,
            )
            return Template(name=row[0], text=row[1], updated_at=row[2]) if row else None

        return await self._pg_read(job)

    async def set_template(self, account_id: AccountId, name: str, text: str, now: float) -> bool:
        """Create or replace: True when it is new."""

        async def job(conn: Conn) -> bool:
            inserted: bool = await conn.fetchval(
                "INSERT INTO templates (account_id, name, text, updated_at)"
                " VALUES ($1, $2, $3, $4) ON CONFLICT (account_id, name)"
                " DO UPDATE SET text = $3, updated_at = $4 RETURNING xmax = 0",
                account_id,
                name,
                text,
                now,
            )
            return inserted

        return await self._pg_write(job)

    async def delete_template(self, account_id: AccountId, name: str) -> bool:
        async def job(conn: Conn) -> bool:
            status: str = await conn.execute(
                "DELETE FROM templates WHERE account_id = $1 AND name = $2", account_id, name
            )
            return _count(status) > 0

        return await self._pg_write(job)
