"""API authentication: ``Authorization: Bearer <api key>`` → Account."""

from __future__ import annotations

from aiohttp import web

from heliograph.domain.accounts import Account
from heliograph.servers.http.context import SERVICES, ApiError


async def account_of(request: web.Request) -> Account:
    """Raises: ApiError(401) without a bearer token; Rejected for a bad one."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "send Authorization: Bearer <api key>")
    return await request.app[SERVICES].accounts.by_api_key(token.strip(), peer=request.remote)
