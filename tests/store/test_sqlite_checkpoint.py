"""The SQLite checkpointer: the log is copied back and started again from its beginning.

Driven round by round (``Checkpointer.checkpoint``), without its thread or any
timing: a writer connection with automatic checkpoints off, as the store uses it.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from heliograph.store.sqlite_engine import Checkpointer, Writer, connect

closing: list[sqlite3.Connection] = []


def _log_pages(conn: sqlite3.Connection) -> int:
    # PASSIVE with nothing new to copy: answers (busy, pages in the log, pages copied).
    return int(conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1])


def _write_pages(conn: sqlite3.Connection, rows: int) -> None:
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany("INSERT INTO t (v) VALUES (?)", [("x" * 1000,) for _ in range(rows)])
    conn.execute("COMMIT")


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[sqlite3.Connection, Checkpointer]]:
    path = str(tmp_path / "c.db")
    writer_conn = connect(path, synchronous="NORMAL", autocheckpoint=0)
    writer_conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    loop = asyncio.new_event_loop()
    writer = Writer(writer_conn, loop)  # never started: only its settings are used
    yield writer_conn, Checkpointer(path, writer, synchronous="NORMAL", restart_pages=20)
    for conn in closing:
        conn.close()
    closing.clear()
    writer_conn.close()
    loop.close()


def test_a_long_log_is_started_again_by_the_next_commit(
    setup: tuple[sqlite3.Connection, Checkpointer],
) -> None:
    writer, checkpointer = setup
    conn = checkpointer.connect()
    closing.append(conn)
    _write_pages(writer, 200)  # about 50 pages of 4 KB
    assert _log_pages(conn) > 20
    assert checkpointer.checkpoint(conn) is True
    _write_pages(writer, 1)
    assert _log_pages(conn) < 10  # the commit wrote at the start of the log again
    assert writer.execute("SELECT count(*) FROM t").fetchone()[0] == 201


def test_a_reader_holding_an_old_snapshot_makes_it_give_up(
    setup: tuple[sqlite3.Connection, Checkpointer], tmp_path: Path
) -> None:
    writer, checkpointer = setup
    conn = checkpointer.connect()
    closing.append(conn)
    _write_pages(writer, 10)
    reader = connect(str(tmp_path / "c.db"), synchronous="NORMAL", readonly=True)
    closing.append(reader)
    reader.execute("BEGIN")
    assert reader.execute("SELECT count(*) FROM t").fetchone()[0] == 10
    _write_pages(writer, 200)  # the reader's snapshot keeps these in the log
    assert checkpointer.checkpoint(conn) is False  # the writer checkpoints meanwhile
    reader.execute("COMMIT")
    assert checkpointer.checkpoint(conn) is True
    assert writer.execute("SELECT count(*) FROM t").fetchone()[0] == 210
