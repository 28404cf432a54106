"""API authentication: ``Authorization: Bearer <api key>`` → Account."""

from __future__ import annotations

from aiohttp import web

from heliograph.domain.accounts import Account
from heliograph.servers.http.context import SERVICES, ApiError, HttpServices


async def account_of(request: web.Request) -> Account:
    """Raises: ApiError(401) without a bearer token; Rejected for a bad one."""
    return await account_for(
        request.app[SERVICES], request.headers.get("Authorization", ""), request.remote
    )


async def account_for(services: HttpServices, authorization: str, peer: str | None) -> Account:
    """The account of an ``Authorization`` header's value, used from ``peer``.

    Raises: ApiError(401) without a bearer token; Rejected for a bad one.
    """
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "send Authorization: Bearer <api key>")
    return await services.accounts.by_api_key(token.strip(), peer=peer)
