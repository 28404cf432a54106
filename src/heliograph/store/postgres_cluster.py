"""Nodes, take-over and leases: what several gateway nodes on one PostgreSQL share.

Theory of operation
-------------------
Every gateway process registers a *node* row when it opens the store: ``id`` is
new at each start (an incarnation), ``name`` stays the same across restarts.
The node renews ``expires_at`` with heartbeats. Parts a node claims record its
id, and keep it once sent, so the database always knows which node has which
parts in flight and which node's upstream owes which receipts.

A node is dead when it stopped (clean shutdown) or its heartbeat lease ran
out. A survivor then *takes over* its work, once, under a row lock on the dead
node (``SKIP LOCKED``: two survivors never both take it over): parts it had in
``sending`` go back to the queue (counted as resent: they may have reached the
upstream), and parts it had sent become the survivor's, whose connector is told
to expect their receipts. A restarted node does the same at start for its own
earlier incarnations, without waiting for their lease to run out. Parts in
flight on a *live* node are never touched.

A heartbeat that finds its node declared dead (a pause longer than the lease)
fails; the node then registers again as a new incarnation.

Leases share limited upstream resources: a connector configured with N binds
is the resource ``bind:<connector>`` with slots 0..N-1, one row per slot held,
so no more than N holders can exist. A lease whose ``expires_at`` passed is
free for anyone; taking it is one ``INSERT … ON CONFLICT … WHERE expired``, so
two nodes racing for one slot cannot both win. Leases are renewed with the
holder's heartbeat and released at shutdown.

Times are the callers' clocks (seconds since the epoch): nodes must keep their
clocks synchronised (NTP) to well under the lease time.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field

from heliograph.domain.ids import ConnectorId, UpstreamId
from heliograph.domain.messages import MessageState
from heliograph.store.base import Changes, QueueDepth
from heliograph.store.postgres_engine import Conn
from heliograph.store.postgres_lifecycle import move_parts
from heliograph.store.postgres_reads import queue_depth

S = MessageState
NODE_HISTORY_S = 86400.0  # taken-over nodes stay visible this long


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeIdentity:
    """Who this process is in the cluster: a stable name and a per-start id."""

    name: str
    id: str
    host: str
    pid: int

    @classmethod
    def new(cls, name: str | None = None) -> NodeIdentity:
        host = socket.gethostname()
        name = name or f"{host}-{os.getpid()}"
        return cls(name=name, id=f"{name}/{secrets.token_hex(4)}", host=host, pid=os.getpid())


@dataclass(frozen=True, slots=True, kw_only=True)
class Lease:
    resource: str
    slot: int
    node: str
    acquired_at: float
    renewed_at: float
    expires_at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeInfo:
    id: str
    name: str
    host: str
    pid: int
    started_at: float
    heartbeat_at: float
    expires_at: float
    stopped_at: float | None
    taken_over_at: float | None
    state: str  # alive, expired (not taken over yet), stopped or taken_over
    in_flight: int  # parts in sending, claimed by this node
    awaiting_receipt: int  # parts sent by this node, without a final receipt yet
    leases: int


def node_state(
    expires_at: float, stopped_at: float | None, taken_over_at: float | None, now: float
) -> str:
    if taken_over_at is not None:
        return "taken_over"
    if stopped_at is not None:
        return "stopped"
    return "alive" if expires_at > now else "expired"


@dataclass(frozen=True, slots=True, kw_only=True)
class ClusterView:
    node: str  # the node answering
    clustered: bool  # False for a single-node store (SQLite)
    at: float
    nodes: list[NodeInfo]
    leases: list[Lease]
    depth: QueueDepth


@dataclass(slots=True)
class TakeOver:
    """What a survivor took over: parts queued again (``changes.resent``), receipts owed."""

    changes: Changes = field(default_factory=Changes)
    nodes: list[str] = field(default_factory=list)
    awaiting: dict[ConnectorId, list[UpstreamId]] = field(default_factory=dict)


# --- nodes ---------------------------------------------------------------------------------


async def register(conn: Conn, node: NodeIdentity, now: float, ttl_s: float) -> None:
    """Add this incarnation; earlier incarnations of the same name are stopped by definition."""
    await conn.execute(
        "INSERT INTO nodes (id, name, host, pid, started_at, heartbeat_at, expires_at)"
        " VALUES ($1, $2, $3, $4, $5, $5, $6)",
        node.id,
        node.name,
        node.host,
        node.pid,
        now,
        now + ttl_s,
    )
    await conn.execute(
        "UPDATE nodes SET stopped_at = $3 WHERE name = $1 AND id <> $2 AND stopped_at IS NULL",
        node.name,
        node.id,
        now,
    )


async def heartbeat(conn: Conn, node_id: str, now: float, ttl_s: float) -> bool:
    """Renew the node's lease. False if it was declared dead meanwhile."""
    status: str = await conn.execute(
        "UPDATE nodes SET heartbeat_at = $2, expires_at = $3"
        " WHERE id = $1 AND stopped_at IS NULL AND taken_over_at IS NULL",
        node_id,
        now,
        now + ttl_s,
    )
    return status == "UPDATE 1"


