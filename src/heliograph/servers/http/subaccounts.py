"""Sub-accounts over REST: /v1/subaccounts, for a parent account with its own API key.

``/v1/subaccounts`` lists the caller's children and creates one (its credentials
are in the answer, once); ``/v1/subaccounts/{name}`` reads and changes one
(callback URL, disabled, IP allowlist); ``…/keys`` lists, adds and revokes its
API keys; ``…/transfer`` moves credit from the parent to it (a negative amount
takes it back); ``…/senders`` and ``…/prices`` set what it may send from and
what it pays, within what its parent may use (``domain.family``). An admin
account may do all of this to any account that has a parent. Another account's
children answer 404, alike with an account that does not exist.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from aiohttp import web

from heliograph.domain.accounts import Account, hash_api_key
from heliograph.domain.pricing import from_micros, parse_amount, to_micros
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.servers.http.admin import (
    CreditRequest,
    KeyBody,
    KeyList,
    NewKey,
    _allowlist,
    _decode,
)
from heliograph.servers.http.auth import account_of
from heliograph.servers.http.context import SERVICES, ApiError, json_response
from heliograph.services.subaccounts import SubAccountService
from heliograph.store.base import AccountChanges

_URL = Annotated[str, msgspec.Meta(pattern=r"^https?://", max_length=2048)]


class SubAccountBody(msgspec.Struct):
    id: str
    name: str
    parent: str
    callback_url: str | None
    disabled: bool
    ip_allowlist: list[str]


class SubAccountList(msgspec.Struct):
    accounts: list[SubAccountBody]


class NewSubAccount(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    callback_url: _URL | None = None
    ip_allowlist: list[str] = []


class SubAccountPatch(msgspec.Struct, forbid_unknown_fields=True):
    callback_url: _URL | msgspec.UnsetType | None = msgspec.UNSET
    disabled: bool | None = None
    ip_allowlist: list[str] | None = None


class TransferAnswer(msgspec.Struct):
    account: str
    balance: str
    parent: str
    parent_balance: str
    currency: str


class SenderRequest(msgspec.Struct, forbid_unknown_fields=True):
    sender: str
    default: bool = False


class SendersAnswer(msgspec.Struct):
    own: list[str]
    default: str | None
    senders: list[str]  # in force: the own ones within the parent's
    restricted: bool


class PriceRequest(msgspec.Struct, forbid_unknown_fields=True):
    prefix: str
    price: str


class PricesAnswer(msgspec.Struct):
    own: dict[str, str]
    prices: dict[str, str]  # in force: never below the parent's


def _service(request: web.Request) -> SubAccountService:
    service = request.app[SERVICES].subaccounts
    if service is None:
        raise Rejected(RejectReason.NOT_SUPPORTED, "sub-accounts are not served here")
    return service


async def _target(request: web.Request) -> tuple[SubAccountService, Account]:
    caller = await account_of(request)
    service = _service(request)
    return service, await service.managed(caller, request.match_info["name"])


def _body(account: Account, parent: str) -> SubAccountBody:
    return SubAccountBody(
        id=account.id,
        name=account.name,
        parent=parent,
        callback_url=account.callback_url,
        disabled=account.disabled,
        ip_allowlist=list(account.ip_allowlist),
    )


async def _parent_name(request: web.Request, account: Account, caller: Account) -> str:
    if account.parent_id == caller.id:
        return caller.name
    return await _service(request).parent_name(account)


async def list_children(request: web.Request) -> web.Response:
    caller = await account_of(request)
    children = await _service(request).children(caller)
    return json_response(SubAccountList(accounts=[_body(a, caller.name) for a in children]))


async def create_child(request: web.Request) -> web.Response:
    caller = await account_of(request)
    req = _decode(await request.read(), NewSubAccount)
    new = await _service(request).create(
        caller, req.name, callback_url=req.callback_url, ip_allowlist=_allowlist(req.ip_allowlist)
    )
    return json_response({**new.as_json(), "parent": caller.name}, status=201)


async def get_child(request: web.Request) -> web.Response:
    caller = await account_of(request)
    target = await _service(request).managed(caller, request.match_info["name"])
    return json_response(_body(target, await _parent_name(request, target, caller)))


async def patch_child(request: web.Request) -> web.Response:
    caller = await account_of(request)
    target = await _service(request).managed(caller, request.match_info["name"])
    patch = _decode(await request.read(), SubAccountPatch)
    changes = AccountChanges(
        callback_url=patch.callback_url if isinstance(patch.callback_url, str) else None,
        clear_callback_url=patch.callback_url is None,
        disabled=patch.disabled,
        ip_allowlist=_allowlist(patch.ip_allowlist) if patch.ip_allowlist is not None else None,
    )
    updated = await request.app[SERVICES].accounts.update(target, changes)
    return json_response(_body(updated, await _parent_name(request, updated, caller)))


async def list_keys(request: web.Request) -> web.Response:
    _, target = await _target(request)
    keys = await request.app[SERVICES].accounts.api_keys(target)
    return json_response(
        KeyList(
            keys=[
                KeyBody(id=k.lookup[:16], created_at=k.created_at, revoked=k.revoked) for k in keys
            ]
        )
    )


async def add_key(request: web.Request) -> web.Response:
    _, target = await _target(request)
    key = await request.app[SERVICES].accounts.add_api_key(target)
    return json_response(NewKey(id=hash_api_key(key)[:16], api_key=key), status=201)


async def revoke_key(request: web.Request) -> web.Response:
    _, target = await _target(request)
    await request.app[SERVICES].accounts.revoke_api_key(target, request.match_info["key"])
    return web.Response(status=204)


async def transfer(request: web.Request) -> web.Response:
    caller = await account_of(request)
    service = _service(request)
    target = await service.managed(caller, request.match_info["name"])
    req = _decode(await request.read(), CreditRequest)
    parent, child = await service.transfer(target, to_micros(parse_amount(req.amount)))
    return json_response(
        TransferAnswer(
            account=target.name,
            balance=str(from_micros(child.balance_micros)),
            parent=await _parent_name(request, target, caller),
            parent_balance=str(from_micros(parent.balance_micros)),
            currency=child.currency,
        )
    )


async def _senders(service: SubAccountService, target: Account) -> web.Response:
    own, in_force = await service.senders(target)
    return json_response(
        SendersAnswer(
            own=[s for s, _ in own],
            default=in_force.default,
            senders=sorted(in_force.allowed),
            restricted=in_force.restricted,
        )
    )


async def get_senders(request: web.Request) -> web.Response:
    return await _senders(*await _target(request))


async def add_sender(request: web.Request) -> web.Response:
    service, target = await _target(request)
    req = _decode(await request.read(), SenderRequest)
    await service.add_sender(target, req.sender, default=req.default)
    return await _senders(service, target)


async def remove_sender(request: web.Request) -> web.Response:
    service, target = await _target(request)
    await service.remove_sender(target, request.match_info["sender"])
    return web.Response(status=204)


async def _prices(service: SubAccountService, target: Account) -> web.Response:
    own, in_force = await service.prices(target)
    return json_response(
        PricesAnswer(
            own={p: str(from_micros(m)) for p, m in sorted(own.items())},
            prices={p: str(from_micros(m)) for p, m in sorted(in_force.prices.items())},
        )
    )


async def get_prices(request: web.Request) -> web.Response:
    return await _prices(*await _target(request))


async def set_price(request: web.Request) -> web.Response:
    service, target = await _target(request)
    req = _decode(await request.read(), PriceRequest)
    await service.set_price(target, req.prefix, to_micros(parse_amount(req.price, field="price")))
    return await _prices(service, target)


async def delete_price(request: web.Request) -> web.Response:
    service, target = await _target(request)
    if "prefix" not in request.query:
        raise ApiError(400, "invalid_request", "give ?prefix= ('' for the default)", "prefix")
    await service.delete_price(target, request.query["prefix"])
    return web.Response(status=204)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/v1/subaccounts", list_children)
    app.router.add_post("/v1/subaccounts", create_child)
    app.router.add_get("/v1/subaccounts/{name}", get_child)
    app.router.add_patch("/v1/subaccounts/{name}", patch_child)
    app.router.add_get("/v1/subaccounts/{name}/keys", list_keys)
    app.router.add_post("/v1/subaccounts/{name}/keys", add_key)
    app.router.add_delete("/v1/subaccounts/{name}/keys/{key}", revoke_key)
    app.router.add_post("/v1/subaccounts/{name}/transfer", transfer)
    app.router.add_get("/v1/subaccounts/{name}/senders", get_senders)
    app.router.add_post("/v1/subaccounts/{name}/senders", add_sender)
    app.router.add_delete("/v1/subaccounts/{name}/senders/{sender}", remove_sender)
    app.router.add_get("/v1/subaccounts/{name}/prices", get_prices)
    app.router.add_post("/v1/subaccounts/{name}/prices", set_price)
    app.router.add_delete("/v1/subaccounts/{name}/prices", delete_price)
