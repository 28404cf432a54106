"""A parent's view of its sub-accounts' messages: ``?account=NAME`` and ``?include_children=``.

``GET /v1/messages`` (and ``/v1/stats``) read the caller's own messages unless
the query names another account (one the caller manages: its child, or any
account for an admin) or asks for the children too. Only then does this module
run, so the single-account path stays as it is. Messages read here carry the
name of their ``account``. ``GET /v1/messages/{id}`` falls back to
``message()`` when the id is not the caller's own.
"""

from __future__ import annotations

from typing import Any

import msgspec
from aiohttp import web

from heliograph.domain.accounts import Account
from heliograph.domain.ids import AccountId, MessageId
from heliograph.domain.messages import MessageView
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.servers.http.context import SERVICES, ApiError, json_response
from heliograph.servers.http.schemas import message_body
from heliograph.services.subaccounts import SubAccountService
from heliograph.store.base import MessageFilter

FAMILY_QUERY = frozenset({"account", "include_children"})
_TRUE, _FALSE = frozenset({"true", "1", "yes"}), frozenset({"false", "0", "no", ""})


def service(request: web.Request) -> SubAccountService:
    found = request.app[SERVICES].subaccounts
    if found is None:
        raise Rejected(RejectReason.NOT_SUPPORTED, "sub-accounts are not served here")
    return found


def include_children(request: web.Request) -> bool:
    raw = request.query.get("include_children", "false").lower()
    if raw not in _TRUE | _FALSE:
        raise ApiError(
            400, "invalid_request", "include_children must be true or false", "include_children"
        )
    return raw in _TRUE


async def visible(request: web.Request, caller: Account) -> list[Account]:
    """The accounts the query covers. Raises: Rejected(NOT_FOUND) for another's account."""
    return await service(request).visible(
        caller, request.query.get("account"), include_children=include_children(request)
    )


def _body(view: MessageView, names: dict[AccountId, str]) -> dict[str, Any]:
    body: dict[str, Any] = msgspec.to_builtins(message_body(view))
    body["account"] = names.get(view.account_id, view.account_id)
    return body


async def messages(
    request: web.Request, caller: Account, flt: MessageFilter, limit: int
) -> web.Response:
    accounts = await visible(request, caller)
    views, cursor = await service(request).list_messages(
        [a.id for a in accounts], flt, cursor=request.query.get("cursor"), limit=limit
    )
    names = {a.id: a.name for a in accounts}
    return json_response({"messages": [_body(v, names) for v in views], "next_cursor": cursor})


async def message(request: web.Request, caller: Account, message_id: MessageId) -> web.Response:
    """A message of an account the caller manages. Raises: Rejected(NOT_FOUND)."""
    subaccounts = request.app[SERVICES].subaccounts
    found = await subaccounts.find_message(caller, message_id) if subaccounts else None
    if found is None:
        raise Rejected(RejectReason.NOT_FOUND, f"no message {message_id}", field="id")
    owner, view = found
    return json_response(_body(view, {owner.id: owner.name}))