async def stop(conn: Conn, node_id: str, now: float) -> None:
    await conn.execute("DELETE FROM leases WHERE node = $1", node_id)
    await conn.execute("DELETE FROM client_binds WHERE node = $1", node_id)
    await conn.execute(
        "UPDATE nodes SET stopped_at = $2 WHERE id = $1 AND stopped_at IS NULL", node_id, now
    )


async def live_nodes(conn: Conn, now: float) -> int:
    count: int = await conn.fetchval(
        "SELECT count(*) FROM nodes WHERE stopped_at IS NULL AND taken_over_at IS NULL"
        " AND expires_at > $1",
        now,
    )
    return count


async def take_over(conn: Conn, me: str, now: float, *, include_self: bool = False) -> TakeOver:
    """Take over the work of dead nodes (and, at start, of this node itself)."""
    out = TakeOver()
    rows = await conn.fetch(
        "SELECT id FROM nodes WHERE id <> $1 AND taken_over_at IS NULL"
        " AND (stopped_at IS NOT NULL OR expires_at <= $2) ORDER BY id FOR UPDATE SKIP LOCKED",
        me,
        now,
    )
    out.nodes = [r[0] for r in rows]
    owners = [*out.nodes, me] if include_self else out.nodes
    where = "p.state = 'sending' AND p.node = ANY($1::text[])"
    if include_self:
        where = "p.state = 'sending' AND (p.node = ANY($1::text[]) OR p.node IS NULL)"
    if owners:
        out.changes = await move_parts(conn, where, (owners,), S.QUEUED, None, now)
    if out.nodes:
        adopted = await conn.fetch(
            "WITH c AS (SELECT id FROM parts WHERE state = 'sent' AND node = ANY($1::text[])"
            " ORDER BY id FOR UPDATE)"
            " UPDATE parts AS p SET node = $2 FROM c WHERE p.id = c.id"
            " RETURNING p.connector, p.upstream_id",
            out.nodes,
            me,
        )
        for connector, upstream_id in adopted:
            out.awaiting.setdefault(ConnectorId(connector), []).append(UpstreamId(upstream_id))
        await conn.execute(
            "UPDATE nodes SET taken_over_at = $2 WHERE id = ANY($1::text[])", out.nodes, now
        )
        await conn.execute("DELETE FROM leases WHERE node = ANY($1::text[])", out.nodes)
        await conn.execute("DELETE FROM client_binds WHERE node = ANY($1::text[])", out.nodes)
    await conn.execute("DELETE FROM nodes WHERE taken_over_at < $1", now - NODE_HISTORY_S)
    return out


async def awaiting_receipt(conn: Conn, connector: str, me: str) -> list[UpstreamId]:
    rows = await conn.fetch(
        "SELECT upstream_id FROM parts WHERE state = 'sent' AND node = $2 AND connector = $1",
        connector,
        me,
    )
    return [UpstreamId(r[0]) for r in rows]


# --- SMPP client binds ---------------------------------------------------------------------


async def set_client_binds(conn: Conn, me: str, accounts: Sequence[str], now: float) -> None:
    """Make ``accounts`` the SMPP client accounts with a receiver bind on this node."""
    await conn.execute(
        "DELETE FROM client_binds WHERE node = $1 AND NOT account_id = ANY($2::text[])",
        me,
        list(accounts),
    )
    await conn.execute(
        "INSERT INTO client_binds (account_id, node, since) SELECT a, $2, $3"
        " FROM unnest($1::text[]) AS a ON CONFLICT DO NOTHING",
        list(accounts),
        me,
        now,
    )


# --- leases --------------------------------------------------------------------------------

_LEASE_COLUMNS = "resource, slot, node, acquired_at, renewed_at, expires_at"


