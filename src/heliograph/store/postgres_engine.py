"""PostgreSQL plumbing: the connection pool, transactions with retry, migrations, errors.

Theory of operation
-------------------
Every write method of the store is one transaction on a pooled connection,
run by ``Database.write``. PostgreSQL serialises conflicting writers with row
locks; the lifecycle code takes them in one order (parts by id, then messages
by id) so that writers do not deadlock. Should PostgreSQL still abort a
transaction as a deadlock victim or a serialization failure, the whole job is
run again (it is a function of the connection, safe to repeat) a few times
before ``Unavailable`` is raised. Reads run outside explicit transactions, one
statement each where consistency matters.

Several gateway nodes may start at once against one database: migrations run
under a session advisory lock, each in its own transaction, recorded in
``schema_migrations`` (the same table SQLite uses).

asyncpg exceptions never leave this module unmapped: constraint violations
become ``Conflict``; connection loss, an overloaded or restarting server, a
pool that cannot hand out a connection in time, and retried-out deadlocks
become ``Unavailable``; anything else from the server is a ``StoreError``.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from contextlib import suppress
from importlib import resources
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg  # type: ignore[import-untyped]
from asyncpg import exceptions as pgerr

from heliograph.store.base import Conflict, StoreError, Unavailable

T = TypeVar("T")
Conn = Any  # asyncpg.Connection (asyncpg ships no type information)
Record = Any  # asyncpg.Record
Job = Callable[[Conn], Awaitable[T]]

log = logging.getLogger("heliograph.store.postgres")

_MIGRATION_LOCK = 0x48_454C_494F  # "HELIO": one key for every Heliograph schema
_RETRIES = 5
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

# Query parameters of the store URL that are Heliograph's, not libpq's.
OPTIONS = ("node", "lease_s", "schema", "pool_min", "pool_max")

_UNAVAILABLE = (
    pgerr.PostgresConnectionError,
    pgerr.OperatorInterventionError,
    pgerr.InsufficientResourcesError,
    pgerr.TransactionRollbackError,
    pgerr.InterfaceError,
    OSError,
    TimeoutError,
)


def map_pg_error(exc: BaseException) -> StoreError:
    if isinstance(exc, pgerr.IntegrityConstraintViolationError):
        return Conflict(str(exc))
    if isinstance(exc, _UNAVAILABLE):
        return Unavailable(f"{type(exc).__name__}: {exc}")
    return StoreError(f"{type(exc).__name__}: {exc}")


def split_url(url: str) -> tuple[str, dict[str, str]]:
    """Separate Heliograph's own options (``?node=a&lease_s=10``) from the libpq DSN.

    Raises: ValueError for a URL that is not postgresql:// or postgres://.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise ValueError(f"not a PostgreSQL URL: {parts.scheme}://")
    ours: dict[str, str] = {}
    rest: list[tuple[str, str]] = []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key in OPTIONS:
            ours[key] = value
        else:
            rest.append((key, value))
    return urlunsplit(parts._replace(query=urlencode(rest))), ours


def check_schema(name: str) -> str:
    """Raises: ValueError unless ``name`` is a plain lower-case SQL identifier."""
    if not _SCHEMA_NAME.match(name):
        raise ValueError(f"schema {name!r}: use lower-case letters, digits and _ only")
    return name


