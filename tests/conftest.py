from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from heliograph.store.sqlite import SqliteStore
from tests.support.clock import FakeClock

STORE_KINDS = ["memory", "sqlite"]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=STORE_KINDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SqliteStore]:
    """Every Store backend; the contract suite runs once per backend."""
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


@pytest.fixture(autouse=True)
def cheap_scrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests create many accounts; the stored hash records its own cost, so verify still works."""
    monkeypatch.setattr("heliograph.domain.accounts._SCRYPT_N", 2**4)