async def acquire_leases(
    conn: Conn, resource: str, slots: int, want: int, me: str, now: float, ttl_s: float
) -> list[int]:
    """Hold ``want`` of the ``slots`` slots of ``resource`` if free ones allow; return those held.

    Renews the slots this node holds, releases any beyond ``want`` (highest
    first) or beyond ``slots``, then takes free or expired ones.
    """
    held = await renew_leases(conn, resource, me, now, ttl_s)
    extra = [s for s in held if s >= slots]
    keep = [s for s in held if s < slots]
    extra += keep[max(want, 0) :]
    keep = keep[: max(want, 0)]
    if extra:
        await release_leases(conn, me, resource, extra)
    need = min(want, slots) - len(keep)
    if need <= 0:
        return keep
    busy = {
        r[0]
        for r in await conn.fetch(
            "SELECT slot FROM leases WHERE resource = $1 AND expires_at > $2", resource, now
        )
    }
    free = [s for s in range(slots) if s not in busy and s not in keep][:need]
    if free:
        won = await conn.fetch(
            "INSERT INTO leases (resource, slot, node, acquired_at, renewed_at, expires_at)"
            " SELECT $1, s, $3, $4, $4, $5 FROM unnest($2::int[]) AS s"
            " ON CONFLICT (resource, slot) DO UPDATE SET node = EXCLUDED.node,"
            " acquired_at = EXCLUDED.acquired_at, renewed_at = EXCLUDED.renewed_at,"
            " expires_at = EXCLUDED.expires_at WHERE leases.expires_at <= $4"
            " RETURNING slot",
            resource,
            free,
            me,
            now,
            now + ttl_s,
        )
        keep += [r[0] for r in won]
    return sorted(keep)


async def renew_leases(conn: Conn, resource: str, me: str, now: float, ttl_s: float) -> list[int]:
    """Renew what this node still holds; a lease that ran out is lost (another may hold it)."""
    rows = await conn.fetch(
        "UPDATE leases SET renewed_at = $3, expires_at = $4"
        " WHERE resource = $1 AND node = $2 AND expires_at > $3 RETURNING slot",
        resource,
        me,
        now,
        now + ttl_s,
    )
    return sorted(r[0] for r in rows)


async def release_leases(
    conn: Conn, me: str, resource: str | None = None, slots: Sequence[int] | None = None
) -> None:
    sql = "DELETE FROM leases WHERE node = $1"
    params: list[object] = [me]
    if resource is not None:
        params.append(resource)
        sql += f" AND resource = ${len(params)}"
    if slots is not None:
        params.append(list(slots))
        sql += f" AND slot = ANY(${len(params)}::int[])"
    await conn.execute(sql, *params)


async def list_leases(conn: Conn, now: float) -> list[Lease]:
    rows = await conn.fetch(
        f"SELECT {_LEASE_COLUMNS} FROM leases WHERE expires_at > $1 ORDER BY resource, slot",
        now,
    )
    return [
        Lease(
            resource=r[0],
            slot=r[1],
            node=r[2],
            acquired_at=r[3],
            renewed_at=r[4],
            expires_at=r[5],
        )
        for r in rows
    ]


# --- the view ------------------------------------------------------------------------------


async def cluster_view(conn: Conn, me: str, now: float) -> ClusterView:
    counts: dict[tuple[str, str], int] = {
        (r[0], r[1]): r[2]
        for r in await conn.fetch(
            "SELECT node, state, count(*) FROM parts WHERE state IN ('sending', 'sent')"
            " AND node IS NOT NULL GROUP BY node, state"
        )
    }
    leases = await list_leases(conn, now)
    rows = await conn.fetch(
        "SELECT id, name, host, pid, started_at, heartbeat_at, expires_at, stopped_at,"
        " taken_over_at FROM nodes ORDER BY name, started_at"
    )
    nodes = [
        NodeInfo(
            id=r[0],
            name=r[1],
            host=r[2],
            pid=r[3],
            started_at=r[4],
            heartbeat_at=r[5],
            expires_at=r[6],
            stopped_at=r[7],
            taken_over_at=r[8],
            state=node_state(r[6], r[7], r[8], now),
            in_flight=counts.get((r[0], "sending"), 0),
            awaiting_receipt=counts.get((r[0], "sent"), 0),
            leases=sum(1 for lease in leases if lease.node == r[0]),
        )
        for r in rows
    ]
    depth = await queue_depth(conn)
    return ClusterView(node=me, clustered=True, at=now, nodes=nodes, leases=leases, depth=depth)
