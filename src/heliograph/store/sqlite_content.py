"""The SQLite store's content side: composed MMS kept for handsets to fetch.

A mixin of ``SqliteStore``. Each write is one writer job, so one transaction.
Schema: migrations 0007 (``mms_content``) and 0009 (its ``adapt`` flag).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

from heliograph.domain.content import StoredMms
from heliograph.domain.ids import AccountId
from heliograph.store.base import Conflict

T = TypeVar("T")

_COLUMNS = "token, account_id, pdu, created_at, expires_at, fetches, first_fetched_at, adapt"


def _row(row: sqlite3.Row | tuple[Any, ...]) -> StoredMms:
    token, account_id, pdu, created_at, expires_at, fetches, first, adapt = row
    return StoredMms(
        token=token,
        account_id=AccountId(account_id),
        pdu=bytes(pdu),
        created_at=created_at,
        expires_at=expires_at,
        fetches=fetches,
        first_fetched_at=first,
        adapt=bool(adapt),
    )


class SqliteContent:
    async def _read(self, job: Callable[[sqlite3.Connection], T]) -> T:
        raise NotImplementedError

    async def _write(self, job: Callable[[sqlite3.Connection], T]) -> T:
        raise NotImplementedError

    async def put_mms(self, mms: StoredMms) -> None:
        """Keep a composed MMS. Raises: Conflict when the token exists."""

        def job(conn: sqlite3.Connection) -> None:
            try:
                conn.execute(
                    f"INSERT INTO mms_content ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        mms.token,
                        mms.account_id,
                        mms.pdu,
                        mms.created_at,
                        mms.expires_at,
                        mms.fetches,
                        mms.first_fetched_at,
                        int(mms.adapt),
                    ),
                )
            except sqlite3.IntegrityError as exc:
                raise Conflict(f"MMS token {mms.token} exists") from exc

        await self._write(job)

    async def get_mms(self, token: str) -> StoredMms | None:
        def job(conn: sqlite3.Connection) -> StoredMms | None:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM mms_content WHERE token = ?", (token,)
            ).fetchone()
            return None if row is None else _row(row)

        return await self._read(job)

    async def mms_fetched(self, token: str, now: float) -> None:
        """Count a handset's fetch of ``token``."""

        def job(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE mms_content SET fetches = fetches + 1,"
                " first_fetched_at = COALESCE(first_fetched_at, ?) WHERE token = ?",
                (now, token),
            )

        await self._write(job)

    async def delete_mms(self, token: str) -> None:
        def job(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM mms_content WHERE token = ?", (token,))

        await self._write(job)

    async def purge_mms(self, now: float) -> int:
        """Remove the MMS whose URL has expired; how many."""

        def job(conn: sqlite3.Connection) -> int:
            return conn.execute("DELETE FROM mms_content WHERE expires_at <= ?", (now,)).rowcount

        return await self._write(job)
