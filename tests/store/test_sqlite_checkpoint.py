"""SQLite checkpoints: the checkpointer's PASSIVE rounds and the writer's own.

Driven round by round (``Checkpointer.checkpoint``), without its thread or any
timing, beside a writer connection set up as the store sets up its own. The log
is seen through its file: a log started again is written from its beginning,
so its file stops growing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from heliograph.store.sqlite_engine import Checkpointer, connect

PAGE = 4096 + 24  # a log frame: header and page


def _write(conn: sqlite3.Connection, rows: int) -> None:
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany("INSERT INTO t (v) VALUES (?)", [("x" * 1000,) for _ in range(rows)])
    conn.execute("COMMIT")


@pytest.fixture
def db(tmp_path: Path) -> Iterator[tuple[Path, dict[str, sqlite3.Connection], Checkpointer]]:
    path = tmp_path / "c.db"
    conns = {"writer": connect(str(path), synchronous="NORMAL", autocheckpoint=100)}
    conns["writer"].execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    checkpointer = Checkpointer(str(path), synchronous="NORMAL")
    conns["checkpointer"] = checkpointer.connect()
    conns["reader"] = connect(str(path), synchronous="NORMAL", readonly=True)
    yield path, conns, checkpointer
    for conn in conns.values():
        conn.close()


def _log_bytes(path: Path) -> int:
    return Path(f"{path}-wal").stat().st_size


def test_a_round_copies_the_log_and_the_next_commit_starts_it_again(
    db: tuple[Path, dict[str, sqlite3.Connection], Checkpointer],
) -> None:
    path, conns, checkpointer = db
    _write(conns["writer"], 40)  # about 10 pages: below the writer's own threshold
    before = _log_bytes(path)
    assert before > 5 * PAGE
    assert checkpointer.checkpoint(conns["checkpointer"]) is True
    _write(conns["writer"], 4)
    assert _log_bytes(path) == before  # written at the start of the log again
    assert conns["reader"].execute("SELECT count(*) FROM t").fetchone()[0] == 44


def test_without_a_round_the_log_grows(
    db: tuple[Path, dict[str, sqlite3.Connection], Checkpointer],
) -> None:
    path, conns, _ = db
    _write(conns["writer"], 40)
    before = _log_bytes(path)
    _write(conns["writer"], 4)
    assert _log_bytes(path) > before


def test_under_a_reader_a_round_cannot_copy_everything(
    db: tuple[Path, dict[str, sqlite3.Connection], Checkpointer],
) -> None:
    _, conns, checkpointer = db
    _write(conns["writer"], 10)
    reader = conns["reader"]
    reader.execute("BEGIN")
    assert reader.execute("SELECT count(*) FROM t").fetchone()[0] == 10
    _write(conns["writer"], 20)  # the reader's snapshot holds these back
    assert checkpointer.checkpoint(conns["checkpointer"]) is False
    reader.execute("COMMIT")
    assert checkpointer.checkpoint(conns["checkpointer"]) is True


def test_the_writer_checkpoints_itself_when_the_log_grows_long(
    db: tuple[Path, dict[str, sqlite3.Connection], Checkpointer],
) -> None:
    path, conns, _ = db
    # No checkpointer round at all: the writer's own checkpoint (at 100 pages
    # here) keeps the log from growing without end.
    for _ in range(30):
        _write(conns["writer"], 40)  # about 10 pages a commit, 300 in all
    assert _log_bytes(path) < 130 * PAGE
    assert conns["reader"].execute("SELECT count(*) FROM t").fetchone()[0] == 1200
