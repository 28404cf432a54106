"""Account administration on SQLite: credentials listed and revoked, settings changed,
sub-accounts attached to their parent and funded by it.

Sub-accounts are one level deep: a parent has no parent, and an account with
children cannot become a child, so no chain (and no cycle) can form. The one
writer runs each job alone, so the checks and the change they guard are atomic.

Kept beside ``SqliteStore`` rather than in it: it uses the store's writer and
readers, and only administration tools need it (``store.base.AccountAdmin``).
"""

from __future__ import annotations

import json
import sqlite3

from heliograph.domain.accounts import Account, Credential, CredentialKind
from heliograph.domain.ids import AccountId, MessageId
from heliograph.store import sqlite_lifecycle as lc
from heliograph.store.base import AccountAdmin, AccountChanges, Balance, Conflict, NotFound
from heliograph.store.sqlite import (
    _ACCOUNT_COLUMNS,
    SqliteStore,
    _account,
    _one_account,
    check_parent,
)


class SqliteAccountAdmin:
    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    async def list_credentials(self, account_id: AccountId) -> list[Credential]:
        def job(conn: sqlite3.Connection) -> list[Credential]:
            rows = conn.execute(
                "SELECT kind, lookup, secret_hash, created_at, revoked FROM credentials"
                " WHERE account_id = ? ORDER BY created_at, kind",
                (account_id,),
            )
            return [
                Credential(
                    account_id=account_id,
                    kind=CredentialKind(r[0]),
                    lookup=r[1],
                    secret_hash=r[2],
                    created_at=r[3],
                    revoked=bool(r[4]),
                )
                for r in rows
            ]

        return await self._store._read(job)

    async def revoke_credential(
        self, account_id: AccountId, kind: CredentialKind, lookup: str
    ) -> bool:
        def job(conn: sqlite3.Connection) -> bool:
            cur = conn.execute(
                "UPDATE credentials SET revoked = 1"
                " WHERE account_id = ? AND kind = ? AND lookup = ? AND revoked = 0",
                (account_id, kind.value, lookup),
            )
            return cur.rowcount > 0

        return await self._store._write(job)

    async def update_account(self, account_id: AccountId, changes: AccountChanges) -> Account:
        def job(conn: sqlite3.Connection) -> Account:
            sets: list[str] = []
            values: list[object] = []
            if changes.clear_callback_url:
                sets.append("callback_url = NULL")
            elif changes.callback_url is not None:
                sets.append("callback_url = ?")
                values.append(changes.callback_url)
            for column, value in (
                ("disabled", changes.disabled),
                ("is_admin", changes.is_admin),
            ):
                if value is not None:
                    sets.append(f"{column} = ?")
                    values.append(int(value))
            if changes.ip_allowlist is not None:
                sets.append("ip_allowlist = ?")
                values.append(",".join(changes.ip_allowlist))
            if changes.rules is not None:
                sets.append("rules = ?")
                values.append(json.dumps(changes.rules.as_dict()))
            if changes.clear_email:
                sets.append("email = NULL")
            elif changes.email is not None:
                sets.append("email = ?")
                values.append(changes.email)
            if changes.email_receipts is not None:
                sets.append("email_receipts = ?")
                values.append(changes.email_receipts.value)
            if sets:
                conn.execute(
                    f"UPDATE accounts SET {', '.join(sets)} WHERE id = ?", (*values, account_id)
                )
            account = _one_account(conn, "a.id = ?", account_id)
            if account is None:
                raise NotFound(f"no account {account_id}")
            return account

        return await self._store._write(job)

    # sub-accounts -----------------------------------------------------------

    async def children(self, parent_id: AccountId) -> list[Account]:
        def job(conn: sqlite3.Connection) -> list[Account]:
            rows = conn.execute(
                f"SELECT {_ACCOUNT_COLUMNS} FROM accounts a WHERE a.parent_id = ? ORDER BY a.name",
                (parent_id,),
            )
            return [_account(row) for row in rows]

        return await self._store._read(job)

    async def set_parent(self, account_id: AccountId, parent_id: AccountId | None) -> Account:
        def job(conn: sqlite3.Connection) -> Account:
            account = _one_account(conn, "a.id = ?", account_id)
            if account is None:
                raise NotFound(f"no account {account_id}")
            if parent_id is not None:
                check_parent(conn, account_id, parent_id)
            conn.execute(
                "UPDATE accounts SET parent_id = ? WHERE id = ?", (parent_id or "", account_id)
            )
            changed = _one_account(conn, "a.id = ?", account_id)
            assert changed is not None
            return changed

        return await self._store._write(job)

    async def transfer_credit(
        self, from_id: AccountId, to_id: AccountId, amount_micros: int, reason: str, now: float
    ) -> tuple[Balance, Balance]:
        if amount_micros <= 0:
            raise ValueError("a transfer moves a positive amount")

        def job(conn: sqlite3.Connection) -> tuple[Balance, Balance]:
            source, target = lc.balance(conn, from_id), lc.balance(conn, to_id)
            if source.currency != target.currency:
                raise Conflict(
                    f"the balances are in {source.currency} and {target.currency}:"
                    " credit moves only within one currency"
                )
            lc.change_balance(conn, from_id, -amount_micros, reason, now)
            lc.change_balance(conn, to_id, amount_micros, reason, now)
            return lc.balance(conn, from_id), lc.balance(conn, to_id)

        return await self._store._write(job)

    async def message_account(self, message_id: MessageId) -> AccountId | None:
        def job(conn: sqlite3.Connection) -> AccountId | None:
            row = conn.execute("SELECT account_id FROM messages WHERE id = ?", (message_id,))
            found = row.fetchone()
            return AccountId(found[0]) if found else None

        return await self._store._read(job)


def account_admin(store: object) -> AccountAdmin | None:
    """The administration of ``store``, or None when its backend has none yet."""
    if isinstance(store, SqliteStore):
        return SqliteAccountAdmin(store)
    return store if isinstance(store, AccountAdmin) else None  # PostgreSQL: the store itself
