"""Cluster membership: node heartbeats, take-over of dead nodes, upstream binds as leases.

Theory of operation
-------------------
On PostgreSQL every gateway process is a *node* (``store/postgres_cluster``).
``ClusterService`` is the node's one loop, run every ``lease_s / 4``:

1. heartbeat: renew this node's lease; if the cluster declared the node dead
   meanwhile (a pause longer than the lease), register again as a new
   incarnation; its in-flight parts were already queued again by a survivor;
2. take over the work of nodes that died since the last round: their parts in
   flight are queued again (counted in ``heliograph_parts_resent_total``: they
   may reach the handset twice) and the dispatcher is woken; the receipts owed
   for what they had sent are expected by this node's connectors (``resume``);
3. hold this node's share of every connector's binds (``BindLeases``).

``BindLeases`` keeps a connector configured with N binds at N binds in total
across the cluster: each slot is a lease in the database, so no more than N
holders can exist, and each node asks for a fair share, ceil(N / live nodes),
giving back what exceeds it when nodes join. A dead node's slots are free once
its lease runs out; survivors take them at their next round, so binds move
within ``lease_s`` plus one round (default 10 s + 2.5 s). A holder that cannot
renew gives its slots up by itself shortly before they can expire, so that two
nodes never use one slot at once. A connector that binds by leases
(``LeasedBinds``: the SMPP client) binds nothing until its first slots are
held, is told of every change (``hold``), and when this node gives slots back
to a joining node it unbinds them first and the leases are freed after
(``released``), so that the connector's binds across the cluster never exceed
N. Other connectors (loopback) ignore their leases.

A single-node store (SQLite, memory) has no cluster: ``cluster_service``
returns ``LocalCluster``, whose view is this process alone.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import socket
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Protocol, runtime_checkable

from prometheus_client import Counter, Gauge

from heliograph.domain.ids import ConnectorId
from heliograph.services.metrics import Metrics
from heliograph.services.ports import Clock, Connector
from heliograph.store.base import Changes, Store, StoreError
from heliograph.store.postgres_cluster import ClusterView, NodeInfo, TakeOver

log = logging.getLogger("heliograph.cluster")


@runtime_checkable
class ClusterStore(Protocol):
    """What a store shared by several nodes offers beyond ``Store`` (PostgreSQL)."""

    lease_s: float

    @property
    def node_id(self) -> str: ...

    async def heartbeat(self, now: float) -> bool: ...
    async def rejoin(self, now: float) -> None: ...
    async def take_over(self, now: float) -> TakeOver: ...
    async def live_node_count(self, now: float) -> int: ...
    async def acquire_leases(
        self, resource: str, *, slots: int, want: int, now: float, ttl_s: float | None = None
    ) -> list[int]: ...
    async def release_leases(
        self, resource: str | None = None, slots: Sequence[int] | None = None
    ) -> None: ...
    async def cluster_view(self, now: float) -> ClusterView: ...


@runtime_checkable
class LeasedBinds(Protocol):
    """A connector whose binds are leases: it binds only the slots it is told to hold."""

    def hold(self, slots: frozenset[int]) -> None: ...
    async def released(self) -> None: ...


class BindLeases:
    """The binds of one connector this node may hold (see the module docstring)."""

    def __init__(
        self,
        store: ClusterStore,
        connector: ConnectorId,
        binds: int,
        clock: Clock,
        *,
        ttl_s: float | None = None,
        margin_s: float | None = None,
        on_change: Callable[[frozenset[int]], None] | None = None,
        drain: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.connector = connector
        self.resource = f"bind:{connector}"
        self.binds = binds
        self._store = store
        self._clock = clock
        self._ttl_s = store.lease_s if ttl_s is None else ttl_s
        self._margin_s = self._ttl_s / 4 if margin_s is None else margin_s
        self._on_change = on_change
        self._drain = drain
        self._valid_until = 0.0
        self.held: frozenset[int] = frozenset()
        self.changed = asyncio.Event()

    def fair_share(self, live_nodes: int) -> int:
        return min(self.binds, math.ceil(self.binds / max(live_nodes, 1)))

    async def step(self, live_nodes: int) -> frozenset[int]:
        """Renew, trim or fill this node's share. Returns the slots held.

        Raises: StoreError (``expire`` then drops the slots when their time is up).
        """
        want = self.fair_share(live_nodes)
        if len(self.held) > want and self._drain is not None:
            # Unbind what goes back before the store frees it for another node
            # (acquire_leases keeps the lowest slots held).
            self._set(frozenset(sorted(self.held)[:want]))
            await self._drain()
        now = self._clock.now()
        slots = await self._store.acquire_leases(
            self.resource, slots=self.binds, want=want, now=now, ttl_s=self._ttl_s
        )
        self._valid_until = now + self._ttl_s - self._margin_s
        self._set(frozenset(slots))
        return self.held

    def expire(self) -> None:
        """Give the slots up if they could not be renewed in time (called on store errors)."""
        if self.held and self._clock.now() >= self._valid_until:
            log.warning(
                "%s: leases not renewed in time; giving up %d binds",
                self.connector,
                len(self.held),
            )
            self._set(frozenset())

    async def release(self) -> None:
        self._set(frozenset())
        if self._drain is not None:
            await self._drain()
        await self._store.release_leases(self.resource)

    def _set(self, held: frozenset[int]) -> None:
        if held == self.held:
            return
        log.info("%s: holding binds %s of %d", self.connector, sorted(held), self.binds)
        self.held = held
        self.changed.set()
        if self._on_change is not None:
            self._on_change(held)


class ClusterService:
    """This node's membership loop (see the module docstring)."""

    def __init__(
        self,
        store: ClusterStore,
        clock: Clock,
        metrics: Metrics,
        connectors: Mapping[ConnectorId, Connector],
        *,
        binds: Mapping[ConnectorId, int],
        on_requeued: Callable[[Changes], None] | None = None,
        interval_s: float | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._metrics = metrics
        self._connectors = connectors
        self._on_requeued = on_requeued
        self.interval_s = store.lease_s / 4 if interval_s is None else interval_s
        self.leases: dict[ConnectorId, BindLeases] = {}
        for cid, n in binds.items():
            if n <= 0:
                continue
            connector = connectors.get(cid)
            if isinstance(connector, LeasedBinds):
                connector.hold(frozenset())  # nothing until this node holds leases
                self.leases[cid] = BindLeases(
                    store, cid, n, clock, on_change=connector.hold, drain=connector.released
                )
            else:
                self.leases[cid] = BindLeases(store, cid, n, clock)
        r = metrics.registry
        self._live = Gauge("heliograph_cluster_nodes_alive", "Nodes with a live lease", registry=r)
        self._held = Gauge(
            "heliograph_cluster_binds_held",
            "Bind leases this node holds, by connector",
            ["connector"],
            registry=r,
        )
        self._taken = Counter(
            "heliograph_cluster_takeovers", "Dead nodes this node took over", registry=r
        )

    @property
    def node_id(self) -> str:
        return self._store.node_id

    async def run(self) -> None:
        try:
            while True:
                try:
                    # A round that hangs counts as failed in time to give binds up.
                    async with asyncio.timeout(self.interval_s * 2):  # not wait_for: see worker
                        await self.tick()
                except (StoreError, TimeoutError) as exc:
                    log.warning("cluster round failed: %s", exc or "timed out")
                    for lease in self.leases.values():
                        lease.expire()
                await asyncio.sleep(self.interval_s)
        finally:
            await self._release()

    async def tick(self) -> None:
        now = self._clock.now()
        if not await self._store.heartbeat(now):
            log.error(
                "node %s was declared dead by the cluster (no heartbeat within %.0f s); "
                "its parts in flight were queued again; registering again",
                self.node_id,
                self._store.lease_s,
            )
            await self._store.rejoin(now)
        self._adopt(await self._store.take_over(now))
        live = await self._store.live_node_count(now)
        self._live.set(live)
        for cid, lease in self.leases.items():
            self._held.labels(cid).set(len(await lease.step(live)))

    def _adopt(self, taken: TakeOver) -> None:
        if not taken.nodes:
            return
        resent = taken.changes.resent
        self._taken.inc(len(taken.nodes))
        self._metrics.parts_resent.inc(resent)
        self._metrics.record(taken.changes)
        owed = sum(len(ids) for ids in taken.awaiting.values())
        log.warning(
            "took over dead node(s) %s: %d parts in flight queued again (they may reach the "
            "handset twice), %d sent parts awaiting receipts",
            ", ".join(taken.nodes),
            resent,
            owed,
        )
        for cid, ids in taken.awaiting.items():
            connector = self._connectors.get(cid)
            if connector is not None:
                connector.resume(ids)
        if self._on_requeued is not None:
            self._on_requeued(taken.changes)

    async def _release(self) -> None:
        for lease in self.leases.values():
            try:
                await lease.release()
            except StoreError:
                pass  # the store's close releases them too, or they run out

    async def snapshot(self) -> ClusterView:
        return await self._store.cluster_view(self._clock.now())


class LocalCluster:
    """The cluster of a single-node store: this process alone, no leases to share."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self._started_at = time.time()
        self.node_id = f"{socket.gethostname()}-{os.getpid()}"

    async def run(self) -> None:
        return

    async def snapshot(self) -> ClusterView:
        now = self._clock.now()
        depth = await self._store.queue_depth()
        me = NodeInfo(
            id=self.node_id,
            name=self.node_id,
            host=socket.gethostname(),
            pid=os.getpid(),
            started_at=self._started_at,
            heartbeat_at=now,
            expires_at=now,
            stopped_at=None,
            taken_over_at=None,
            state="alive",
            in_flight=depth.sending,
            awaiting_receipt=0,
            leases=0,
        )
        return ClusterView(
            node=self.node_id, clustered=False, at=now, nodes=[me], leases=[], depth=depth
        )


def cluster_service(
    store: Store,
    clock: Clock,
    metrics: Metrics,
    connectors: Mapping[ConnectorId, Connector],
    *,
    binds: Mapping[ConnectorId, int],
    on_requeued: Callable[[Changes], None] | None = None,
) -> ClusterService | LocalCluster:
    """The membership of this process: a ClusterService on a shared store, else LocalCluster."""
    if isinstance(store, ClusterStore):
        return ClusterService(
            store, clock, metrics, connectors, binds=binds, on_requeued=on_requeued
        )
    return LocalCluster(store, clock)
