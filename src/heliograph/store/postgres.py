"""The PostgreSQL store: several gateway nodes on one database.

SQL for PostgreSQL lives here and in ``postgres_lifecycle`` (messages and
parts), ``postgres_submit`` (inserting them), ``postgres_reads`` (views, the
callback outbox), ``postgres_credit`` (balances, prices, sender ids),
``postgres_inbound`` (MO, opt-outs, test mode, statistics), ``postgres_admin``
(account administration) and
``postgres_cluster`` (nodes, take-over, leases); the lifecycle rules
come from ``domain.messages`` so that this store decides exactly as SQLite and
passes the same contract suite. Each public write method is one transaction
(``postgres_engine.Database.write``); PostgreSQL's own group commit makes one
WAL flush serve the transactions of every node committing at that moment.

``HELIOGRAPH_STORE_URL=postgresql://user@host/db`` selects it. Options of
Heliograph's own ride in the query string and are not passed to the server:

* ``node=NAME``: this node's stable name (default ``<hostname>:<http port>``,
  or ``<hostname>-<pid>`` on port 0); a node restarted under the same name
  takes over its earlier incarnation's parts at once, without waiting for its
  lease to run out. Names must be unique among running nodes.
* ``lease_s=10``: node heartbeat lease and bind lease time; a dead node's work
  and binds are taken over within about ``lease_s`` plus a heartbeat interval.
* ``schema=NAME``: keep the tables in that schema (created if missing).
* ``pool_min=2``, ``pool_max=10``: connections per node.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import TypeVar

from heliograph.domain.accounts import Account, Credential, CredentialKind
from heliograph.domain.ids import AccountId, ConnectorId, MessageId, UpstreamId
from heliograph.domain.messages import MessageView, NewMessage
from heliograph.domain.outcomes import Receipt
from heliograph.store import postgres_cluster as cl
from heliograph.store import postgres_lifecycle as lc
from heliograph.store import postgres_reads as rd
from heliograph.store import postgres_submit as sb
from heliograph.store.base import (
    CallbackJob,
    CallbackRetry,
    Changes,
    Charge,
    ClaimedPart,
    Conflict,
    IdempotentAnswer,
    LedgerKind,
    MessageFilter,
    PartResult,
    QueueDepth,
    StoreError,
)
from heliograph.store.postgres_admin import (
    ACCOUNT_COLUMNS,
    PostgresAccountAdmin,
    account_of,
    account_row,
    check_parent,
    lock_accounts,
)
from heliograph.store.postgres_books import PostgresAddressBooks
from heliograph.store.postgres_cluster import ClusterView, Lease, NodeIdentity, TakeOver
from heliograph.store.postgres_content import PostgresContent
from heliograph.store.postgres_credit import PostgresCredit, change_balance
from heliograph.store.postgres_engine import Conn, Database, split_url
from heliograph.store.postgres_inbound import PostgresInbound

log = logging.getLogger("heliograph.store.postgres")

IDEMPOTENCY_TTL_S = 86400.0
DEFAULT_LEASE_S = 10.0
OUTBOX_CHANNEL = "heliograph_outbox"  # migration 0007's trigger notifies "<schema>/<account>"
T = TypeVar("T")


class PostgresStore(
    PostgresCredit, PostgresInbound, PostgresContent, PostgresAccountAdmin, PostgresAddressBooks
):
    def __init__(
        self,
        dsn: str,
        *,
        node: NodeIdentity | None = None,
        schema: str | None = None,
        lease_s: float = DEFAULT_LEASE_S,
        pool_min: int = 2,
        pool_max: int = 10,
    ) -> None:
        self.node = node or NodeIdentity.new()
        self.db = Database(
            dsn,
            schema=schema,
            min_size=pool_min,
            max_size=pool_max,
            application_name=f"heliograph {self.node.name}",
        )
        self.lease_s = lease_s
        self._registered = False
        self._joining = asyncio.Lock()
        # SMPP client accounts with a receiver bind on this node (schema 7): the
        # set this node wants, and the version of it last written to client_binds.
        self._receivers: set[str] = set()
        self._receivers_version = 0
        self._receivers_written = 0
        self._receivers_lock = asyncio.Lock()

    @classmethod
    def from_url(cls, url: str, *, http_port: int = 0) -> PostgresStore:
        """Raises: ValueError naming a bad option of the URL."""
        dsn, options = split_url(url)
        name = options.get("node") or (f"{socket.gethostname()}:{http_port}" if http_port else None)
        if name is not None and (not name or "/" in name or len(name) > 100):
            raise ValueError("node: 1 to 100 characters, without '/'")
        return cls(
            dsn,
            node=NodeIdentity.new(name),
            schema=options.get("schema"),
            lease_s=_number(options, "lease_s", DEFAULT_LEASE_S, 1.0, 3600.0),
            pool_min=int(_number(options, "pool_min", 2, 1, 100)),
            pool_max=int(_number(options, "pool_max", 10, 1, 1000)),
        )

    @property
    def node_id(self) -> str:
        return self.node.id

    async def _pg_read(self, job: Callable[[Conn], Awaitable[T]]) -> T:
        return await self.db.read(job)

    async def _pg_write(self, job: Callable[[Conn], Awaitable[T]]) -> T:
        return await self.db.write(job)

    async def open(self, now: float | None = None) -> None:
        """Connect and migrate. The process joins the cluster as a node only when it
        starts serving (``join``, called by the first claim, recovery or heartbeat), so
        that command-line tools opening the store are not taken for a node."""
        await self.db.open()
        await self.db.migrate(time.time() if now is None else now)

    async def join(self, now: float) -> None:
        """Register this process as a node (once)."""
        if self._registered:
            return
        async with self._joining:
            if not self._registered:
                await self.db.write(lambda conn: cl.register(conn, self.node, now, self.lease_s))
                self._registered = True

    async def close(self, now: float | None = None) -> None:
        """Leave the cluster (survivors take the rest over at once) and disconnect."""
        now = time.time() if now is None else now
        try:
            if self._registered:
                await self.db.write(lambda conn: cl.stop(conn, self.node.id, now))
        except StoreError as exc:
            log.warning("could not leave the cluster (%s); the node's lease will run out", exc)
        finally:
            self._registered = False
            await self.db.close()

    # accounts ---------------------------------------------------------------

    async def create_account(self, account: Account, credentials: Sequence[Credential]) -> None:
        async def job(conn: Conn) -> None:
            if await conn.fetchval("SELECT 1 FROM accounts WHERE name = $1", account.name):
                raise Conflict(f"account name {account.name!r} is taken")
            if account.parent_id is not None:  # a sub-account, in its parent's currency
                await lock_accounts(conn, [account.parent_id])
                await check_parent(conn, account.id, account.parent_id)
            await conn.execute(
                "INSERT INTO accounts (id, name, callback_url, callback_secret, created_at,"
                " disabled, is_admin, ip_allowlist, rules, parent_id, email, email_receipts)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                *account_row(account),
            )
            if account.parent_id is not None:
                await conn.execute(
                    "UPDATE accounts SET currency = (SELECT currency FROM accounts WHERE id = $1)"
                    " WHERE id = $2",
                    account.parent_id,
                    account.id,
                )
            await _insert_credentials(conn, credentials)

        await self.db.write(job)

    async def add_credentials(self, credentials: Sequence[Credential]) -> None:
        await self.db.write(lambda conn: _insert_credentials(conn, credentials))

    async def find_credential(
        self, kind: CredentialKind, lookup: str
    ) -> tuple[Account, Credential] | None:
        async def job(conn: Conn) -> tuple[Account, Credential] | None:
            row = await conn.fetchrow(
                "SELECT c.account_id, c.secret_hash, c.created_at, c.revoked, "
                + ACCOUNT_COLUMNS
                + " FROM credentials c JOIN accounts a ON a.id = c.account_id"
                " WHERE c.kind = $1 AND c.lookup = $2",
                kind.value,
                lookup,
            )
            if row is None:
                return None
            cred = Credential(
                account_id=row[0],
                kind=kind,
                lookup=lookup,
                secret_hash=row[1],
                created_at=row[2],
                revoked=row[3],
            )
            return account_of(row[4:]), cred

        return await self.db.read(job)

    async def get_account(self, account_id: AccountId) -> Account | None:
        return await self._one_account("a.id = $1", account_id)

    async def find_account(self, name: str) -> Account | None:
        return await self._one_account("a.name = $1", name)

    async def _one_account(self, where: str, value: str) -> Account | None:
        async def job(conn: Conn) -> Account | None:
            sql = f"SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE {where}"
            row = await conn.fetchrow(sql, value)
            return account_of(row) if row else None

        return await self.db.read(job)

    async def list_accounts(self) -> list[Account]:
        async def job(conn: Conn) -> list[Account]:
            rows = await conn.fetch(f"SELECT {ACCOUNT_COLUMNS} FROM accounts a ORDER BY a.name")
            return [account_of(row) for row in rows]

        return await self.db.read(job)

    # submit -----------------------------------------------------------------

    async def insert_messages(
        self,
        messages: Sequence[NewMessage],
        *,
        idempotency: tuple[AccountId, str, IdempotentAnswer] | None = None,
        now: float,
        charge: Charge | None = None,
    ) -> IdempotentAnswer | None:
        async def job(conn: Conn) -> IdempotentAnswer | None:
            if idempotency is not None:
                earlier = await _claim_idempotency_key(conn, *idempotency, now)
                if earlier is not None:
                    return earlier
            await sb.insert_messages(conn, messages)
            if charge is not None and charge.amount_micros:
                reserve = charge.reserve
                if reserve:  # settle = "delivery": each part holds its price until it ends
                    await conn.execute(
                        "UPDATE parts SET reserved = TRUE WHERE message_id = ANY($1::text[])",
                        [m.id for m in messages],
                    )
                # Last, so that the account row is locked only until the commit
                # (postgres_credit: concurrent charges queue on it).
                await change_balance(
                    conn,
                    charge.account_id,
                    -charge.amount_micros,
                    charge.reason,
                    now,
                    LedgerKind.RESERVE if reserve else LedgerKind.CHARGE,
                    charge.amount_micros if reserve else 0,
                )
            return None

        return await self.db.write(job)

    async def idempotent_answer(
        self, account_id: AccountId, key: str, now: float
    ) -> IdempotentAnswer | None:
        async def job(conn: Conn) -> IdempotentAnswer | None:
            row = await conn.fetchrow(
                "SELECT status, body FROM idempotency_keys"
                " WHERE account_id = $1 AND key = $2 AND created_at > $3",
                account_id,
                key,
                now - IDEMPOTENCY_TTL_S,
            )
            return IdempotentAnswer(status=row[0], body=bytes(row[1])) if row else None

        return await self.db.read(job)

    # reads ------------------------------------------------------------------

    async def get_message(self, account_id: AccountId, message_id: MessageId) -> MessageView | None:
        return await self.db.read(lambda conn: rd.get_message(conn, account_id, message_id))

    async def list_messages(
        self, account_id: AccountId, flt: MessageFilter, *, before: MessageId | None, limit: int
    ) -> list[MessageView]:
        return await self.db.read(
            lambda conn: rd.list_messages(conn, account_id, flt, before, limit)
        )

    async def cancel_message(
        self, account_id: AccountId, message_id: MessageId, now: float
    ) -> MessageView:
        return await self.db.write(lambda conn: lc.cancel(conn, account_id, message_id, now))

    async def queue_depth(self) -> QueueDepth:
        return await self.db.read(rd.queue_depth)

    # dispatch ---------------------------------------------------------------

    async def release_scheduled(self, now: float) -> Changes:
        return await self.db.write(lambda conn: lc.release_scheduled(conn, now))

    async def claim_parts(self, now: float, limit: int) -> tuple[list[ClaimedPart], Changes]:
        await self.join(now)
        return await self.db.write(lambda conn: lc.claim_parts(conn, now, limit, self.node.id))

    async def record_results(self, results: Sequence[PartResult], now: float) -> Changes:
        if not results:
            return Changes()
        return await self.db.write(lambda conn: lc.record_results(conn, results, now))

    async def apply_receipts(self, receipts: Sequence[Receipt], now: float) -> Changes:
        if not receipts:
            return Changes()
        return await self.db.write(lambda conn: lc.apply_receipts(conn, receipts, now))

    async def expire_pending(
        self, now: float, *, unreceipted_before: float | None = None
    ) -> Changes:
        return await self.db.write(lambda conn: lc.expire_pending(conn, now, unreceipted_before))

    async def awaiting_receipt(self, connector: ConnectorId) -> list[UpstreamId]:
        """Parts sent through ``connector`` by this node (or taken over by it)."""
        return await self.db.read(lambda conn: cl.awaiting_receipt(conn, connector, self.node.id))

    async def recover_inflight(self, now: float) -> Changes:
        """At start: queue again the parts in flight on this node (any incarnation) and on
        dead nodes, and take over what dead nodes sent. Parts of live nodes stay theirs."""
        await self.join(now)

        async def job(conn: Conn) -> Changes:
            return (await cl.take_over(conn, self.node.id, now, include_self=True)).changes

        return await self.db.write(job)

    # callbacks --------------------------------------------------------------

    async def claim_callbacks(self, now: float, limit: int, lease_s: float) -> list[CallbackJob]:
        receivers = sorted(self._receivers)
        return await self.db.write(
            lambda conn: rd.claim_callbacks(conn, now, limit, lease_s, receivers)
        )

    async def finish_callbacks(
        self, done: Sequence[int], retry: Sequence[CallbackRetry], dead: Sequence[int]
    ) -> None:
        if done or retry or dead:
            await self.db.write(lambda conn: rd.finish_callbacks(conn, done, retry, dead))

    async def release_callbacks(self, account_id: AccountId, format: str, now: float) -> int:
        return await self.db.write(lambda conn: rd.release_callbacks(conn, account_id, format, now))

    # SMPP client binds across nodes ------------------------------------------

    async def set_receiver(self, account_id: AccountId, present: bool, now: float) -> None:
        """Whether this node holds a receiver bind of the account's SMPP client: "smpp"
        outbox events of the account are then claimed by this node (and no other), and
        a new one wakes it (``listen_outbox``). Raises: StoreError (the heartbeat writes
        the set again)."""
        if present == (account_id in self._receivers):
            if self._receivers_written == self._receivers_version:
                return
        elif present:
            self._receivers.add(account_id)
            self._receivers_version += 1
        else:
            self._receivers.discard(account_id)
            self._receivers_version += 1
        await self.join(now)
        await self._write_receivers(now)

    async def _write_receivers(self, now: float) -> None:
        async with self._receivers_lock:
            version, accounts = self._receivers_version, sorted(self._receivers)
            me = self.node.id
            await self.db.write(lambda conn: cl.set_client_binds(conn, me, accounts, now))
            self._receivers_written = version

    async def listen_outbox(self, on_event: Callable[[AccountId], None]) -> None:
        """Until cancelled: call ``on_event(account)`` when an "smpp" outbox event is
        committed, on any node, for an account with a receiver bind on this node. A lost
        connection is made again after a pause; meanwhile the callback worker's polling
        finds the events."""
        delay = 1.0
        while True:
            try:
                schema = await self.db.read(lambda conn: conn.fetchval("SELECT current_schema()"))
                notified = partial(self._notified, f"{schema}/", on_event)
                await self.db.listen(OUTBOX_CHANNEL, notified)
            except StoreError as exc:
                log.warning("outbox notifications: %s; listening again in %.0f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)

    def _notified(self, prefix: str, on_event: Callable[[AccountId], None], payload: str) -> None:
        if payload.startswith(prefix):
            account = payload[len(prefix) :]
            if account in self._receivers:
                on_event(AccountId(account))

    # cluster ----------------------------------------------------------------

    async def heartbeat(self, now: float) -> bool:
        """Renew this node's lease. False if the cluster declared it dead meanwhile."""
        await self.join(now)
        alive = await self.db.write(
            lambda conn: cl.heartbeat(conn, self.node.id, now, self.lease_s)
        )
        if alive and self._receivers_written != self._receivers_version:
            await self._write_receivers(now)
        return alive

    async def rejoin(self, now: float) -> None:
        """Register again as a new incarnation (after ``heartbeat`` returned False)."""
        self.node = NodeIdentity.new(self.node.name)
        await self.db.write(lambda conn: cl.register(conn, self.node, now, self.lease_s))
        if self._receivers:
            await self._write_receivers(now)

    async def take_over(self, now: float) -> TakeOver:
        """Take over the work of nodes that died since the last call."""
        await self.join(now)
        return await self.db.write(lambda conn: cl.take_over(conn, self.node.id, now))

    async def live_node_count(self, now: float) -> int:
        return await self.db.read(lambda conn: cl.live_nodes(conn, now))

    async def acquire_leases(
        self, resource: str, *, slots: int, want: int, now: float, ttl_s: float | None = None
    ) -> list[int]:
        """Renew, trim to ``want`` and fill up to ``want`` this node's leases on ``resource``
        (slots 0..slots-1). Returns the slots held."""
        ttl = self.lease_s if ttl_s is None else ttl_s
        await self.join(now)
        return await self.db.write(
            lambda conn: cl.acquire_leases(conn, resource, slots, want, self.node.id, now, ttl)
        )

    async def renew_leases(
        self, resource: str, now: float, ttl_s: float | None = None
    ) -> list[int]:
        ttl = self.lease_s if ttl_s is None else ttl_s
        return await self.db.write(
            lambda conn: cl.renew_leases(conn, resource, self.node.id, now, ttl)
        )

    async def release_leases(
        self, resource: str | None = None, slots: Sequence[int] | None = None
    ) -> None:
        await self.db.write(lambda conn: cl.release_leases(conn, self.node.id, resource, slots))

    async def list_leases(self, now: float) -> list[Lease]:
        return await self.db.read(lambda conn: cl.list_leases(conn, now))

    async def cluster_view(self, now: float) -> ClusterView:
        return await self.db.read(lambda conn: cl.cluster_view(conn, self.node.id, now))


