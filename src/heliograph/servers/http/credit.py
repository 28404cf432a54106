"""GET /v1/balance and POST /v1/messages/cost (a submit priced but not sent).

``GET /v1/balance?account=NAME`` is the balance of a sub-account the caller manages.
"""

from __future__ import annotations

import msgspec
from aiohttp import web

from heliograph.domain.pricing import from_micros
from heliograph.servers.http import family
from heliograph.servers.http.auth import account_of
from heliograph.servers.http.context import SERVICES, ApiError, json_response
from heliograph.servers.http.rest import decode_submit, submit_request


class BalanceBody(msgspec.Struct):
    balance: str  # available to spend
    currency: str
    reserved: str  # held by parts whose price settles on delivery ([credit] settle)


class CostEntry(msgspec.Struct, omit_defaults=True):
    to: str
    parts: int | None = None
    cost: str | None = None
    error: dict[str, str | None] | None = None


class CostBody(msgspec.Struct):
    messages: list[CostEntry]
    parts: int
    cost: str
    currency: str
    balance: str


async def get_balance(request: web.Request) -> web.Response:
    account = await account_of(request)
    if "account" in request.query:  # a sub-account's balance: family.py
        [account] = await family.service(request).visible(
            account, request.query["account"], include_children=False
        )
    balance = await request.app[SERVICES].store_balance(account.id)
    return json_response(
        BalanceBody(
            balance=str(from_micros(balance.balance_micros)),
            currency=balance.currency,
            reserved=str(from_micros(balance.reserved_micros)),
        )
    )


async def post_cost(request: web.Request) -> web.Response:
    account = await account_of(request)
    if request.content_type != "application/json":
        raise ApiError(415, "unsupported_media_type", "send the body as application/json")
    req = submit_request(decode_submit(await request.read()), account.id)
    services = request.app[SERVICES]
    plans, total = await services.submit.estimate(req, account, services.clock.now())
    balance = await services.store_balance(account.id)
    entries = []
    parts = 0
    for plan in plans:
        if plan.message is None:
            assert plan.error is not None
            entries.append(
                CostEntry(
                    to=plan.to,
                    error={
                        "code": plan.error.reason.value,
                        "message": plan.error.detail,
                        "field": plan.error.field,
                    },
                )
            )
            continue
        m = plan.message
        parts += m.parts
        entries.append(
            CostEntry(to=m.to, parts=m.parts, cost=str(from_micros(m.price_micros * m.parts)))
        )
    return json_response(
        CostBody(
            messages=entries,
            parts=parts,
            cost=str(from_micros(total)),
            currency=balance.currency,
            balance=str(from_micros(balance.balance_micros)),
        )
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get("/v1/balance", get_balance)
    app.router.add_post("/v1/messages/cost", post_cost)
