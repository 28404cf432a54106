"""The SQLite store (the embedded default) and the in-memory store.

SQL for SQLite lives here; the lifecycle rules it applies come from
``domain.messages`` (transitions, derived message state) so that every backend
decides alike. Writes are jobs of the group-commit writer in
``sqlite_engine``; each public write method is one job and so one atomic unit.

``SqliteStore(":memory:")`` is the in-memory store used by unit and service
tests: the same schema and rules, nothing on disk, every access on the writer
thread's single connection.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from heliograph.domain.accounts import (
    Account,
    Credential,
    CredentialKind,
    ReceiptMail,
    parse_rules,
)
from heliograph.domain.ids import AccountId, ConnectorId, MessageId, UpstreamId
from heliograph.domain.messages import MessageState, MessageView
from heliograph.domain.messages import NewMessage as NewMessage
from heliograph.domain.outcomes import Receipt
from heliograph.store import sqlite_lifecycle as lc
from heliograph.store.base import (
    Balance,
    CallbackJob,
    CallbackRetry,
    Changes,
    Charge,
    ClaimedPart,
    Conflict,
    IdempotentAnswer,
    LedgerEntry,
    LedgerKind,
    MessageFilter,
    NotFound,
    PartResult,
    QueueDepth,
)
from heliograph.store.sqlite_content import SqliteContent
from heliograph.store.sqlite_engine import (
    LOG_RESTART_PAGES,
    Checkpointer,
    Writer,
    connect,
    map_sqlite_error,
    migrate,
)
from heliograph.store.sqlite_inbound import SqliteInbound

T = TypeVar("T")

IDEMPOTENCY_TTL_S = 86400.0


class SqliteStore(SqliteInbound, SqliteContent):  # MO...: sqlite_inbound; MMS: sqlite_content
    def __init__(self, path: str, *, synchronous: str = "FULL", readers: int = 2) -> None:
        self.path = path
        self._synchronous = synchronous
        self._memory = path == ":memory:"
        self._readers = readers
        self._writer: Writer | None = None
        self._checkpointer: Checkpointer | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._local = threading.local()
        self._reader_conns: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    @property
    def writer(self) -> Writer:
        assert self._writer is not None, "store not open"
        return self._writer

    async def open(self, now: float = 0.0) -> None:
        conn = connect(
            self.path,
            synchronous=self._synchronous,
            autocheckpoint=1000 if self._memory else LOG_RESTART_PAGES,
        )
        migrate(conn, now)
        self._writer = Writer(conn, asyncio.get_running_loop())
        if not self._memory:  # checkpoints mostly off the commit path: sqlite_engine
            self._checkpointer = Checkpointer(self.path, synchronous=self._synchronous)
            self._checkpointer.start()
        self._writer.start()
        if not self._memory:
            self._pool = ThreadPoolExecutor(self._readers, thread_name_prefix="heliograph-reader")

    async def close(self) -> None:
        if self._checkpointer is not None:
            await asyncio.to_thread(self._checkpointer.stop)
            self._checkpointer = None
        if self._writer is not None:
            await asyncio.to_thread(self._writer.stop)
            self._writer = None
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        for conn in self._reader_conns:
            conn.close()
        self._reader_conns.clear()

    async def _write(self, job: Callable[[sqlite3.Connection], T]) -> T:
        result: T = await self.writer.submit(job)
        return result

    async def _read(self, job: Callable[[sqlite3.Connection], T]) -> T:
        if self._pool is None:
            result: T = await self.writer.submit(job)
            return result
        return await asyncio.get_running_loop().run_in_executor(self._pool, self._run_read, job)

    def _run_read(self, job: Callable[[sqlite3.Connection], T]) -> T:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path, synchronous=self._synchronous, readonly=True)
            self._local.conn = conn
            with self._lock:
                self._reader_conns.append(conn)
        try:
            return job(conn)
        except sqlite3.Error as exc:
            raise map_sqlite_error(exc) from exc

    # accounts ---------------------------------------------------------------

    async def create_account(self, account: Account, credentials: Sequence[Credential]) -> None:
        def job(conn: sqlite3.Connection) -> None:
            if conn.execute("SELECT 1 FROM accounts WHERE name = ?", (account.name,)).fetchone():
                raise Conflict(f"account name {account.name!r} is taken")
            if account.parent_id is not None:  # a sub-account
                check_parent(conn, account.id, account.parent_id)
            conn.execute(
                "INSERT INTO accounts (id, name, callback_url, callback_secret, created_at,"
                " disabled, is_admin, ip_allowlist, rules, parent_id, email, email_receipts)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    account.id,
                    account.name,
                    account.callback_url,
                    account.callback_secret,
                    account.created_at,
                    int(account.disabled),
                    int(account.is_admin),
                    ",".join(account.ip_allowlist),
                    json.dumps(account.rules.as_dict()),
                    account.parent_id or "",
                    account.email,
                    account.email_receipts.value,
                ),
            )
            if account.parent_id is not None:  # kept in its parent's currency
                conn.execute(
                    "UPDATE accounts SET currency = (SELECT currency FROM accounts WHERE id = ?)"
                    " WHERE id = ?",
                    (account.parent_id, account.id),
                )
            _insert_credentials(conn, credentials)

        await self._write(job)

    async def add_credentials(self, credentials: Sequence[Credential]) -> None:
        await self._write(lambda conn: _insert_credentials(conn, credentials))

    async def find_credential(
        self, kind: CredentialKind, lookup: str
    ) -> tuple[Account, Credential] | None:
        def job(conn: sqlite3.Connection) -> tuple[Account, Credential] | None:
            row = conn.execute(
                "SELECT c.account_id, c.secret_hash, c.created_at, c.revoked, "
                + _ACCOUNT_COLUMNS
                + " FROM credentials c JOIN accounts a ON a.id = c.account_id"
                " WHERE c.kind = ? AND c.lookup = ?",
                (kind.value, lookup),
            ).fetchone()
            if row is None:
                return None
            cred = Credential(
                account_id=row[0],
                kind=kind,
                lookup=lookup,
                secret_hash=row[1],
                created_at=row[2],
                revoked=bool(row[3]),
            )
            return _account(row[4:]), cred

        return await self._read(job)

    async def get_account(self, account_id: AccountId) -> Account | None:
        return await self._read(lambda conn: _one_account(conn, "a.id = ?", account_id))

    async def find_account(self, name: str) -> Account | None:
        return await self._read(lambda conn: _one_account(conn, "a.name = ?", name))

    async def list_accounts(self) -> list[Account]:
        def job(conn: sqlite3.Connection) -> list[Account]:
            rows = conn.execute(f"SELECT {_ACCOUNT_COLUMNS} FROM accounts a ORDER BY a.name")
            return [_account(row) for row in rows]

        return await self._read(job)

    # credit -----------------------------------------------------------------

    async def balance(self, account_id: AccountId) -> Balance:
        return await self._read(lambda conn: lc.balance(conn, account_id))

    async def adjust_balance(
        self, account_id: AccountId, amount_micros: int, reason: str, now: float
    ) -> Balance:
        def job(conn: sqlite3.Connection) -> Balance:
            lc.change_balance(conn, account_id, amount_micros, reason, now)
            return lc.balance(conn, account_id)

        return await self._write(job)

    async def ledger(self, account_id: AccountId, *, limit: int = 100) -> list[LedgerEntry]:
        return await self._read(lambda conn: lc.ledger(conn, account_id, limit))

    async def set_price(self, account_id: AccountId | None, prefix: str, price_micros: int) -> None:
        await self._write(
            lambda conn: conn.execute(
                "INSERT OR REPLACE INTO prices VALUES (?, ?, ?)",
                (account_id or "", prefix, price_micros),
            )
        )

    async def delete_price(self, account_id: AccountId | None, prefix: str) -> bool:
        def job(conn: sqlite3.Connection) -> bool:
            cur = conn.execute(
                "DELETE FROM prices WHERE account_id = ? AND prefix = ?", (account_id or "", prefix)
            )
            return cur.rowcount > 0

        return await self._write(job)

    async def price_lists(self, account_id: AccountId) -> tuple[dict[str, int], dict[str, int]]:
        def job(conn: sqlite3.Connection) -> tuple[dict[str, int], dict[str, int]]:
            own: dict[str, int] = {}
            default: dict[str, int] = {}
            rows = conn.execute(
                "SELECT account_id, prefix, price_micros FROM prices WHERE account_id IN (?, '')",
                (account_id,),
            )
            for owner, prefix, price in rows:
                (own if owner else default)[prefix] = price
            return own, default

        return await self._read(job)

    # sender ids -------------------------------------------------------------

    async def senders(self, account_id: AccountId) -> list[tuple[str, bool]]:
        def job(conn: sqlite3.Connection) -> list[tuple[str, bool]]:
            rows = conn.execute(
                "SELECT sender, is_default FROM senders WHERE account_id = ? ORDER BY sender",
                (account_id,),
            )
            return [(r[0], bool(r[1])) for r in rows]

        return await self._read(job)

    async def add_sender(
        self, account_id: AccountId, sender: str, *, default: bool, now: float
    ) -> None:
        def job(conn: sqlite3.Connection) -> None:
            if (
                conn.execute("SELECT 1 FROM accounts WHERE id = ?", (account_id,)).fetchone()
                is None
            ):
                raise NotFound(f"no account {account_id}")
            if default:
                conn.execute(
                    "UPDATE senders SET is_default = 0 WHERE account_id = ?", (account_id,)
                )
            conn.execute(
                "INSERT INTO senders (account_id, sender, is_default, created_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (account_id, sender)"
                " DO UPDATE SET is_default = excluded.is_default",
                (account_id, sender, int(default), now),
            )

        await self._write(job)

    async def remove_sender(self, account_id: AccountId, sender: str) -> bool:
        def job(conn: sqlite3.Connection) -> bool:
            cur = conn.execute(
                "DELETE FROM senders WHERE account_id = ? AND sender = ?", (account_id, sender)
            )
            return cur.rowcount > 0

        return await self._write(job)

    # submit -----------------------------------------------------------------

    async def insert_messages(
        self,
        messages: Sequence[NewMessage],
        *,
        idempotency: tuple[AccountId, str, IdempotentAnswer] | None = None,
        now: float,
        charge: Charge | None = None,
    ) -> IdempotentAnswer | None:
        def job(conn: sqlite3.Connection) -> IdempotentAnswer | None:
            if idempotency is not None:
                account_id, key, answer = idempotency
                earlier = _idempotent(conn, account_id, key, now)
                if earlier is not None:
                    return earlier
                conn.execute(
                    "INSERT OR REPLACE INTO idempotency_keys VALUES (?, ?, ?, ?, ?)",
                    (account_id, key, now, answer.status, answer.body),
                )
            reserve = False
            if charge is not None and charge.amount_micros:
                reserve = charge.reserve
                lc.change_balance(
                    conn,
                    charge.account_id,
                    -charge.amount_micros,
                    charge.reason,
                    now,
                    LedgerKind.RESERVE if reserve else LedgerKind.CHARGE,
                    charge.amount_micros if reserve else 0,
                )
            lc.insert_messages(conn, messages, reserved=reserve)
            return None

        return await self._write(job)

    async def idempotent_answer(
        self, account_id: AccountId, key: str, now: float
    ) -> IdempotentAnswer | None:
        return await self._read(lambda conn: _idempotent(conn, account_id, key, now))

    # reads ------------------------------------------------------------------

    async def get_message(self, account_id: AccountId, message_id: MessageId) -> MessageView | None:
        return await self._read(lambda conn: lc.get_message(conn, account_id, message_id))

    async def list_messages(
        self, account_id: AccountId, flt: MessageFilter, *, before: MessageId | None, limit: int
    ) -> list[MessageView]:
        return await self._read(lambda conn: lc.list_messages(conn, account_id, flt, before, limit))

    async def cancel_message(
        self, account_id: AccountId, message_id: MessageId, now: float
    ) -> MessageView:
        def job(conn: sqlite3.Connection) -> MessageView:
            view = lc.get_message(conn, account_id, message_id)
            if view is None:
                raise NotFound(f"no message {message_id}")
            lc.cancel(conn, view, now)
            cancelled = lc.get_message(conn, account_id, message_id)
            assert cancelled is not None
            return cancelled

        return await self._write(job)

    async def queue_depth(self) -> QueueDepth:
        return await self._read(lc.queue_depth)

    # dispatch ---------------------------------------------------------------

    async def release_scheduled(self, now: float) -> Changes:
        return await self._write(lambda conn: lc.release_scheduled(conn, now))

    async def claim_parts(self, now: float, limit: int) -> tuple[list[ClaimedPart], Changes]:
        return await self._write(lambda conn: lc.claim_parts(conn, now, limit))

    async def record_results(self, results: Sequence[PartResult], now: float) -> Changes:
        return await self._write(lambda conn: lc.record_results(conn, results, now))

    async def apply_receipts(self, receipts: Sequence[Receipt], now: float) -> Changes:
        return await self._write(lambda conn: lc.apply_receipts(conn, receipts, now))

    async def expire_pending(
        self, now: float, *, unreceipted_before: float | None = None
    ) -> Changes:
        return await self._write(lambda conn: lc.expire_pending(conn, now, unreceipted_before))

    async def awaiting_receipt(self, connector: ConnectorId) -> list[UpstreamId]:
        def job(conn: sqlite3.Connection) -> list[UpstreamId]:
            rows = conn.execute(
                "SELECT upstream_id FROM parts WHERE state = 'sent' AND connector = ?",
                (connector,),
            )
            return [UpstreamId(r[0]) for r in rows]

        return await self._read(job)

    async def recover_inflight(self, now: float) -> Changes:
        return await self._write(lambda conn: lc.recover_inflight(conn, now))

    # callbacks --------------------------------------------------------------

    async def claim_callbacks(self, now: float, limit: int, lease_s: float) -> list[CallbackJob]:
        return await self._write(lambda conn: lc.claim_callbacks(conn, now, limit, lease_s))

    async def finish_callbacks(
        self, done: Sequence[int], retry: Sequence[CallbackRetry], dead: Sequence[int]
    ) -> None:
        await self._write(lambda conn: lc.finish_callbacks(conn, done, retry, dead))

    async def release_callbacks(self, account_id: AccountId, format: str, now: float) -> int:
        return await self._write(lambda conn: lc.release_callbacks(conn, account_id, format, now))


_ACCOUNT_COLUMNS = (
    "a.id, a.name, a.callback_url, a.callback_secret, a.created_at, a.disabled, a.is_admin,"
    " a.ip_allowlist, a.rules, a.parent_id, a.email, a.email_receipts"
)


def _account(row: Sequence[Any]) -> Account:
    return Account(
        id=row[0],
        name=row[1],
        callback_url=row[2],
        callback_secret=row[3],
        created_at=row[4],
        disabled=bool(row[5]),
        is_admin=bool(row[6]),
        ip_allowlist=tuple(n for n in row[7].split(",") if n),
        rules=parse_rules(json.loads(row[8])),
        parent_id=row[9] or None,
        email=row[10],
        email_receipts=ReceiptMail(row[11]),
    )


def _one_account(conn: sqlite3.Connection, where: str, value: str) -> Account | None:
    row = conn.execute(f"SELECT {_ACCOUNT_COLUMNS} FROM accounts a WHERE {where}", (value,))
    found = row.fetchone()
    return _account(found) if found else None


def check_parent(conn: sqlite3.Connection, account_id: str, parent_id: str) -> None:
    """Refuse a parent that would nest sub-accounts or change a currency.

    Raises: NotFound (no such parent); Conflict.
    """
    parent = conn.execute(
        "SELECT parent_id, currency FROM accounts WHERE id = ?", (parent_id,)
    ).fetchone()
    if parent is None:
        raise NotFound(f"no parent account {parent_id}")
    if parent_id == account_id:
        raise Conflict("an account cannot be its own parent")
    if parent[0]:
        raise Conflict("the parent is a sub-account itself: sub-accounts are one level deep")
    if conn.execute("SELECT 1 FROM accounts WHERE parent_id = ?", (account_id,)).fetchone():
        raise Conflict("the account has sub-accounts of its own: it cannot become one")
    own = conn.execute("SELECT currency FROM accounts WHERE id = ?", (account_id,)).fetchone()
    if own is not None and own[0] != parent[1]:
        raise Conflict(f"the account is in {own[0]}, its parent in {parent[1]}")


def _insert_credentials(conn: sqlite3.Connection, credentials: Sequence[Credential]) -> None:
    for cred in credentials:
        taken = conn.execute(
            "SELECT 1 FROM credentials WHERE kind = ? AND lookup = ?",
            (cred.kind.value, cred.lookup),
        ).fetchone()
        if taken:
            raise Conflict(f"{cred.kind.value} {cred.lookup!r} is taken")
    conn.executemany(
        "INSERT INTO credentials VALUES (?, ?, ?, ?, ?, ?)",
        [
            (c.kind.value, c.lookup, c.account_id, c.secret_hash, c.created_at, int(c.revoked))
            for c in credentials
        ],
    )


def _idempotent(
    conn: sqlite3.Connection, account_id: str, key: str, now: float
) -> IdempotentAnswer | None:
    row = conn.execute(
        "SELECT status, body FROM idempotency_keys"
        " WHERE account_id = ? AND key = ? AND created_at > ?",
        (account_id, key, now - IDEMPOTENCY_TTL_S),
    ).fetchone()
    return IdempotentAnswer(status=row[0], body=bytes(row[1])) if row else None


__all__ = ["MessageState", "SqliteStore"]