class Database:
    """An asyncpg pool with mapped errors and retried transactions."""

    def __init__(
        self,
        dsn: str,
        *,
        schema: str | None = None,
        min_size: int = 2,
        max_size: int = 10,
        application_name: str = "heliograph",
    ) -> None:
        self.dsn = dsn
        self.application_name = application_name[:63]
        self.schema = check_schema(schema) if schema else None
        self._min = min_size
        self._max = max_size
        self._pool: Any = None

    @property
    def pool(self) -> Any:
        assert self._pool is not None, "store not open"
        return self._pool

    @property
    def _settings(self) -> dict[str, str]:
        settings = {"jit": "off", "application_name": self.application_name}
        if self.schema:
            settings["search_path"] = self.schema
        return settings

    async def open(self) -> None:
        try:
            self._pool = await asyncpg.create_pool(
                self.dsn,
                min_size=self._min,
                max_size=self._max,
                server_settings=self._settings,
                command_timeout=60,
            )
        except Exception as exc:
            raise map_pg_error(exc) from exc

    async def listen(
        self, channel: str, on_payload: Callable[[str], None], *, probe_s: float = 30.0
    ) -> None:
        """LISTEN on ``channel`` on a connection of its own (not the pool's) and call
        ``on_payload`` for each notification, until cancelled. The connection is probed
        every ``probe_s`` so that a silently dead one is noticed.

        Raises: Unavailable when the connection cannot be made or is lost.
        """
        try:
            conn = await asyncpg.connect(self.dsn, server_settings=self._settings, timeout=30)
        except Exception as exc:
            raise map_pg_error(exc) from exc
        lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def closed(_: Conn) -> None:
            if not lost.done():
                lost.set_result(None)

        conn.add_termination_listener(closed)
        try:
            await conn.add_listener(channel, lambda _c, _pid, _ch, payload: on_payload(payload))
            while not lost.done():
                with suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(lost), probe_s)
                    break
                await conn.fetchval("SELECT 1", timeout=10)
            raise Unavailable(f"the connection listening on {channel} was lost")
        except (pgerr.PostgresError, *_UNAVAILABLE) as exc:
            raise map_pg_error(exc) from exc
        finally:
            if not conn.is_closed():
                try:
                    await asyncio.wait_for(conn.close(), 5)
                except (TimeoutError, pgerr.PostgresError, *_UNAVAILABLE):
                    conn.terminate()

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            try:
                await asyncio.wait_for(pool.close(), 10)
            except TimeoutError:
                pool.terminate()

    async def write(self, job: Job[T]) -> T:
        """Run ``job`` in one transaction; rerun it if PostgreSQL aborts it as a deadlock
        victim or for a serialization failure. Raises: StoreError and its subclasses."""
        for attempt in range(_RETRIES):
            try:
                async with self.pool.acquire(timeout=30) as conn, conn.transaction():
                    return await job(conn)
            except pgerr.TransactionRollbackError as exc:
                if attempt == _RETRIES - 1:
                    raise map_pg_error(exc) from exc
                log.info("transaction rolled back (%s); running it again", exc)
                await asyncio.sleep(0.005 * (attempt + 1))
            except (pgerr.PostgresError, *_UNAVAILABLE) as exc:
                raise map_pg_error(exc) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    async def read(self, job: Job[T]) -> T:
        try:
            async with self.pool.acquire(timeout=30) as conn:
                return await job(conn)
        except (pgerr.PostgresError, *_UNAVAILABLE) as exc:
            raise map_pg_error(exc) from exc

    async def migrate(self, now: float) -> list[int]:
        """Apply every migration not yet applied, in order. Returns the versions applied."""
        try:
            async with self.pool.acquire(timeout=30) as conn:
                await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
                try:
                    return await _migrate(conn, self.schema, now)
                finally:
                    await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)
        except (pgerr.PostgresError, *_UNAVAILABLE) as exc:
            raise map_pg_error(exc) from exc


async def _migrate(conn: Conn, schema: str | None, now: float) -> list[int]:
    if schema:
        await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations"
        " (version INTEGER PRIMARY KEY, applied_at DOUBLE PRECISION NOT NULL)"
    )
    done = {r[0] for r in await conn.fetch("SELECT version FROM schema_migrations")}
    applied: list[int] = []
    folder = resources.files("heliograph.store") / "migrations" / "postgres"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".sql"):
            continue
        version = int(entry.name.split("_", 1)[0])
        if version in done:
            continue
        async with conn.transaction():
            await conn.execute(entry.read_text(encoding="utf-8"))
            await conn.execute("INSERT INTO schema_migrations VALUES ($1, $2)", version, now)
        applied.append(version)
        log.info("applied migration %s", entry.name)
    return applied
