"""SQLite plumbing: one writer thread with group commit, reader threads, migrations.

Theory of operation
-------------------
SQLite allows one writer at a time, so every write of the process goes through
one thread that owns the write connection. Callers enqueue *jobs* (a function
of the connection) and await a future. The writer takes every job waiting, runs
them in ONE transaction (if one fails, the batch is rolled back and each job is
run again alone, so that a failure rolls back only itself), commits once and
then resolves all their futures in one loop callback. While a commit is being
synced, new jobs pile up and share the next one: under load, one fsync serves
hundreds of submits, and at rest a lone job commits at once without waiting for
company.

Checkpoints (copying the write-ahead log back into the database file) are
mostly done on a thread of their own (``Checkpointer``): a PASSIVE checkpoint
every ``interval_s`` with its own connection, which waits for no one. A page
rewritten by many commits in that interval is copied once, and the copying and
its fsync no longer hold up the commits clients wait on. Under a steady stream
of commits, though, the log is never found fully copied between two of them,
and SQLite starts it again from the beginning only then; so the writer keeps
an automatic checkpoint of its own at ``LOG_RESTART_PAGES``. By the time the
log is that long the checkpointer has copied nearly all of it: the writer's
checkpoint copies what is left, right after its own commit, and its next
commit starts the log anew.

Reads go to a small pool of reader threads with their own connections (WAL
lets them read while the writer writes). An in-memory database has a single
connection, so its reads are jobs of the writer thread too.

sqlite3 exceptions never leave this module unmapped: "database is locked" and
I/O errors become ``Unavailable``, constraint violations ``Conflict``.
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
from collections.abc import Callable
from importlib import resources
from typing import Any, TypeVar

from heliograph.store.base import Conflict, StoreError, Unavailable

T = TypeVar("T")
Job = Callable[[sqlite3.Connection], Any]

_MAX_BATCH = 512
LOG_RESTART_PAGES = 4096  # the writer's own checkpoints (see the module docstring)
_STOP = object()


def map_sqlite_error(exc: sqlite3.Error) -> StoreError:
    if isinstance(exc, sqlite3.IntegrityError):
        return Conflict(str(exc))
    if isinstance(exc, sqlite3.OperationalError):
        return Unavailable(str(exc))
    return StoreError(str(exc))


def connect(
    path: str, *, synchronous: str, readonly: bool = False, autocheckpoint: int = 1000
) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = 5000")
    if path != ":memory:":
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {synchronous}")
    conn.execute("PRAGMA temp_store = MEMORY")
    # Page cache: 16 MB for the writer, which touches the recent rows and their
    # indexes; 8 MB per reader. Memory stays bounded however large the database.
    conn.execute(f"PRAGMA cache_size = {-8192 if readonly else -16384}")
    if readonly:
        conn.execute("PRAGMA query_only = 1")
    else:
        conn.execute(f"PRAGMA wal_autocheckpoint = {int(autocheckpoint)}")
        # When the log starts again from the beginning, cut its file back to 32 MB.
        conn.execute("PRAGMA journal_size_limit = 33554432")
    return conn


class Checkpointer:
    """PASSIVE checkpoints on a thread of their own (see the module docstring)."""

    def __init__(self, path: str, *, synchronous: str, interval_s: float = 0.5) -> None:
        self._path = path
        self._synchronous = synchronous
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heliograph-sqlite-checkpoint")
        self._thread.daemon = True
        self.checkpoints = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def connect(self) -> sqlite3.Connection:
        return connect(self._path, synchronous=self._synchronous, autocheckpoint=0)

    def _run(self) -> None:
        conn = self.connect()
        try:
            while not self._stop.wait(self._interval_s):
                self.checkpoint(conn)
        finally:
            conn.close()

    def checkpoint(self, conn: sqlite3.Connection) -> bool:
        """One PASSIVE round. Returns whether the whole log was copied."""
        try:
            busy, log_pages, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error:
            return False  # busy or I/O trouble: the next round, or the writer's own
        self.checkpoints += 1
        return not busy and log_pages == copied


def migrate(conn: sqlite3.Connection, now: float) -> list[int]:
    """Apply every migration not yet applied, in order. Returns the versions applied."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations"
        " (version INTEGER PRIMARY KEY, applied_at REAL NOT NULL)"
    )
    done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
    applied: list[int] = []
    folder = resources.files("heliograph.store") / "migrations" / "sqlite"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".sql"):
            continue
        version = int(entry.name.split("_", 1)[0])
        if version in done:
            continue
        script = entry.read_text(encoding="utf-8")
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in script.split(";\n"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute("INSERT INTO schema_migrations VALUES (?, ?)", (version, now))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        applied.append(version)
    return applied


class Writer:
    """The single writer thread (see the module docstring)."""

    def __init__(self, conn: sqlite3.Connection, loop: asyncio.AbstractEventLoop) -> None:
        self._conn = conn
        self._loop = loop
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="heliograph-sqlite-writer")
        self._thread.daemon = True
        self.commits = 0
        self.jobs_done = 0

    def start(self) -> None:
        self._thread.start()

    def submit(self, job: Job) -> asyncio.Future[Any]:
        fut: asyncio.Future[Any] = self._loop.create_future()
        self._jobs.put((job, fut))
        return fut

    def stop(self) -> None:
        self._jobs.put(_STOP)
        self._thread.join()

    def _run(self) -> None:
        while True:
            first = self._jobs.get()
            if first is _STOP:
                return
            batch = [first]
            stop = False
            while len(batch) < _MAX_BATCH:
                try:
                    item = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop = True
                    break
                batch.append(item)
            results = self._run_batch(batch)
            self._loop.call_soon_threadsafe(_resolve, results)
            if stop:
                return

    def _run_batch(self, batch: list[Any]) -> list[tuple[asyncio.Future[Any], bool, Any]]:
        """Run a batch in one transaction; if a job fails, run each job on its own.

        The fast path has no per-job SAVEPOINT: jobs rarely fail (a uniqueness
        conflict), and when one does the whole transaction is rolled back and
        every job is run again in a transaction of its own, so the failure
        touches only its own caller. Jobs are functions of the connection and
        safe to run again after a rollback.
        """
        conn = self._conn
        results: list[tuple[asyncio.Future[Any], bool, Any]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for job, fut in batch:
                outcome = _call(job, conn, fut)
                if not outcome[1]:
                    conn.execute("ROLLBACK")
                    return [self._run_alone(item) for item in batch]
                results.append(outcome)
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            error = map_sqlite_error(exc)
            error.__cause__ = exc
            return [(fut, False, error) for _, fut in batch]
        self.commits += 1
        self.jobs_done += len(batch)
        return results

    def _run_alone(self, item: Any) -> tuple[asyncio.Future[Any], bool, Any]:
        job, fut = item
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            outcome = _call(job, conn, fut)
            conn.execute("COMMIT" if outcome[1] else "ROLLBACK")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            error = map_sqlite_error(exc)
            error.__cause__ = exc
            return (fut, False, error)
        self.commits += 1
        self.jobs_done += 1
        return outcome


def _call(job: Job, conn: sqlite3.Connection, fut: asyncio.Future[Any]) -> tuple[Any, bool, Any]:
    try:
        return (fut, True, job(conn))
    except sqlite3.Error as exc:
        error = map_sqlite_error(exc)
        error.__cause__ = exc
        return (fut, False, error)
    except Exception as exc:  # a job's own error goes back to its caller
        return (fut, False, exc)


def _resolve(results: list[tuple[asyncio.Future[Any], bool, Any]]) -> None:
    for fut, ok, value in results:
        if fut.done():
            continue
        if ok:
            fut.set_result(value)
        else:
            fut.set_exception(value)
