"""Account administration on PostgreSQL (schema 8): credentials listed and revoked, settings
changed, and how an account row reads. The rules are SQLite's (``sqlite_admin``).

A mixin of ``PostgresStore``, which so offers ``store.base.AccountAdmin`` itself.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from heliograph.domain.accounts import Account, Credential, CredentialKind, parse_rules
from heliograph.domain.ids import AccountId
from heliograph.store.base import AccountChanges, NotFound
from heliograph.store.postgres_engine import Conn, Record

T = TypeVar("T")

ACCOUNT_COLUMNS = (
    "a.id, a.name, a.callback_url, a.callback_secret, a.created_at, a.disabled, a.is_admin,"
    " a.ip_allowlist, a.rules"
)


def account_row(account: Account) -> tuple[Any, ...]:
    """The values of ``ACCOUNT_COLUMNS`` for a new account."""
    return (
        account.id,
        account.name,
        account.callback_url,
        account.callback_secret,
        account.created_at,
        account.disabled,
        account.is_admin,
        ",".join(account.ip_allowlist),
        json.dumps(account.rules.as_dict()),
    )


def account_of(row: Record) -> Account:
    """An account from the ``ACCOUNT_COLUMNS`` of a row."""
    return Account(
        id=row[0],
        name=row[1],
        callback_url=row[2],
        callback_secret=row[3],
        created_at=row[4],
        disabled=row[5],
        is_admin=row[6],
        ip_allowlist=tuple(n for n in row[7].split(",") if n),
        rules=parse_rules(json.loads(row[8])),
    )


class PostgresAccountAdmin:
    """``store.base.AccountAdmin`` on PostgreSQL: a mixin of ``PostgresStore``."""

    async def _pg_read(self, job: Callable[[Conn], Awaitable[T]]) -> T:
        raise NotImplementedError

    async def _pg_write(self, job: Callable[[Conn], Awaitable[T]]) -> T:
        raise NotImplementedError

    async def list_credentials(self, account_id: AccountId) -> list[Credential]:
        async def job(conn: Conn) -> list[Credential]:
            rows = await conn.fetch(
                "SELECT kind, lookup, secret_hash, created_at, revoked FROM credentials"
                " WHERE account_id = $1 ORDER BY created_at, kind",
                account_id,
            )
            return [
                Credential(
                    account_id=account_id,
                    kind=CredentialKind(r[0]),
                    lookup=r[1],
                    secret_hash=r[2],
                    created_at=r[3],
                    revoked=r[4],
                )
                for r in rows
            ]

        return await self._pg_read(job)

    async def revoke_credential(
        self, account_id: AccountId, kind: CredentialKind, lookup: str
    ) -> bool:
        async def job(conn: Conn) -> bool:
            status: str = await conn.execute(
                "UPDATE credentials SET revoked = TRUE"
                " WHERE account_id = $1 AND kind = $2 AND lookup = $3 AND NOT revoked",
                account_id,
                kind.value,
                lookup,
            )
            return status != "UPDATE 0"

        return await self._pg_write(job)

    async def update_account(self, account_id: AccountId, changes: AccountChanges) -> Account:
        """Raises: NotFound."""

        async def job(conn: Conn) -> Account:
            sets: list[str] = []
            values: list[object] = [account_id]
            if changes.clear_callback_url:
                sets.append("callback_url = NULL")
            elif changes.callback_url is not None:
                values.append(changes.callback_url)
                sets.append(f"callback_url = ${len(values)}")
            for column, value in (
                ("disabled", changes.disabled),
                ("is_admin", changes.is_admin),
                ("ip_allowlist", changes.ip_allowlist),
                (
                    "rules",
                    json.dumps(changes.rules.as_dict()) if changes.rules is not None else None,
                ),
            ):
                if value is None:
                    continue
                values.append(",".join(value) if isinstance(value, tuple) else value)
                sets.append(f"{column} = ${len(values)}")
            if sets:
                await conn.execute(f"UPDATE accounts SET {', '.join(sets)} WHERE id = $1", *values)
            row = await conn.fetchrow(
                f"SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.id = $1", account_id
            )
            if row is None:
                raise NotFound(f"no account {account_id}")
            return account_of(row)

        return await self._pg_write(job)
