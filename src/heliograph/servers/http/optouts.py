"""The opt-out list: GET/POST /v1/optouts, GET/DELETE /v1/optouts/{number}.

Also ``InboundHttp``, what the opt-out, statistics and MO simulation routes
get from the composition root (``build_app(..., inbound=...)`` mounts them).
Numbers in paths are E.164, with the ``+`` written ``%2B`` or left out.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, TypeVar

import msgspec
from aiohttp import web

from heliograph.domain.ids import AccountId
from heliograph.domain.optout import MAX_REASON_LENGTH, Consent, ConsentSource, OptOut
from heliograph.servers.http.auth import account_of
from heliograph.servers.http.context import ApiError, json_response
from heliograph.servers.http.schemas import field_from_validation
from heliograph.services.inbound import InboundService, OptOutService
from heliograph.store.base import MessageStats

T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundHttp:
    inbound: InboundService
    optouts: OptOutService
    stats: Callable[[AccountId, float | None, float | None], Awaitable[MessageStats]]


INBOUND = web.AppKey("inbound", InboundHttp)


class OptOutRequest(msgspec.Struct, forbid_unknown_fields=True):
    """POST /v1/optouts."""

    number: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    reason: Annotated[str, msgspec.Meta(max_length=MAX_REASON_LENGTH)] | None = None


class OptOutBody(msgspec.Struct):
    number: str
    since: datetime
    source: str
    keyword: str | None
    mo_id: str | None
    reason: str | None


class OptOutList(msgspec.Struct):
    optouts: list[OptOutBody]
    next_cursor: str | None


class ConsentBody(msgspec.Struct):
    action: str
    at: datetime
    source: str
    keyword: str | None
    mo_id: str | None
    reason: str | None


class OptOutHistory(msgspec.Struct):
    number: str
    opted_out: bool
    consents: list[ConsentBody]


def _ts(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def optout_body(o: OptOut) -> OptOutBody:
    return OptOutBody(
        number=o.number,
        since=_ts(o.since),
        source=o.source.value,
        keyword=o.keyword,
        mo_id=o.mo_id,
        reason=o.reason,
    )


def consent_body(c: Consent) -> ConsentBody:
    return ConsentBody(
        action=c.action.value,
        at=_ts(c.at),
        source=c.source.value,
        keyword=c.keyword,
        mo_id=c.mo_id,
        reason=c.reason,
    )


async def decode_json(request: web.Request, kind: type[T]) -> T:
    """The request's JSON body as ``kind``. Raises: ApiError (415, 400 naming the field)."""
    if request.content_type != "application/json":
        raise ApiError(415, "unsupported_media_type", "send the body as application/json")
    try:
        return msgspec.json.decode(await request.read(), type=kind)
    except msgspec.ValidationError as exc:
        raise ApiError(400, "invalid_request", str(exc), _field(str(exc))) from exc
    except msgspec.DecodeError as exc:
        raise ApiError(400, "invalid_json", f"body is not valid JSON: {exc}") from exc


_NAMED = re.compile(r"(?:unknown|missing required) field `([^`]+)`")


def _field(message: str) -> str | None:
    """The field a msgspec validation error is about, path or name."""
    named = _NAMED.search(message)
    return named.group(1) if named else field_from_validation(message)


def _limit(request: web.Request) -> int:
    try:
        return int(request.query.get("limit", "100"))
    except ValueError as exc:
        raise ApiError(400, "invalid_request", "limit must be an integer", "limit") from exc


async def list_optouts(request: web.Request) -> web.Response:
    account = await account_of(request)
    rows, cursor = await request.app[INBOUND].optouts.page(
        account.id, cursor=request.query.get("cursor"), limit=_limit(request)
    )
    return json_response(OptOutList(optouts=[optout_body(o) for o in rows], next_cursor=cursor))


async def add_optout(request: web.Request) -> web.Response:
    account = await account_of(request)
    body = await decode_json(request, OptOutRequest)
    entry, added = await request.app[INBOUND].optouts.add(
        account.id, body.number, body.reason, ConsentSource.API
    )
    return json_response(optout_body(entry), 201 if added else 200)


async def get_optout(request: web.Request) -> web.Response:
    account = await account_of(request)
    number, listed, consents = await request.app[INBOUND].optouts.history(
        account.id, request.match_info["number"]
    )
    return json_response(
        OptOutHistory(number=number, opted_out=listed, consents=[consent_body(c) for c in consents])
    )


async def delete_optout(request: web.Request) -> web.Response:
    account = await account_of(request)
    await request.app[INBOUND].optouts.remove(
        account.id, request.match_info["number"], ConsentSource.API, request.query.get("reason")
    )
    return web.Response(status=204)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/v1/optouts", list_optouts)
    app.router.add_post("/v1/optouts", add_optout)
    app.router.add_get("/v1/optouts/{number}", get_optout)
    app.router.add_delete("/v1/optouts/{number}", delete_optout)
