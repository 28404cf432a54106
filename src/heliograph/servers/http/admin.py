"""The admin API: accounts, their API keys, settings and credit (admin accounts only).

``/v1/accounts`` lists and creates accounts (a new account's credentials are in
the answer, once); ``/v1/accounts/{name}`` reads and changes one (callback
URL, disabled, admin, IP allowlist, rules, the e-mail address replies and receipts
are forwarded to); ``/v1/accounts/{name}/keys`` lists, adds
and revokes API keys (keys are shown once and listed by id, the start of their
hash); ``/v1/accounts/{name}/credit`` adds credit. An account may have a
``parent`` (given at creation, changed or removed with PATCH): a sub-account,
which its parent manages itself through ``/v1/subaccounts`` (``subaccounts.py``).
Any other account gets 403.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

import msgspec
from aiohttp import web

from heliograph.domain.accounts import (
    Account,
    AccountRules,
    ReceiptMail,
    hash_api_key,
    parse_allowlist,
    parse_email,
    parse_rules,
)
from heliograph.domain.pricing import from_micros, parse_amount, to_micros
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.servers.http.auth import account_of
from heliograph.servers.http.context import SERVICES, ApiError, json_response
from heliograph.servers.http.schemas import field_from_validation
from heliograph.store.base import AccountChanges, InsufficientCredit, StoreError

T = TypeVar("T")
_URL = Annotated[str, msgspec.Meta(pattern=r"^https?://", max_length=2048)]


class AccountBody(msgspec.Struct):
    id: str
    name: str
    callback_url: str | None
    disabled: bool
    admin: bool
    ip_allowlist: list[str]
    rules: dict[str, Any]
    email: str | None
    email_receipts: str
    parent: str | None  # the name of its parent account: a sub-account (docs/api.md)


class AccountList(msgspec.Struct):
    accounts: list[AccountBody]


class NewAccountRequest(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    callback_url: _URL | None = None
    admin: bool = False
    ip_allowlist: list[str] = []
    parent: str | None = None  # the name of its parent: a sub-account


class AccountPatch(msgspec.Struct, forbid_unknown_fields=True):
    callback_url: _URL | msgspec.UnsetType | None = msgspec.UNSET
    disabled: bool | None = None
    admin: bool | None = None
    ip_allowlist: list[str] | None = None
    rules: dict[str, Any] | None = None
    email: str | msgspec.UnsetType | None = msgspec.UNSET  # null removes it
    email_receipts: Literal["off", "also", "only"] | None = None
    parent: str | msgspec.UnsetType | None = msgspec.UNSET  # null: top level again


class KeyBody(msgspec.Struct):
    id: str
    created_at: float
    revoked: bool


class KeyList(msgspec.Struct):
    keys: list[KeyBody]


class NewKey(msgspec.Struct):
    id: str
    api_key: str


class CreditRequest(msgspec.Struct, forbid_unknown_fields=True):
    amount: str


class BalanceAnswer(msgspec.Struct):
    balance: str
    currency: str


def _body(account: Account, parent: str | None = None) -> AccountBody:
    return AccountBody(
        id=account.id,
        name=account.name,
        callback_url=account.callback_url,
        disabled=account.disabled,
        admin=account.is_admin,
        ip_allowlist=list(account.ip_allowlist),
        rules=account.rules.as_dict(),
        email=account.email,
        email_receipts=account.email_receipts.value,
        parent=parent,
    )


async def _with_parent(request: web.Request, account: Account) -> AccountBody:
    subaccounts = request.app[SERVICES].subaccounts
    if account.parent_id is None or subaccounts is None:
        return _body(account)
    return _body(account, await subaccounts.parent_name(account) or None)


def _no_admin_child(admin: bool, parent: object) -> None:
    if admin and parent is not None:
        raise Rejected(
            RejectReason.INVALID_REQUEST,
            "an admin account cannot be a sub-account",
            field="parent",
        )


async def _admin(request: web.Request) -> Account:
    caller = await account_of(request)
    if not caller.is_admin:
        raise ApiError(403, "forbidden", "this needs an admin account's API key")
    return caller


def _decode(request_body: bytes, kind: type[T]) -> T:
    try:
        return msgspec.json.decode(request_body, type=kind)
    except msgspec.ValidationError as exc:
        raise ApiError(400, "invalid_request", str(exc), field_from_validation(str(exc))) from exc
    except msgspec.DecodeError as exc:
        raise ApiError(400, "invalid_json", f"body is not valid JSON: {exc}") from exc


def _allowlist(entries: list[str]) -> tuple[str, ...]:
    try:
        return parse_allowlist(entries)
    except ValueError as exc:
        raise Rejected(RejectReason.INVALID_REQUEST, str(exc), field="ip_allowlist") from exc


def _rules(data: dict[str, Any]) -> AccountRules:
    try:
        return parse_rules(data)
    except ValueError as exc:
        key = str(exc).split(":", 1)[0]
        raise Rejected(RejectReason.INVALID_REQUEST, str(exc), field=key) from exc


def _email(value: str) -> str:
    try:
        return parse_email(value)
    except ValueError as exc:
        raise Rejected(RejectReason.INVALID_REQUEST, str(exc), field="email") from exc


async def list_accounts(request: web.Request) -> web.Response:
    await _admin(request)
    accounts = await request.app[SERVICES].accounts.all()
    names = {a.id: a.name for a in accounts}
    return json_response(
        AccountList(
            accounts=[_body(a, names.get(a.parent_id) if a.parent_id else None) for a in accounts]
        )
    )


async def create_account(request: web.Request) -> web.Response:
    await _admin(request)
    req = _decode(await request.read(), NewAccountRequest)
    accounts = request.app[SERVICES].accounts
    _no_admin_child(req.admin, req.parent)
    parent = await accounts.named(req.parent, field="parent") if req.parent else None
    new = await accounts.create(
        req.name,
        callback_url=req.callback_url,
        is_admin=req.admin,
        ip_allowlist=_allowlist(req.ip_allowlist),
        parent_id=parent.id if parent is not None else None,
    )
    answer = new.as_json()
    return json_response({**answer, "parent": req.parent} if parent else answer, status=201)


async def get_account(request: web.Request) -> web.Response:
    await _admin(request)
    account = await request.app[SERVICES].accounts.named(request.match_info["name"])
    return json_response(await _with_parent(request, account))


async def patch_account(request: web.Request) -> web.Response:
    await _admin(request)
    accounts = request.app[SERVICES].accounts
    target = await accounts.named(request.match_info["name"])
    patch = _decode(await request.read(), AccountPatch)
    parent = target.parent_id if patch.parent is msgspec.UNSET else patch.parent
    _no_admin_child(target.is_admin if patch.admin is None else patch.admin, parent)
    changes = AccountChanges(
        callback_url=patch.callback_url if isinstance(patch.callback_url, str) else None,
        clear_callback_url=patch.callback_url is None,
        disabled=patch.disabled,
        is_admin=patch.admin,
        ip_allowlist=_allowlist(patch.ip_allowlist) if patch.ip_allowlist is not None else None,
        rules=_rules(patch.rules) if patch.rules is not None else None,
        email=_email(patch.email) if isinstance(patch.email, str) else None,
        clear_email=patch.email is None,
        email_receipts=ReceiptMail(patch.email_receipts) if patch.email_receipts else None,
    )
    if not isinstance(patch.parent, msgspec.UnsetType):  # attach or detach: sub-accounts
        subaccounts = request.app[SERVICES].subaccounts
        if subaccounts is None:
            raise Rejected(RejectReason.NOT_SUPPORTED, "sub-accounts are not served here")
        new_parent = await accounts.named(patch.parent, field="parent") if patch.parent else None
        target = await subaccounts.set_parent(target, new_parent)
    return json_response(await _with_parent(request, await accounts.update(target, changes)))


async def list_keys(request: web.Request) -> web.Response:
    await _admin(request)
    accounts = request.app[SERVICES].accounts
    target = await accounts.named(request.match_info["name"])
    keys = await accounts.api_keys(target)
    return json_response(
        KeyList(
            keys=[
                KeyBody(id=k.lookup[:16], created_at=k.created_at, revoked=k.revoked) for k in keys
            ]
        )
    )


async def add_key(request: web.Request) -> web.Response:
    await _admin(request)
    accounts = request.app[SERVICES].accounts
    target = await accounts.named(request.match_info["name"])
    key = await accounts.add_api_key(target)
    return json_response(NewKey(id=hash_api_key(key)[:16], api_key=key), status=201)


async def revoke_key(request: web.Request) -> web.Response:
    await _admin(request)
    accounts = request.app[SERVICES].accounts
    target = await accounts.named(request.match_info["name"])
    await accounts.revoke_api_key(target, request.match_info["key"])
    return web.Response(status=204)


async def add_credit(request: web.Request) -> web.Response:
    await _admin(request)
    services = request.app[SERVICES]
    target = await services.accounts.named(request.match_info["name"])
    req = _decode(await request.read(), CreditRequest)
    micros = to_micros(parse_amount(req.amount))
    try:
        balance = await services.adjust_balance(
            target.id, micros, "credit added through the admin API", services.clock.now()
        )
    except InsufficientCredit as exc:
        raise Rejected(
            RejectReason.INSUFFICIENT_CREDIT,
            f"the balance is {from_micros(exc.balance_micros)}",
            field="amount",
        ) from exc
    except StoreError as exc:
        raise Rejected(RejectReason.NOT_SUPPORTED, str(exc)) from exc
    return json_response(
        BalanceAnswer(balance=str(from_micros(balance.balance_micros)), currency=balance.currency)
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get("/v1/accounts", list_accounts)
    app.router.add_post("/v1/accounts", create_account)
    app.router.add_get("/v1/accounts/{name}", get_account)
    app.router.add_patch("/v1/accounts/{name}", patch_account)
    app.router.add_get("/v1/accounts/{name}/keys", list_keys)
    app.router.add_post("/v1/accounts/{name}/keys", add_key)
    app.router.add_delete("/v1/accounts/{name}/keys/{key}", revoke_key)
    app.router.add_post("/v1/accounts/{name}/credit", add_credit)
