from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from heliograph.store.base import Store
from heliograph.store.sqlite import SqliteStore
from tests.support.clock import FakeClock

if TYPE_CHECKING:
    from heliograph.store.postgres import PostgresStore

STORE_KINDS = [
    "memory",
    "sqlite",
    pytest.param(
        "postgres",
        marks=pytest.mark.skipif(
            not os.environ.get("HELIOGRAPH_TEST_POSTGRES_DSN"),
            reason="PostgreSQL store: set HELIOGRAPH_TEST_POSTGRES_DSN to run it",
        ),
    ),
]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=STORE_KINDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """Every Store backend; the contract suite runs once per backend."""
    if request.param == "postgres":
        async with postgres_store() as pg:
            yield pg
        return
    path = ":memory:" if request.param == "memory" else str(tmp_path / "store.sqlite3")
    s = SqliteStore(path, synchronous="NORMAL")
    await s.open()
    try:
        yield s
    finally:
        await s.close()


@pytest.fixture
async def memory_store() -> AsyncIterator[SqliteStore]:
    s = SqliteStore(":memory:")
    await s.open()
    try:
        yield s
    finally:
        await s.close()


def postgres_dsn() -> str | None:
    return os.environ.get("HELIOGRAPH_TEST_POSTGRES_DSN")


@contextlib.asynccontextmanager
async def postgres_store(schema: str | None = None) -> AsyncIterator[PostgresStore]:
    """A PostgresStore in a fresh schema of its own, dropped afterwards."""
    from heliograph.store.postgres import PostgresStore

    dsn = postgres_dsn()
    assert dsn, "HELIOGRAPH_TEST_POSTGRES_DSN is not set"
    schema = schema or f"hg_test_{uuid.uuid4().hex[:16]}"
    s = PostgresStore(dsn, schema=schema, pool_min=1, pool_max=4)
    await s.open()
    try:
        yield s
    finally:
        await s.close()
        await drop_postgres_schema(schema)


async def drop_postgres_schema(schema: str) -> None:
    import asyncpg  # type: ignore[import-untyped]

    conn = await asyncpg.connect(postgres_dsn())
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()


@pytest.fixture(autouse=True)
def cheap_scrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests create many accounts; the stored hash records its own cost, so verify still works."""
    monkeypatch.setattr("heliograph.domain.accounts._SCRYPT_N", 2**4)
