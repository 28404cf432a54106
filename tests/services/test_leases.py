"""Cluster membership service: heartbeats, take-over of a dead node, binds as leases.

Nodes are PostgresStores on one fresh schema, each with its own ClusterService,
driven round by round (``tick``) on one FakeClock.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

import pytest

from heliograph.domain.ids import ConnectorId, UpstreamId
from heliograph.domain.messages import MessageState
from heliograph.services.leases import (
    BindLeases,
    ClusterService,
    LocalCluster,
    cluster_service,
)
from heliograph.services.metrics import Metrics
from heliograph.store.base import Changes, PartResult, Store, Unavailable
from heliograph.store.postgres import ClusterView, NodeIdentity, PostgresStore, TakeOver
from tests.conftest import drop_postgres_schema, postgres_dsn
from tests.services.fakes import ScriptedConnector, make_account, submit
from tests.support.clock import FakeClock

S = MessageState
LEASE = 8.0
SMSC = ConnectorId("smsc")
needs_postgres = pytest.mark.skipif(
    not postgres_dsn(), reason="PostgreSQL store: set HELIOGRAPH_TEST_POSTGRES_DSN to run it"
)


class ResumingConnector(ScriptedConnector):
    def __init__(self) -> None:
        super().__init__("smsc")
        self.resumed: list[UpstreamId] = []

    def resume(self, awaiting: Sequence[UpstreamId]) -> None:
        self.resumed.extend(awaiting)


@dataclass
class Node:
    store: PostgresStore
    service: ClusterService
    connector: ResumingConnector
    metrics: Metrics
    requeued: list[Changes] = field(default_factory=list)

    def binds(self) -> frozenset[int]:
        return self.service.leases[SMSC].held


@dataclass
class Cluster:
    schema: str
    clock: FakeClock
    nodes: list[Node] = field(default_factory=list)

    async def start(self, name: str, binds: int = 3) -> Node:
        dsn = postgres_dsn()
        assert dsn
        store = PostgresStore(
            dsn, schema=self.schema, node=NodeIdentity.new(name), lease_s=LEASE, pool_max=3
        )
        await store.open(now=self.clock.now())
        await store.join(self.clock.now())
        connector = ResumingConnector()
        metrics = Metrics()
        node = Node(store, None, connector, metrics)  # type: ignore[arg-type]
        service = cluster_service(
            store,
            self.clock,
            metrics,
            {SMSC: connector},
            binds={SMSC: binds},
            on_requeued=node.requeued.append,
        )
        assert isinstance(service, ClusterService)
        node.service = service
        self.nodes.append(node)
        return node

    def total_binds(self) -> int:
        return sum(len(n.binds()) for n in self.nodes)


@pytest.fixture
async def cluster() -> AsyncIterator[Cluster]:
    c = Cluster(f"hg_test_{uuid.uuid4().hex[:16]}", FakeClock())
    try:
        yield c
    finally:
        for n in c.nodes:
            await n.store.close(now=c.clock.now())
        await drop_postgres_schema(c.schema)


def metric(node: Node, name: str) -> float:
    value = node.metrics.registry.get_sample_value(name)
    assert value is not None, name
    return value


# --- binds ------------------------------------------------------------------------------------


@needs_postgres
async def test_binds_shared_fairly_and_never_more_than_configured(cluster: Cluster) -> None:
    a = await cluster.start("a")
    await a.service.tick()
    assert a.binds() == {0, 1, 2}  # alone: all of them
    b = await cluster.start("b")
    for _ in range(3):
        for n in (b, a):
            await n.service.tick()
            assert cluster.total_binds() <= 3
    assert (len(a.binds()), len(b.binds())) == (2, 1)
    assert metric(b, "heliograph_cluster_nodes_alive") == 2
    assert b.metrics.registry.get_sample_value(
        "heliograph_cluster_binds_held", {"connector": "smsc"}
    ) == len(b.binds())


@needs_postgres
async def test_dead_node_binds_and_parts_taken_over_within_the_lease(cluster: Cluster) -> None:
    a, b = await cluster.start("a"), await cluster.start("b")
    for n in (a, b, a, b):
        await n.service.tick()
    acct = await make_account(a.store, cluster.clock)
    await submit(a.store, cluster.clock, acct, *(f"+4479111{i:05d}" for i in range(5)))
    await a.store.claim_parts(cluster.clock.now(), 3)  # a has 3 parts in flight
    sent_part, _ = await a.store.claim_parts(cluster.clock.now(), 1)
    sent = PartResult(
        part_id=sent_part[0].part_id, state=S.SENT, connector=SMSC, upstream_id=UpstreamId("up-a-1")
    )
    await a.store.record_results([sent], cluster.clock.now())
    died_at = cluster.clock.now()
    # a stops beating; b goes on, one round every interval, until it holds all binds.
    rounds = 0
    while len(b.binds()) < 3:
        cluster.clock.advance(b.service.interval_s)
        await b.service.tick()
        assert cluster.total_binds() - len(a.binds()) <= 3
        rounds += 1
        assert rounds < 20
    took = cluster.clock.now() - died_at
    assert took <= LEASE + b.service.interval_s
    assert metric(b, "heliograph_parts_resent_total") == 3
    assert metric(b, "heliograph_cluster_takeovers_total") == 1
    assert b.connector.resumed == ["up-a-1"]
    assert sum(c.resent for c in b.requeued) == 3
    depth = await b.store.queue_depth()
    assert (depth.queued, depth.sending) == (4, 0)


@needs_postgres
async def test_node_declared_dead_rejoins_and_takes_binds_again(cluster: Cluster) -> None:
    a, b = await cluster.start("a", binds=2), await cluster.start("b", binds=2)
    for n in (a, b, a, b):
        await n.service.tick()
    old = a.store.node_id
    cluster.clock.advance(LEASE + 1)  # a pauses longer than its lease; b takes it over
    await b.service.tick()
    assert b.binds() == {0, 1}
    await a.service.tick()  # a's heartbeat finds it dead: a new incarnation
    assert a.store.node_id != old
    assert a.binds() == set()  # b holds both until the next rounds share them again
    for n in (a, b, a):
        await n.service.tick()
    assert (len(a.binds()), len(b.binds())) == (1, 1)


class FailingStore:
    lease_s = LEASE
    node_id = "x/1"

    def __init__(self) -> None:
        self.fail = False

    async def acquire_leases(
        self, resource: str, *, slots: int, want: int, now: float, ttl_s: float | None = None
    ) -> list[int]:
        if self.fail:
            raise Unavailable("database down")
        return list(range(want))

    async def release_leases(
        self, resource: str | None = None, slots: Sequence[int] | None = None
    ) -> None:
        return None


async def test_bind_leases_given_up_before_they_can_expire_when_renewal_fails() -> None:
    clock = FakeClock()
    store = FailingStore()
    changes: list[frozenset[int]] = []
    leases = BindLeases(store, SMSC, 2, clock, on_change=changes.append)  # type: ignore[arg-type]
    assert await leases.step(live_nodes=1) == {0, 1}
    store.fail = True
    clock.advance(LEASE * 0.5)
    with pytest.raises(Unavailable):
        await leases.step(live_nodes=1)
    leases.expire()
    assert leases.held == {0, 1}  # still within the lease
    clock.advance(LEASE * 0.3)  # 0.8 of the lease since the last renewal: give up
    leases.expire()
    assert leases.held == frozenset()
    assert changes == [frozenset({0, 1}), frozenset()]
    assert leases.changed.is_set()


def test_fair_share_rounds_up_and_caps_at_binds() -> None:
    leases = BindLeases(FailingStore(), SMSC, 5, FakeClock())  # type: ignore[arg-type]
    assert [leases.fair_share(n) for n in (0, 1, 2, 3, 5, 9)] == [5, 5, 3, 2, 1, 1]


# --- single node ------------------------------------------------------------------------------


async def test_single_node_store_is_a_local_cluster(memory_store: Store) -> None:
    clock = FakeClock()
    service = cluster_service(memory_store, clock, Metrics(), {}, binds={SMSC: 2})
    assert isinstance(service, LocalCluster)
    await service.run()  # nothing to do: returns
    acct = await make_account(memory_store, clock)
    await submit(memory_store, clock, acct, "+447911000001", "+447911000002")
    await memory_store.claim_parts(clock.now(), 1)
    view = await service.snapshot()
    assert (view.clustered, len(view.nodes), view.leases) == (False, 1, [])
    assert (view.nodes[0].state, view.nodes[0].in_flight) == ("alive", 1)
    assert (view.depth.queued, view.depth.sending) == (1, 1)


class HangingStore(FailingStore):
    """A cluster store whose database stops answering (no error, no answer) on demand."""

    def __init__(self) -> None:
        super().__init__()
        self.hang = asyncio.Event()
        self.never = asyncio.Event()

    async def heartbeat(self, now: float) -> bool:
        if self.hang.is_set():
            await self.never.wait()
        return True

    async def rejoin(self, now: float) -> None:
        return None

    async def take_over(self, now: float) -> TakeOver:
        return TakeOver()

    async def live_node_count(self, now: float) -> int:
        return 1

    async def cluster_view(self, now: float) -> ClusterView:
        raise NotImplementedError


async def test_cluster_round_that_hangs_gives_binds_up_in_time() -> None:
    clock = FakeClock()
    store = HangingStore()
    service = cluster_service(store, clock, Metrics(), {}, binds={SMSC: 2})  # type: ignore[arg-type]
    assert isinstance(service, ClusterService)
    service.interval_s = 0.01
    leases = service.leases[SMSC]
    task = asyncio.create_task(service.run())
    try:
        await asyncio.wait_for(leases.changed.wait(), 5)
        assert leases.held == {0, 1}
        leases.changed.clear()
        store.hang.set()  # the database stops answering
        clock.advance(LEASE * 0.8)  # past the time the slots can be trusted
        await asyncio.wait_for(leases.changed.wait(), 5)
        assert leases.held == frozenset()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
