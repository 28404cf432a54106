"""Receipts and MO for SMPP clients across nodes: the "smpp" outbox events of an account go
to the node holding its receiver bind, which a notification wakes.

Each node is a PostgresStore of its own on one shared schema; time is passed in.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace

import pytest

from heliograph.domain.ids import AccountId, MessageId
from heliograph.domain.inbound import MoDelivery, MoPlan
from heliograph.store.postgres import NodeIdentity, PostgresStore
from tests.conftest import drop_postgres_schema, postgres_dsn
from tests.store.test_contract import ACC, OTHER, T0, with_accounts
from tests.store.test_inbound_contract import record

LEASE = 10.0
WAIT_S = 5.0
pytestmark = pytest.mark.skipif(
    not postgres_dsn(), reason="PostgreSQL store: set HELIOGRAPH_TEST_POSTGRES_DSN to run it"
)

OpenNode = Callable[[str], Awaitable[PostgresStore]]


@pytest.fixture
async def nodes() -> AsyncIterator[OpenNode]:
    schema = f"hg_test_{uuid.uuid4().hex[:16]}"
    opened: list[PostgresStore] = []

    async def open_node(name: str) -> PostgresStore:
        dsn = postgres_dsn()
        assert dsn
        s = PostgresStore(
            dsn, schema=schema, node=NodeIdentity.new(name), lease_s=LEASE, pool_max=3
        )
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


_ids = iter(range(1, 1_000_000))


def mo(account: AccountId, fmt: str = "smpp") -> MoPlan:
    mid = f"MO{next(_ids):08d}"
    return MoPlan(
        record=replace(record(mid, account), id=MessageId(mid)),
        delivery=MoDelivery(url="smpp:rd=1", format=fmt, event={"event": "message.received"}),
        consent=None,
        undelivered=None,
    )


async def claimed(store: PostgresStore, now: float = T0) -> list[tuple[str, str]]:
    return sorted((j.account_id, j.format) for j in await store.claim_callbacks(now, 100, 60.0))


async def test_smpp_events_go_to_the_node_holding_the_receiver_bind(nodes: OpenNode) -> None:
    a, b = await nodes("a"), await nodes("b")
    await with_accounts(a)
    await a.set_receiver(ACC, True, T0)
    await b.insert_mo([mo(ACC), mo(ACC, "json"), mo(OTHER)], T0)
    # b holds no bind of ACC: it takes the JSON event and OTHER's (bound nowhere: held)
    assert await claimed(b) == [(ACC, "json"), (OTHER, "smpp")]
    assert await claimed(a) == [(ACC, "smpp")]


async def test_a_bind_that_ends_or_a_node_that_stops_lets_others_take_the_events(
    nodes: OpenNode,
) -> None:
    a, b, c = await nodes("a"), await nodes("b"), await nodes("c")
    await with_accounts(a)
    await a.set_receiver(ACC, True, T0)
    await b.set_receiver(ACC, True, T0)
    await c.insert_mo([mo(ACC), mo(ACC)], T0)
    assert await claimed(c) == []
    assert len(await claimed(a)) + len(await claimed(b)) == 2  # either bind will do
    await a.set_receiver(ACC, False, T0)
    await c.insert_mo([mo(ACC)], T0)
    assert await claimed(a) == [] and await claimed(c) == []
    assert await claimed(b) == [(ACC, "smpp")]
    await b.close(now=T0)  # a stopped node binds nothing
    await c.insert_mo([mo(ACC)], T0)
    assert await claimed(c) == [(ACC, "smpp")]


async def test_events_of_a_dead_node_are_held_only_until_its_lease_runs_out(
    nodes: OpenNode,
) -> None:
    a, b = await nodes("a"), await nodes("b")
    await with_accounts(a)
    await a.set_receiver(ACC, True, T0)
    await b.insert_mo([mo(ACC)], T0)
    assert await claimed(b, T0 + LEASE - 1) == []
    assert await claimed(b, T0 + LEASE + 1) == [(ACC, "smpp")]  # a never renewed its lease
    await b.take_over(T0 + LEASE + 2)
    rows = await b.db.read(lambda conn: conn.fetch("SELECT node FROM client_binds"))
    assert rows == []


async def test_a_node_that_joins_again_binds_its_accounts_again(nodes: OpenNode) -> None:
    a, b = await nodes("a"), await nodes("b")
    await with_accounts(a)
    await a.set_receiver(ACC, True, T0)
    await b.take_over(T0 + LEASE + 1)  # a paused for longer than its lease
    assert await a.heartbeat(T0 + LEASE + 2) is False
    await a.rejoin(T0 + LEASE + 2)
    await b.insert_mo([mo(ACC)], T0 + LEASE + 2)
    assert await claimed(b, T0 + LEASE + 3) == []
    assert await claimed(a, T0 + LEASE + 3) == [(ACC, "smpp")]


async def test_a_bind_that_could_not_be_written_is_written_by_the_heartbeat(
    nodes: OpenNode,
) -> None:
    a, b = await nodes("a"), await nodes("b")
    await with_accounts(a)
    a._receivers.add(ACC)  # as set_receiver leaves it when its write fails
    a._receivers_version += 1
    await b.insert_mo([mo(ACC)], T0)
    assert await claimed(b) == [(ACC, "smpp")]
    assert await a.heartbeat(T0 + 1) is True
    await b.insert_mo([mo(ACC)], T0 + 1)
    assert await claimed(b, T0 + 2) == []
    assert await claimed(a, T0 + 2) == [(ACC, "smpp")]


async def test_a_new_smpp_event_wakes_the_node_holding_the_bind(nodes: OpenNode) -> None:
    a, b = await nodes("a"), await nodes("b")
    await with_accounts(a)
    await a.set_receiver(ACC, True, T0)
    woken: asyncio.Queue[AccountId] = asyncio.Queue()
    listener = asyncio.create_task(a.listen_outbox(woken.put_nowait))
    try:
        await asyncio.sleep(0.2)  # the LISTEN is in place
        await b.insert_mo([mo(OTHER), mo(ACC, "json")], T0)  # not a's: no wake
        await b.insert_mo([mo(ACC), mo(ACC)], T0)  # one commit, one wake
        assert await asyncio.wait_for(woken.get(), WAIT_S) == ACC
        await asyncio.sleep(0.2)
        assert woken.empty()
    finally:
        listener.cancel()
        await asyncio.gather(listener, return_exceptions=True)
