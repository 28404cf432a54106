"""Credit, price lists and sender ids on PostgreSQL (schema 3 and 4).

The rules are SQLite's (``sqlite_lifecycle.change_balance``, the credit part of
``SqliteStore``). What several nodes add is concurrency, and the account row
settles it: a charge or a refund is one conditional ``UPDATE … RETURNING`` of
that row inside the caller's transaction (the insert of the charged messages,
or the state change that refunds parts), so concurrent charges from any node
queue on the row lock, each sees the balance the previous one committed, and
no two can spend the same credit. The ledger row goes in the same transaction.

Lock order (``postgres_lifecycle`` Rule 1, extended): an account row is locked
last, after the parts and messages of the transaction; a refund that touches
several accounts locks them by id.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

from heliograph.domain.ids import AccountId
from heliograph.store.base import (
    Balance,
    InsufficientCredit,
    LedgerEntry,
    LedgerKind,
    NotFound,
)
from heliograph.store.postgres_engine import Conn

T = TypeVar("T")


async def balance(conn: Conn, account_id: str) -> Balance:
    row = await conn.fetchrow(
        "SELECT balance_micros, currency, reserved_micros FROM accounts WHERE id = $1",
        account_id,
    )
    if row is None:
        raise NotFound(f"no account {account_id}")
    return Balance(
        account_id=AccountId(account_id),
        balance_micros=row[0],
        currency=row[1],
        reserved_micros=row[2],
    )


async def change_balance(
    conn: Conn,
    account_id: str,
    delta_micros: int,
    reason: str,
    now: float,
    kind: LedgerKind = LedgerKind.ADJUST,
    reserve_change_micros: int = 0,
) -> int:
    """Add ``delta_micros`` (negative: take) to the available balance and
    ``reserve_change_micros`` to the reserved amount; write the ledger row.
    Returns the available balance.

    Raises: NotFound; InsufficientCredit when the balance would go below zero.
    """
    new: int | None = await conn.fetchval(
        "UPDATE accounts SET balance_micros = balance_micros + $1,"
        " reserved_micros = reserved_micros + $3"
        " WHERE id = $2 AND balance_micros + $1 >= 0 RETURNING balance_micros",
        delta_micros,
        account_id,
        reserve_change_micros,
    )
    if new is None:
        current = await balance(conn, account_id)
        raise InsufficientCredit(-delta_micros, current.balance_micros)
    await conn.execute(
        "INSERT INTO ledger (account_id, amount_micros, balance_micros, reason, at, kind,"
        " reserve_change_micros) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        account_id,
        delta_micros,
        new,
        reason,
        now,
        kind.value,
        reserve_change_micros,
    )
    return new


async def ledger(conn: Conn, account_id: str, limit: int) -> list[LedgerEntry]:
    rows = await conn.fetch(
        "SELECT id, account_id, kind, amount_micros, reserve_change_micros, balance_micros,"
        " reason, at FROM ledger WHERE account_id = $1 ORDER BY id DESC LIMIT $2",
        account_id,
        limit,
    )
    return [
        LedgerEntry(
            id=r[0],
            account_id=AccountId(r[1]),
            kind=LedgerKind(r[2]),
            amount_micros=r[3],
            reserve_change_micros=r[4],
            balance_micros=r[5],
            reason=r[6],
            at=r[7],
        )
        for r in rows
    ]


async def refund(conn: Conn, refunds: Mapping[str, int], reason: str, now: float) -> None:
    """Give back the price of parts that ended without reaching an upstream (accounts by id)."""
    for account_id in sorted(refunds):
        if refunds[account_id]:
            await change_balance(
                conn, account_id, refunds[account_id], reason, now, LedgerKind.REFUND
            )


async def release(
    conn: Conn, held: Mapping[tuple[str, bool], int], reason: str, now: float
) -> None:
    """Settle (delivered: True) or refund (False) reserved prices, accounts by id."""
    for (account_id, delivered), micros in sorted(held.items()):
        if delivered:
            await change_balance(
                conn, account_id, 0, "settle: parts delivered", now, LedgerKind.SETTLE, -micros
            )
        else:
            await change_balance(conn, account_id, micros, reason, now, LedgerKind.REFUND, -micros)


class PostgresCredit:
    """Balances, price lists and sender ids: a mixin of ``PostgresStore``."""

    async def _pg_read(self, job: Callable[[Conn], Awaitable[T]]) -> T:
        raise NotImplementedError

    async def _pg_write(self, job: Callable[[Conn], Awaitable[T]]) -> T:
        raise NotImplementedError

    # credit -----------------------------------------------------------------

    async def balance(self, account_id: AccountId) -> Balance:
        return await self._pg_read(lambda conn: balance(conn, account_id))

    async def adjust_balance(
        self, account_id: AccountId, amount_micros: int, reason: str, now: float
    ) -> Balance:
        async def job(conn: Conn) -> Balance:
            await change_balance(conn, account_id, amount_micros, reason, now)
            return await balance(conn, account_id)

        return await self._pg_write(job)

    async def ledger(self, account_id: AccountId, *, limit: int = 100) -> list[LedgerEntry]:
        return await self._pg_read(lambda conn: ledger(conn, account_id, limit))

    async def set_price(self, account_id: AccountId | None, prefix: str, price_micros: int) -> None:
        async def job(conn: Conn) -> None:
            await conn.execute(
                "INSERT INTO prices VALUES ($1, $2, $3) ON CONFLICT (account_id, prefix)"
                " DO UPDATE SET price_micros = EXCLUDED.price_micros",
                account_id or "",
                prefix,
                price_micros,
            )

        await self._pg_write(job)

    async def delete_price(self, account_id: AccountId | None, prefix: str) -> bool:
        async def job(conn: Conn) -> bool:
            status: str = await conn.execute(
                "DELETE FROM prices WHERE account_id = $1 AND prefix = $2",
                account_id or "",
                prefix,
            )
            return status != "DELETE 0"

        return await self._pg_write(job)

    async def price_lists(self, account_id: AccountId) -> tuple[dict[str, int], dict[str, int]]:
        async def job(conn: Conn) -> tuple[dict[str, int], dict[str, int]]:
            own: dict[str, int] = {}
            default: dict[str, int] = {}
            rows = await conn.fetch(
                "SELECT account_id, prefix, price_micros FROM prices"
                " WHERE account_id = $1 OR account_id = ''",
                account_id,
            )
            for owner, prefix, price in rows:
                (own if owner else default)[prefix] = price
            return own, default

        return await self._pg_read(job)

    # sender ids -------------------------------------------------------------

    async def senders(self, account_id: AccountId) -> list[tuple[str, bool]]:
        async def job(conn: Conn) -> list[tuple[str, bool]]:
            rows = await conn.fetch(
                "SELECT sender, is_default FROM senders WHERE account_id = $1"
                ' ORDER BY sender COLLATE "C"',
                account_id,
            )
            return [(r[0], r[1]) for r in rows]

        return await self._pg_read(job)

    async def add_sender(
        self, account_id: AccountId, sender: str, *, default: bool, now: float
    ) -> None:
        async def job(conn: Conn) -> None:
            if await conn.fetchval("SELECT 1 FROM accounts WHERE id = $1", account_id) is None:
                raise NotFound(f"no account {account_id}")
            if default:
                await conn.execute(
                    "UPDATE senders SET is_default = FALSE WHERE account_id = $1 AND is_default",
                    account_id,
                )
            await conn.execute(
                "INSERT INTO senders (account_id, sender, is_default, created_at)"
                " VALUES ($1, $2, $3, $4) ON CONFLICT (account_id, sender)"
                " DO UPDATE SET is_default = EXCLUDED.is_default",
                account_id,
                sender,
                default,
                now,
            )

        await self._pg_write(job)

    async def remove_sender(self, account_id: AccountId, sender: str) -> bool:
        async def job(conn: Conn) -> bool:
            status: str = await conn.execute(
                "DELETE FROM senders WHERE account_id = $1 AND sender = $2", account_id, sender
            )
            return status != "DELETE 0"

        return await self._pg_write(job)
