"""Account administration on PostgreSQL (schema 8, 15): credentials listed and revoked,
settings changed, sub-accounts attached and funded, and how an account row reads. The rules
are SQLite's (``sqlite_admin``).

Several nodes may change one family at once, so every check takes the row locks of the
accounts it reads first, in id order (``postgres_credit``'s rule for account rows): a
transfer cannot race a charge or another transfer into spending credit twice, and an
account cannot become a child while it is given a child of its own.

A mixin of ``PostgresStore``, which so offers ``store.base.AccountAdmin`` itself.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from heliograph.domain.accounts import (
    Account,
    Credential,
    CredentialKind,
    ReceiptMail,
    parse_rules,
)
from heliograph.domain.ids import AccountId, MessageId
from heliograph.store.base import AccountChanges, Balance, Conflict, NotFound
from heliograph.store.postgres_credit import balance, change_balance
from heliograph.store.postgres_engine import Conn, Record

T = TypeVar("T")

ACCOUNT_COLUMNS = (
    "a.id, a.name, a.callback_url, a.callback_secret, a.created_at, a.disabled, a.is_admin,"
    " a.ip_allowlist, a.rules, a.parent_id, a.email, a.email_receipts"
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
        account.parent_id or "",
        account.email,
        account.email_receipts.value,
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
        parent_id=row[9] or None,
        email=row[10],
        email_receipts=ReceiptMail(row[11]),
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
                ("email", None if changes.clear_email else changes.email),
                (
                    "email_receipts",
                    changes.email_receipts.value if changes.email_receipts is not None else None,
                ),
            ):
                if value is None:
                    continue
                values.append(",".join(value) if isinstance(value, tuple) else value)
                sets.append(f"{column} = ${len(values)}")
            if changes.clear_email:
                sets.append("email = NULL")
            if sets:
                await conn.execute(f"UPDATE accounts SET {', '.join(sets)} WHERE id = $1", *values)
            row = await conn.fetchrow(
                f"SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.id = $1", account_id
            )
            if row is None:
                raise NotFound(f"no account {account_id}")
            return account_of(row)

        return await self._pg_write(job)

    # sub-accounts -----------------------------------------------------------

    async def children(self, parent_id: AccountId) -> list[Account]:
        async def job(conn: Conn) -> list[Account]:
            rows = await conn.fetch(
                f"SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.parent_id = $1"
                ' ORDER BY a.name COLLATE "C"',
                parent_id,
            )
            return [account_of(row) for row in rows]

        return await self._pg_read(job)

    async def set_parent(self, account_id: AccountId, parent_id: AccountId | None) -> Account:
        async def job(conn: Conn) -> Account:
            await lock_accounts(conn, [account_id, *([parent_id] if parent_id else [])])
            if await conn.fetchval("SELECT 1 FROM accounts WHERE id = $1", account_id) is None:
                raise NotFound(f"no account {account_id}")
            if parent_id is not None:
                await check_parent(conn, account_id, parent_id)
            await conn.execute(
                "UPDATE accounts SET parent_id = $2 WHERE id = $1", account_id, parent_id or ""
            )
            row = await conn.fetchrow(
                f"SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.id = $1", account_id
            )
            return account_of(row)

        return await self._pg_write(job)

    async def transfer_credit(
        self, from_id: AccountId, to_id: AccountId, amount_micros: int, reason: str, now: float
    ) -> tuple[Balance, Balance]:
        if amount_micros <= 0:
            raise ValueError("a transfer moves a positive amount")

        async def job(conn: Conn) -> tuple[Balance, Balance]:
            await lock_accounts(conn, [from_id, to_id])
            source, target = await balance(conn, from_id), await balance(conn, to_id)
            if source.currency != target.currency:
                raise Conflict(
                    f"the balances are in {source.currency} and {target.currency}:"
                    " credit moves only within one currency"
                )
            await change_balance(conn, from_id, -amount_micros, reason, now)
            await change_balance(conn, to_id, amount_micros, reason, now)
            return await balance(conn, from_id), await balance(conn, to_id)

        return await self._pg_write(job)

    async def message_account(self, message_id: MessageId) -> AccountId | None:
        async def job(conn: Conn) -> AccountId | None:
            found = await conn.fetchval("SELECT account_id FROM messages WHERE id = $1", message_id)
            return AccountId(found) if found is not None else None

        return await self._pg_read(job)


async def lock_accounts(conn: Conn, account_ids: list[str]) -> None:
    """Lock the rows of the accounts, in id order (no two transactions wait on each other)."""
    await conn.execute(
        "SELECT 1 FROM accounts WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE",
        sorted(set(account_ids)),
    )


async def check_parent(conn: Conn, account_id: str, parent_id: str) -> None:
    """Refuse a parent that would nest sub-accounts or change a currency (rows locked).

    Raises: NotFound (no such parent); Conflict.
    """
    parent = await conn.fetchrow(
        "SELECT parent_id, currency FROM accounts WHERE id = $1", parent_id
    )
    if parent is None:
        raise NotFound(f"no parent account {parent_id}")
    if parent_id == account_id:
        raise Conflict("an account cannot be its own parent")
    if parent[0]:
        raise Conflict("the parent is a sub-account itself: sub-accounts are one level deep")
    if await conn.fetchval("SELECT 1 FROM accounts WHERE parent_id = $1 LIMIT 1", account_id):
        raise Conflict("the account has sub-accounts of its own: it cannot become one")
    own = await conn.fetchval("SELECT currency FROM accounts WHERE id = $1", account_id)
    if own is not None and own != parent[1]:
        raise Conflict(f"the account is in {own}, its parent in {parent[1]}")
