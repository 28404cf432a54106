"""POST /v1/simulate/mo: an MO made up on a loopback connector, to try MO handling.

The MO takes the path a real one takes (connector → receipt correlator →
inbound service → route, opt-out keywords, delivery), so a client sees its
callback or deliver_sm arrive. Only loopback connectors can do this (any other
answers ``409 not_supported``), and only for an MO that an MO route gives to
the calling account.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from aiohttp import web

from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.servers.http.auth import account_of
from heliograph.servers.http.context import ApiError, json_response
from heliograph.servers.http.optouts import INBOUND, decode_json


class SimulateMoRequest(msgspec.Struct, forbid_unknown_fields=True):
    from_: Annotated[str, msgspec.Meta(min_length=1, max_length=20)] = msgspec.field(name="from")
    to: Annotated[str, msgspec.Meta(min_length=1, max_length=20)]
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=1600)]
    connector: str = "loopback"


class SimulatedMo(msgspec.Struct):
    id: str
    connector: str
    status: str = "received"


async def simulate_mo(request: web.Request) -> web.Response:
    account = await account_of(request)
    body = await decode_json(request, SimulateMoRequest)
    try:
        mo = await request.app[INBOUND].inbound.simulate(
            account, body.connector, body.from_, body.to, body.text
        )
    except Rejected as exc:
        if exc.reason is not RejectReason.NOT_SUPPORTED:
            raise
        raise ApiError(409, "not_supported", exc.detail, exc.field) from exc
    return json_response(SimulatedMo(id=mo.id, connector=mo.connector), 202)


def add_routes(app: web.Application) -> None:
    app.router.add_post("/v1/simulate/mo", simulate_mo)
