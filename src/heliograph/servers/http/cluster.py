"""GET /v1/cluster: the nodes sharing this gateway's database, their leases and queues.

Any account's API key may read it (it names hosts and process ids, not
messages). On a single-node store (SQLite) the answer is this process alone,
with ``"clustered": false``. The composition root mounts it with
``add_routes(app, source)``, ``source`` being the node's membership service.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import msgspec
from aiohttp import web

from heliograph.servers.http.auth import account_of
from heliograph.servers.http.context import json_response
from heliograph.store.postgres_cluster import ClusterView

ClusterSource = Callable[[], Awaitable[ClusterView]]
CLUSTER: web.AppKey[ClusterSource] = web.AppKey("cluster")


class NodeBody(msgspec.Struct):
    id: str
    name: str
    host: str
    pid: int
    state: str
    started_at: datetime
    heartbeat_at: datetime
    expires_at: datetime
    stopped_at: datetime | None
    in_flight: int
    awaiting_receipt: int
    leases: int


class LeaseBody(msgspec.Struct):
    resource: str
    slot: int
    node: str
    acquired_at: datetime
    expires_at: datetime


class QueueBody(msgspec.Struct):
    scheduled: int
    queued: int
    sending: int
    callbacks: int


class ClusterBody(msgspec.Struct):
    node: str
    clustered: bool
    at: datetime
    nodes: list[NodeBody]
    leases: list[LeaseBody]
    queue: QueueBody


def _ts(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def cluster_body(view: ClusterView) -> ClusterBody:
    return ClusterBody(
        node=view.node,
        clustered=view.clustered,
        at=_ts(view.at),
        nodes=[
            NodeBody(
                id=n.id,
                name=n.name,
                host=n.host,
                pid=n.pid,
                state=n.state,
                started_at=_ts(n.started_at),
                heartbeat_at=_ts(n.heartbeat_at),
                expires_at=_ts(n.expires_at),
                stopped_at=None if n.stopped_at is None else _ts(n.stopped_at),
                in_flight=n.in_flight,
                awaiting_receipt=n.awaiting_receipt,
                leases=n.leases,
            )
            for n in view.nodes
        ],
        leases=[
            LeaseBody(
                resource=x.resource,
                slot=x.slot,
                node=x.node,
                acquired_at=_ts(x.acquired_at),
                expires_at=_ts(x.expires_at),
            )
            for x in view.leases
        ],
        queue=QueueBody(
            scheduled=view.depth.scheduled,
            queued=view.depth.queued,
            sending=view.depth.sending,
            callbacks=view.depth.callbacks,
        ),
    )


async def get_cluster(request: web.Request) -> web.Response:
    await account_of(request)
    view = await request.app[CLUSTER]()
    return json_response(cluster_body(view))


def add_routes(app: web.Application, source: ClusterSource) -> None:
    app[CLUSTER] = source
    app.router.add_get("/v1/cluster", get_cluster)
