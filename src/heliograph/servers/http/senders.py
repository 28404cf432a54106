"""GET /v1/senders: the sender ids this account may use (csoft's PermittedReplyTo)."""

from __future__ import annotations

import msgspec
from aiohttp import web

from heliograph.servers.http.auth import account_of
from heliograph.servers.http.context import SERVICES, json_response


class SendersBody(msgspec.Struct):
    senders: list[str]
    default: str | None
    restricted: bool


async def get_senders(request: web.Request) -> web.Response:
    account = await account_of(request)
    senders = await request.app[SERVICES].accounts.senders(account.id)
    return json_response(
        SendersBody(
            senders=sorted(senders.allowed), default=senders.default, restricted=senders.restricted
        )
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get("/v1/senders", get_senders)
