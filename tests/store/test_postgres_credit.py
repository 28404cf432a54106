"""PostgreSQL beyond the shared contract: credit and content with several nodes on one database.

Each node is a PostgresStore of its own (its own pool and node identity) on one
fresh schema, so the races below are between real connections, as between the
nodes of a cluster.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace

import pytest

from heliograph.domain.ids import AccountId
from heliograph.domain.messages import MessageState
from heliograph.store.base import Charge, Conflict, InsufficientCredit, MessageFilter
from heliograph.store.postgres import NodeIdentity, PostgresStore
from heliograph.store.postgres_submit import COPY_FROM
from tests.conftest import drop_postgres_schema, postgres_dsn
from tests.store.test_contract import ACC, T0, claim_all, message, view, with_accounts

pytestmark = pytest.mark.skipif(
    not postgres_dsn(), reason="PostgreSQL store: set HELIOGRAPH_TEST_POSTGRES_DSN to run it"
)

S = MessageState
OpenNode = Callable[[str], Awaitable[PostgresStore]]


@pytest.fixture
async def nodes() -> AsyncIterator[OpenNode]:
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


def charge(amount: int, account: AccountId = ACC) -> Charge:
    return Charge(account_id=account, amount_micros=amount, reason="test")


async def ledger(store: PostgresStore) -> list[tuple[int, int]]:
    rows = await store.db.read(
        lambda conn: conn.fetch(
            "SELECT amount_micros, balance_micros FROM ledger WHERE account_id = $1 ORDER BY id",
            ACC,
        )
    )
    return [(r[0], r[1]) for r in rows]


async def test_charges_on_two_nodes_never_spend_the_same_credit_twice(nodes: OpenNode) -> None:
    a, b = await nodes("a"), await nodes("b")
    await with_accounts(a)
    await a.adjust_balance(ACC, 20 * 7_000, "top up", T0)

    async def attempt(store: PostgresStore) -> bool:
        m = replace(message(), price_micros=7_000)
        try:
            await store.insert_messages([m], now=T0, charge=charge(7_000))
        except InsufficientCredit:
            return False
        return True

    results = await asyncio.gather(*(attempt(s) for _ in range(40) for s in (a, b)))
    assert sum(results) == 20
    assert (await b.balance(ACC)).balance_micros == 0
    listed = await a.list_messages(ACC, MessageFilter(), before=None, limit=100)
    assert len(listed) == 20
    entries = await ledger(a)
    assert entries[0] == (140_000, 140_000) and len(entries) == 21
    running = 0
    for amount, after in entries:  # every ledger row saw the balance its predecessor left
        running += amount
        assert after == running


async def test_refunds_on_one_node_and_charges_on_another_keep_the_books(
    nodes: OpenNode,
) -> None:
    a, b = await nodes("a"), await nodes("b")
    await with_accounts(a)
    await a.adjust_balance(ACC, 1_000_000, "top up", T0)
    first = [replace(message(parts=2), price_micros=5_000) for _ in range(30)]
    for m in first:
        await a.insert_messages([m], now=T0, charge=charge(10_000))

    async def charges() -> None:
        for _ in range(30):
            m = replace(message(expires_at=None), price_micros=3_000)
            await a.insert_messages([m], now=T0, charge=charge(3_000))

    async def cancels() -> None:
        for m in first:
            try:
                await b.cancel_message(ACC, m.id, T0 + 1)
            except Conflict:  # expired meanwhile: refunded by the expiry
                assert (await view(b, m.id)).state is S.EXPIRED

    await asyncio.gather(charges(), cancels(), b.expire_pending(T0 + 2 * 86400))
    assert (await a.balance(ACC)).balance_micros == 1_000_000 - 30 * 3_000
    entries = await ledger(b)
    assert sum(amount for amount, _ in entries) == 1_000_000 - 30 * 3_000
    assert all(after >= 0 for _, after in entries)


async def test_copy_and_unnest_inserts_carry_content_price_and_test(nodes: OpenNode) -> None:
    a = await nodes("a")
    await with_accounts(a)
    content = {
        "encoding": "binary",
        "payload": b"\x01\x06\x03\xae\x81\xea",
        "dest_port": 2948,
        "src_port": 9200,
        "message_class": 1,
        "languages": frozenset({1, 13}),
        "test": True,
        "price_micros": 1_234,
        "udh": None,
    }
    for batch in (3, COPY_FROM + 6):
        rich = [replace(message(), **content) for _ in range(batch)]  # type: ignore[arg-type]
        plain = [message() for _ in range(batch)]
        await a.insert_messages(rich + plain, now=T0)
        parts = {p.message_id: p for p in await claim_all(a)}
        assert len(parts) == 2 * batch
        for m in rich:
            p = parts[m.id]
            assert (p.payload, p.dest_port, p.src_port) == (content["payload"], 2948, 9200)
            assert p.message_class == 1 and p.languages == frozenset({1, 13}) and p.test
        for m in plain:
            p = parts[m.id]
            assert p.payload is None and p.languages is None and not p.test
            assert p.message_class is None and p.dest_port is None
        assert (await view(a, rich[0].id)).test is True
        stats = await a.message_stats(ACC, None, None)
        assert stats.test_messages == (batch if batch == 3 else 3 + batch)