def _number(options: dict[str, str], key: str, default: float, low: float, high: float) -> float:
    raw = options.get(key)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{key}: must be a number, not {raw!r}") from None
    if not low <= value <= high:
        raise ValueError(f"{key}: must be from {low:g} to {high:g}")
    return value


async def _insert_credentials(conn: Conn, credentials: Sequence[Credential]) -> None:
    if not credentials:
        return
    taken = await conn.fetchrow(
        "SELECT kind, lookup FROM credentials c"
        " JOIN unnest($1::text[], $2::text[]) AS u(k, l) ON c.kind = u.k AND c.lookup = u.l"
        " LIMIT 1",
        [c.kind.value for c in credentials],
        [c.lookup for c in credentials],
    )
    if taken:
        raise Conflict(f"{taken[0]} {taken[1]!r} is taken")
    await conn.executemany(
        "INSERT INTO credentials VALUES ($1, $2, $3, $4, $5, $6)",
        [
            (c.kind.value, c.lookup, c.account_id, c.secret_hash, c.created_at, c.revoked)
            for c in credentials
        ],
    )


async def _claim_idempotency_key(
    conn: Conn, account_id: str, key: str, answer: IdempotentAnswer, now: float
) -> IdempotentAnswer | None:
    """Take the key for this request, or return the answer of the request that holds it.

    A concurrent request with the same key waits on the key's row until the
    first commits, and then finds its answer.
    """
    won = await conn.fetchval(
        "INSERT INTO idempotency_keys VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (account_id, key) DO UPDATE SET created_at = EXCLUDED.created_at,"
        " status = EXCLUDED.status, body = EXCLUDED.body"
        " WHERE idempotency_keys.created_at <= $3 - $6::float8"
        " RETURNING true",
        account_id,
        key,
        now,
        answer.status,
        answer.body,
        IDEMPOTENCY_TTL_S,
    )
    if won:
        return None
    row = await conn.fetchrow(
        "SELECT status, body FROM idempotency_keys WHERE account_id = $1 AND key = $2",
        account_id,
        key,
    )
    return IdempotentAnswer(status=row[0], body=bytes(row[1]))


__all__ = ["ClusterView", "Lease", "NodeIdentity", "PostgresStore", "TakeOver"]
