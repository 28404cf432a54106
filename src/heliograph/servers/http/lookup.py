"""GET /v1/lookup/{number}: what the numbering plan says about a number."""

from __future__ import annotations

from aiohttp import web

from heliograph.servers.http.auth import account_of
from heliograph.servers.http.context import json_response
from heliograph.services.lookup import lookup


async def get_lookup(request: web.Request) -> web.Response:
    await account_of(request)
    return json_response(lookup(request.match_info["number"]))


def add_routes(app: web.Application) -> None:
    app.router.add_get("/v1/lookup/{number}", get_lookup)
