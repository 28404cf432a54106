"""GET /v1/connectors: every upstream connector and SMPP client bind, with its window.

For each configured connector: whether it is ready, its requests in flight
and, for connectors that have binds (SMPP), each bind's state, peer, window
use, counters and last error. For the SMPP server: the client binds, with
their account. Any account's API key may read the connectors; client binds
are listed for the caller's own account only, except for the ``admin``
account created at first start, which sees every client bind. The
composition root mounts it with ``add_routes(app, source)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import msgspec
from aiohttp import web

from heliograph.servers.http.auth import account_of
from heliograph.servers.http.context import json_response
from heliograph.services.ports import BindState

ADMIN_ACCOUNT = "admin"


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectorReport:
    id: str
    type: str
    ready: bool
    window_in_use: int
    binds: list[BindState]


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientBind:
    account: str  # the account's name
    bind: BindState


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    connectors: list[ConnectorReport]
    smpp_server: bool  # whether the SMPP server listens
    client_binds: list[ClientBind]


ReportSource = Callable[[], Report]
SOURCE: web.AppKey[ReportSource] = web.AppKey("connectors_report")


class BindBody(msgspec.Struct):
    name: str
    mode: str
    state: str
    peer: str
    window: int
    window_in_use: int
    since: datetime | None
    last_error: str | None
    requests_sent: int
    requests_received: int


class ConnectorBody(msgspec.Struct):
    id: str
    type: str
    ready: bool
    window_in_use: int
    binds: list[BindBody]


class ClientBindBody(BindBody):
    account: str


class ConnectorsBody(msgspec.Struct):
    connectors: list[ConnectorBody]
    smpp_server: bool
    client_binds: list[ClientBindBody]


def _when(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def _bind(b: BindState) -> dict[str, object]:
    return {
        "name": b.name,
        "mode": b.mode,
        "state": b.state,
        "peer": b.peer,
        "window": b.window,
        "window_in_use": b.window_in_use,
        "since": _when(b.since),
        "last_error": b.last_error,
        "requests_sent": b.requests_sent,
        "requests_received": b.requests_received,
    }


def render(report: Report, account_name: str) -> ConnectorsBody:
    """The JSON body for a caller (client binds filtered as the module docstring says)."""
    return ConnectorsBody(
        connectors=[
            ConnectorBody(
                id=c.id,
                type=c.type,
                ready=c.ready,
                window_in_use=c.window_in_use,
                binds=[BindBody(**_bind(b)) for b in c.binds],  # type: ignore[arg-type]
            )
            for c in report.connectors
        ],
        smpp_server=report.smpp_server,
        client_binds=[
            ClientBindBody(account=cb.account, **_bind(cb.bind))  # type: ignore[arg-type]
            for cb in report.client_binds
            if account_name in (cb.account, ADMIN_ACCOUNT)
        ],
    )


async def get_connectors(request: web.Request) -> web.Response:
    account = await account_of(request)
    return json_response(render(request.app[SOURCE](), account.name))


def add_routes(app: web.Application, source: ReportSource) -> None:
    app[SOURCE] = source
    app.router.add_get("/v1/connectors", get_connectors)
