"""PostgreSQL store beyond the shared contract: URL options, migrations, errors, and the
concurrency rules that only matter when several nodes write to one database."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from importlib import resources
from typing import Any

import pytest
from asyncpg import exceptions as pgerr  # type: ignore[import-untyped]

from heliograph.app import open_store
from heliograph.config import Config, ConfigError, StoreConfig
from heliograph.domain.ids import UpstreamId
from heliograph.domain.messages import MessageState, derive_state
from heliograph.domain.outcomes import Receipt
from heliograph.store.base import Conflict, IdempotentAnswer, PartResult, StoreError, Unavailable
from heliograph.store.postgres import NodeIdentity, PostgresStore
from heliograph.store.postgres_engine import Database, map_pg_error, split_url
from heliograph.store.postgres_submit import COPY_FROM
from tests.conftest import drop_postgres_schema, postgres_dsn
from tests.store.test_contract import ACC, SMSC, T0, insert, message, view

S = MessageState
pytestmark = pytest.mark.skipif(
    not postgres_dsn(), reason="PostgreSQL store: set HELIOGRAPH_TEST_POSTGRES_DSN to run it"
)

OpenNode = Callable[[str], Awaitable[PostgresStore]]


@pytest.fixture
async def nodes() -> AsyncIterator[OpenNode]:
    """Open PostgresStores, one per node name, all on one fresh schema."""
    schema = f"hg_test_{uuid.uuid4().hex[:16]}"
    opened: list[PostgresStore] = []

    async def open_node(name: str) -> PostgresStore:
        dsn = postgres_dsn()
        assert dsn
        s = PostgresStore(dsn, schema=schema, node=NodeIdentity.new(name), pool_max=4)
        await s.open(now=T0)
        await s.join(T0)
        opened.append(s)
        return s

    try:
        yield open_node
    finally:
        for s in opened:
            await s.close(now=T0)
        await drop_postgres_schema(schema)


# --- URL and configuration ------------------------------------------------------------------


def test_split_url_keeps_libpq_options_and_takes_ours() -> None:
    dsn, ours = split_url(
        "postgresql://u@db:5433/gw?sslmode=require&node=edge-1&lease_s=7&schema=hg&pool_max=20"
    )
    assert dsn == "postgresql://u@db:5433/gw?sslmode=require"
    assert ours == {"node": "edge-1", "lease_s": "7", "schema": "hg", "pool_max": "20"}


def test_from_url_options_and_default_node_name() -> None:
    s = PostgresStore.from_url("postgresql://u@db/gw?node=edge-1&lease_s=7&schema=hg")
    assert (s.node.name, s.lease_s, s.db.schema, s.db.dsn) == (
        "edge-1",
        7.0,
        "hg",
        "postgresql://u@db/gw",
    )
    assert s.node_id.startswith("edge-1/")
    on_port = PostgresStore.from_url("postgresql://u@db/gw", http_port=8081)
    assert on_port.node.name.endswith(":8081")
    assert PostgresStore.from_url("postgresql://u@db/gw").node.id != on_port.node.id


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("lease_s=0.1", "lease_s"),
        ("lease_s=soon", "lease_s"),
        ("pool_max=0", "pool_max"),
        ("schema=Bad-Name", "schema"),
        ("node=a/b", "node"),
    ],
)
def test_open_store_bad_postgres_option_is_a_config_error(query: str, field: str) -> None:
    cfg = Config(store=StoreConfig(url=f"postgresql://u@db/gw?{query}"))
    with pytest.raises(ConfigError) as info:
        open_store(cfg)
    assert info.value.key == "store.url"
    assert field in info.value.reason


def test_open_store_postgresql_url_is_the_postgres_store() -> None:
    store = open_store(Config(store=StoreConfig(url="postgresql://u@db/gw?node=n1")))
    assert isinstance(store, PostgresStore)
    assert store.node.name == "n1"


# --- errors ---------------------------------------------------------------------------------


def test_map_pg_error_classes() -> None:
    assert isinstance(map_pg_error(pgerr.UniqueViolationError("dup")), Conflict)
    assert isinstance(map_pg_error(pgerr.ForeignKeyViolationError("fk")), Conflict)
    assert isinstance(map_pg_error(pgerr.TooManyConnectionsError("full")), Unavailable)
    assert isinstance(map_pg_error(pgerr.AdminShutdownError("bye")), Unavailable)
    assert isinstance(map_pg_error(pgerr.DeadlockDetectedError("dl")), Unavailable)
    assert isinstance(map_pg_error(ConnectionResetError("reset")), Unavailable)
    other = map_pg_error(pgerr.UndefinedTableError("no table"))
    assert type(other) is StoreError


async def test_open_unreachable_server_is_unavailable() -> None:
    s = PostgresStore("postgresql://postgres@127.0.0.1:1/test", pool_min=1, pool_max=1)
    with pytest.raises(Unavailable):
        await s.open()


async def test_write_runs_a_deadlock_victim_again(nodes: OpenNode) -> None:
    store = await nodes("a")
    calls = 0

    async def job(conn: Any) -> int:
        nonlocal calls
        calls += 1
        await conn.execute("INSERT INTO schema_migrations VALUES ($1, 0)", 1000 + calls)
        if calls < 3:
            raise pgerr.DeadlockDetectedError("deadlock detected")
        return calls

    assert await store.db.write(job) == 3
    versions = await store.db.read(
        lambda conn: conn.fetch("SELECT version FROM schema_migrations WHERE version > 999")
    )
    assert [r[0] for r in versions] == [1003]  # the victims' writes were rolled back


async def test_write_gives_up_on_endless_deadlocks(nodes: OpenNode) -> None:
    store = await nodes("a")

    async def job(conn: Any) -> None:
        raise pgerr.DeadlockDetectedError("deadlock detected")

    with pytest.raises(Unavailable):
        await store.db.write(job)


async def test_domain_errors_roll_back_and_pass_through(nodes: OpenNode) -> None:
    store = await nodes("a")

    async def job(conn: Any) -> None:
        await conn.execute("INSERT INTO schema_migrations VALUES (2000, 0)")
        raise LookupError("not a database error")

    with pytest.raises(LookupError):
        await store.db.write(job)
    found = await store.db.read(
        lambda conn: conn.fetchval("SELECT count(*) FROM schema_migrations WHERE version = 2000")
    )
    assert found == 0


# --- migrations -----------------------------------------------------------------------------


async def test_migrations_recorded_and_applied_once_by_nodes_starting_together(
    nodes: OpenNode,
) -> None:
    stores = await asyncio.gather(*(nodes(f"n{i}") for i in range(3)))
    rows = await stores[0].db.read(
        lambda conn: conn.fetch("SELECT version FROM schema_migrations ORDER BY version")
    )
    shipped = sorted(
        int(entry.name.split("_", 1)[0])
        for entry in (resources.files("heliograph.store") / "migrations" / "postgres").iterdir()
        if entry.name.endswith(".sql")
    )
    assert shipped == list(range(1, len(shipped) + 1)) and len(shipped) >= 6
    assert [r[0] for r in rows] == shipped
    assert await stores[1].db.migrate(T0) == []


async def test_migrate_creates_a_missing_schema() -> None:
    dsn = postgres_dsn()
    assert dsn
    schema = f"hg_test_{uuid.uuid4().hex[:16]}"
    db = Database(dsn, schema=schema, min_size=1, max_size=1)
    await db.open()
    try:
        applied = await db.migrate(T0)
        assert applied[:2] == [1, 2] and applied == sorted(applied)
        assert await db.migrate(T0) == []
    finally:
        await db.close()
        await drop_postgres_schema(schema)


# --- several nodes, one database ------------------------------------------------------------


async def test_claims_from_several_nodes_never_share_a_part(nodes: OpenNode) -> None:
    a, b, c = await nodes("a"), await nodes("b"), await nodes("c")
    await insert(a, *(message(parts=3) for _ in range(40)))
    batches = await asyncio.gather(*(s.claim_parts(T0, 9) for s in (a, b, c) for _ in range(5)))
    ids = [p.part_id for parts, _ in batches for p in parts]
    assert len(ids) == 120
    assert len(set(ids)) == 120


async def test_multipart_state_stays_derived_when_nodes_claim_its_parts_at_once(
    nodes: OpenNode,
) -> None:
    a, b = await nodes("a"), await nodes("b")
    msgs = [message(parts=2) for _ in range(30)]
    await insert(a, *msgs)
    # Both nodes take one part of each message at the same moment.
    await asyncio.gather(*(s.claim_parts(T0, 1) for _ in range(30) for s in (a, b)))
    for m in msgs:
        v = await view(a, m.id)
        assert v.state is derive_state([p.state for p in v.parts])
        assert v.state is S.SENDING


async def test_receipt_racing_its_submit_response_on_another_node_is_never_lost(
    nodes: OpenNode,
) -> None:
    recorder, receiver = await nodes("a"), await nodes("b")
    msgs = [message() for _ in range(200)]
    await insert(recorder, *msgs)
    parts, _ = await recorder.claim_parts(T0, 1000)
    upstream = {p.part_id: UpstreamId(f"up-{p.part_id}") for p in parts}

    async def record(chunk: int) -> None:
        results = [
            PartResult(
                part_id=p.part_id, state=S.SENT, connector=SMSC, upstream_id=upstream[p.part_id]
            )
            for p in parts[chunk::10]
        ]
        await recorder.record_results(results, T0 + 1)

    async def receive(chunk: int) -> None:
        receipts = [
            Receipt(
                connector=SMSC,
                upstream_id=upstream[p.part_id],
                state=S.DELIVERED,
                error=None,
                at=T0,
            )
            for p in parts[chunk::10]
        ]
        await receiver.apply_receipts(receipts, T0 + 1)

    await asyncio.gather(*(f(i) for i in range(10) for f in (record, receive)))
    states = {(await view(recorder, m.id)).state for m in msgs}
    assert states == {S.DELIVERED}


async def test_idempotency_key_used_at_once_on_two_nodes_writes_once(nodes: OpenNode) -> None:
    a, b = await nodes("a"), await nodes("b")
    first, second = message(), message()
    answers = await asyncio.gather(
        a.insert_messages(
            [first], idempotency=(ACC, "k", IdempotentAnswer(status=202, body=b"a")), now=T0
        ),
        b.insert_messages(
            [second], idempotency=(ACC, "k", IdempotentAnswer(status=202, body=b"b")), now=T0
        ),
    )
    written = [m for m in (first, second) if await a.get_message(ACC, m.id) is not None]
    assert len(written) == 1
    replayed = [x for x in answers if x is not None]
    assert len(replayed) == 1
    assert replayed[0].body == (b"a" if written[0] is first else b"b")


# --- big batches (COPY) ---------------------------------------------------------------------


async def test_big_insert_goes_by_copy_and_reads_back_like_a_small_one(nodes: OpenNode) -> None:
    store = await nodes("a")
    big = [
        message(parts=1 + n % 3, reference=f"r{n}", callback_url=None if n % 2 else "https://x/h")
        for n in range(COPY_FROM + 6)
    ]
    await insert(store, *big)
    for m in (big[0], big[1], big[-1]):
        v = await view(store, m.id)
        assert (v.reference, v.callback_url, v.state) == (m.reference, m.callback_url, S.QUEUED)
        assert [(p.seq, p.state, p.attempts) for p in v.parts] == [
            (seq, S.QUEUED, 0) for seq in range(1, m.parts + 1)
        ]
    parts, _ = await store.claim_parts(T0, 1000)
    assert len(parts) == sum(m.parts for m in big)


async def test_big_insert_with_a_taken_id_writes_nothing(nodes: OpenNode) -> None:
    store = await nodes("a")
    taken = message()
    await insert(store, taken)
    batch = [message() for _ in range(COPY_FROM)] + [message(id=taken.id)]
    with pytest.raises(Conflict):
        await store.insert_messages(batch, now=T0)
    assert await store.get_message(ACC, batch[0].id) is None
    depth = await store.queue_depth()
    assert depth.queued == 1
