"""Several nodes on one PostgreSQL: heartbeats, take-over of dead nodes' work, bind leases.

Each node is a PostgresStore of its own (its own pool and node identity) on one
shared schema; time is passed in, as the services do, so leases run out on demand.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from heliograph.domain.messages import MessageState
from heliograph.store.base import PartResult, Unavailable
from heliograph.store.postgres import NodeIdentity, PostgresStore
from tests.conftest import drop_postgres_schema, postgres_dsn
from tests.store.test_contract import SMSC, T0, insert, message, sent, view

S = MessageState
LEASE = 10.0
pytestmark = pytest.mark.skipif(
    not postgres_dsn(), reason="PostgreSQL store: set HELIOGRAPH_TEST_POSTGRES_DSN to run it"
)

OpenNode = Callable[..., Awaitable[PostgresStore]]


@pytest.fixture
async def nodes() -> AsyncIterator[OpenNode]:
    schema = f"hg_test_{uuid.uuid4().hex[:16]}"
    opened: list[PostgresStore] = []

    async def open_node(name: str, now: float = T0, *, join: bool = True) -> PostgresStore:
        dsn = postgres_dsn()
        assert dsn
        s = PostgresStore(
            dsn, schema=schema, node=NodeIdentity.new(name), lease_s=LEASE, pool_max=3
        )
        await s.open(now=now)
        if join:
            await s.join(now)
        opened.append(s)
        return s

    try:
        yield open_node
    finally:
        for s in opened:
            await s.close(now=T0)
        await drop_postgres_schema(schema)


async def in_flight(store: PostgresStore, n: int, *, sent_too: int = 0) -> list[PartResult]:
    """Insert n + sent_too messages, claim them on ``store``, record ``sent_too`` as sent."""
    await insert(store, *(message() for _ in range(n + sent_too)))
    parts, _ = await store.claim_parts(T0, 1000)
    assert len(parts) == n + sent_too
    results = [sent(p, f"up-{p.part_id}") for p in parts[:sent_too]]
    await store.record_results(results, T0)
    return results


async def states(store: PostgresStore) -> dict[str, int]:
    rows = await store.db.read(
        lambda conn: conn.fetch("SELECT state, count(*) FROM parts GROUP BY state")
    )
    return {r[0]: r[1] for r in rows}


# --- recovery at start ----------------------------------------------------------------------


async def test_recover_inflight_leaves_parts_of_a_live_node_alone(nodes: OpenNode) -> None:
    a = await nodes("a")
    await in_flight(a, 5)
    b = await nodes("b")
    changes = await b.recover_inflight(T0 + 1)
    assert changes.resent == 0
    assert await states(a) == {"sending": 5}


async def test_recover_inflight_takes_parts_of_a_node_whose_lease_ran_out(nodes: OpenNode) -> None:
    a = await nodes("a")
    await in_flight(a, 5)
    b = await nodes("b", now=T0 + LEASE)
    changes = await b.recover_inflight(T0 + LEASE)
    assert changes.resent == 5
    assert changes.states == {S.QUEUED: 5}
    assert await states(a) == {"queued": 5}


async def test_restarted_node_requeues_its_earlier_incarnation_at_once(nodes: OpenNode) -> None:
    a = await nodes("a")
    b = await nodes("b")
    await in_flight(a, 3)
    await insert(b, message(), message())
    await b.claim_parts(T0, 10)
    again = await nodes("a", now=T0 + 1)  # same name, new incarnation, lease of the old not over
    assert again.node_id != a.node_id
    changes = await again.recover_inflight(T0 + 1)
    assert changes.resent == 3
    assert await states(a) == {"queued": 3, "sending": 2}  # b's parts stay b's


async def test_opening_the_store_without_serving_is_not_a_node(nodes: OpenNode) -> None:
    a = await nodes("a")
    await in_flight(a, 2)
    tool = await nodes("a", now=T0 + 1, join=False)  # e.g. `heliograph accounts create`
    assert await tool.list_accounts() == []
    await tool.close(now=T0 + 1)
    assert await a.heartbeat(T0 + 2)
    view = await a.cluster_view(T0 + 2)
    assert [(n.id, n.state, n.in_flight) for n in view.nodes] == [(a.node_id, "alive", 2)]


# --- take-over by survivors -----------------------------------------------------------------


async def test_take_over_requeues_sending_and_adopts_sent_parts_of_a_dead_node(
    nodes: OpenNode,
) -> None:
    a, b = await nodes("a"), await nodes("b")
    results = await in_flight(a, 4, sent_too=3)
    assert (await b.take_over(T0 + LEASE - 1)).changes.resent == 0  # a is still alive

    taken = await b.take_over(T0 + LEASE)
    assert taken.nodes == [a.node_id]
    assert taken.changes.resent == 4
    assert sorted(taken.awaiting[SMSC]) == sorted(str(r.upstream_id) for r in results)
    assert sorted(await b.awaiting_receipt(SMSC)) == sorted(taken.awaiting[SMSC])
    assert await a.awaiting_receipt(SMSC) == []
    again = await b.take_over(T0 + LEASE + 1)
    assert (again.nodes, again.changes.resent, again.awaiting) == ([], 0, {})


async def test_take_over_by_two_survivors_at_once_happens_once(nodes: OpenNode) -> None:
    a, b, c = await nodes("a"), await nodes("b"), await nodes("c")
    for s in (b, c):
        assert await s.heartbeat(T0 + LEASE)
    await in_flight(a, 20, sent_too=10)
    taken = await asyncio.gather(b.take_over(T0 + LEASE), c.take_over(T0 + LEASE))
    assert sorted(t.changes.resent for t in taken) == [0, 20]
    assert sum(len(ids) for t in taken for ids in t.awaiting.values()) == 10
    assert await states(a) == {"queued": 20, "sent": 10}


async def test_cleanly_stopped_node_is_taken_over_without_waiting(nodes: OpenNode) -> None:
    a, b = await nodes("a"), await nodes("b")
    await b.acquire_leases("bind:smsc-1", slots=2, want=2, now=T0)
    await in_flight(b, 2)
    await b.close(now=T0 + 1)
    taken = await a.take_over(T0 + 1)
    assert taken.changes.resent == 2
    assert await a.list_leases(T0 + 1) == []


async def test_heartbeat_renews_the_lease_until_the_node_is_taken_over(nodes: OpenNode) -> None:
    a, b = await nodes("a"), await nodes("b")
    assert await a.heartbeat(T0 + 8)
    assert (await b.take_over(T0 + LEASE)).nodes == []  # renewed until T0 + 18
    assert await b.live_node_count(T0 + 15) == 1  # b did not beat since T0
    assert (await b.take_over(T0 + 18)).nodes == [a.node_id]
    assert not await a.heartbeat(T0 + 19)
    old = a.node_id
    await a.rejoin(T0 + 19)
    assert a.node_id != old and a.node.name == "a"
    assert await a.heartbeat(T0 + 20)


async def test_result_recorded_by_a_node_after_take_over_still_counts(nodes: OpenNode) -> None:
    a, b = await nodes("a"), await nodes("b")
    await insert(a, m := message())
    (part,), _ = await a.claim_parts(T0, 10)
    await b.take_over(T0 + LEASE)  # a paused too long: its part is queued again
    await a.record_results([sent(part, "late")], T0 + LEASE + 1)
    assert (await view(a, m.id)).state is S.SENT  # at least once, never lost


# --- leases ---------------------------------------------------------------------------------


async def test_acquire_leases_never_more_holders_than_slots(nodes: OpenNode) -> None:
    stores = [await nodes(f"n{i}") for i in range(5)]
    held = await asyncio.gather(
        *(s.acquire_leases("bind:smsc-1", slots=3, want=3, now=T0) for s in stores)
    )
    assert sum(len(h) for h in held) == 3
    assert sorted(slot for h in held for slot in h) == [0, 1, 2]
    leases = await stores[0].list_leases(T0)
    assert [(x.resource, x.slot) for x in leases] == [("bind:smsc-1", s) for s in range(3)]


async def test_acquire_leases_renews_trims_and_takes_free_slots(nodes: OpenNode) -> None:
    a, b = await nodes("a"), await nodes("b")
    assert await a.acquire_leases("bind:x", slots=4, want=4, now=T0) == [0, 1, 2, 3]
    assert await b.acquire_leases("bind:x", slots=4, want=2, now=T0) == []
    assert await a.acquire_leases("bind:x", slots=4, want=2, now=T0 + 1) == [0, 1]
    assert await b.acquire_leases("bind:x", slots=4, want=2, now=T0 + 1) == [2, 3]
    (lease,) = [x for x in await a.list_leases(T0 + 1) if x.slot == 0]
    assert (lease.node, lease.expires_at) == (a.node_id, T0 + 1 + LEASE)


async def test_expired_lease_is_lost_by_its_holder_and_free_for_others(nodes: OpenNode) -> None:
    a, b = await nodes("a"), await nodes("b")
    assert await a.acquire_leases("bind:x", slots=1, want=1, now=T0) == [0]
    assert await b.acquire_leases("bind:x", slots=1, want=1, now=T0 + LEASE - 0.1) == []
    assert await b.acquire_leases("bind:x", slots=1, want=1, now=T0 + LEASE) == [0]
    assert await a.renew_leases("bind:x", T0 + LEASE + 1) == []


async def test_release_leases_frees_slots_at_once(nodes: OpenNode) -> None:
    a, b = await nodes("a"), await nodes("b")
    await a.acquire_leases("bind:x", slots=2, want=2, now=T0)
    await a.acquire_leases("bind:y", slots=1, want=1, now=T0)
    await a.release_leases("bind:x", [1])
    assert await b.acquire_leases("bind:x", slots=2, want=2, now=T0) == [1]
    await a.release_leases()
    assert [x.node for x in await a.list_leases(T0)] == [b.node_id]


async def test_fewer_slots_than_held_releases_the_extra(nodes: OpenNode) -> None:
    a = await nodes("a")
    await a.acquire_leases("bind:x", slots=3, want=3, now=T0)
    assert await a.acquire_leases("bind:x", slots=1, want=3, now=T0 + 1) == [0]
    assert [x.slot for x in await a.list_leases(T0 + 1)] == [0]


# --- the cluster view -----------------------------------------------------------------------


async def test_cluster_view_nodes_leases_and_queue_per_node(nodes: OpenNode) -> None:
    a, b = await nodes("a"), await nodes("b")
    await in_flight(a, 2, sent_too=3)
    await insert(a, message())
    await b.acquire_leases("bind:smsc-1", slots=2, want=1, now=T0)
    v = await b.cluster_view(T0 + 1)
    assert v.node == b.node_id
    by_name = {n.name: n for n in v.nodes}
    assert (by_name["a"].in_flight, by_name["a"].awaiting_receipt, by_name["a"].leases) == (2, 3, 0)
    assert (by_name["b"].in_flight, by_name["b"].leases) == (0, 1)
    assert {n.state for n in v.nodes} == {"alive"}
    later = await b.cluster_view(T0 + LEASE)
    assert {n.name: n.state for n in later.nodes} == {"a": "expired", "b": "expired"}
    await b.close(now=T0 + LEASE)
    assert {n.name: n.state for n in (await a.cluster_view(T0 + 1)).nodes} == {
        "a": "alive",
        "b": "stopped",
    }
    assert [(x.resource, x.node) for x in v.leases] == [("bind:smsc-1", b.node_id)]
    assert (v.depth.queued, v.depth.sending) == (1, 2)


async def test_close_when_the_database_is_gone_still_closes(nodes: OpenNode) -> None:
    a = await nodes("a")

    async def down(job: object) -> None:
        raise Unavailable("connection lost")

    a.db.write = down  # type: ignore[method-assign,assignment]
    await a.close(now=T0 + 1)  # logs, leaves the lease to run out
    assert a.db._pool is None
