"""History in figures and in bulk: GET /v1/stats and GET /v1/messages.csv.

``/v1/stats`` counts the calling account's messages (or, with ``?account=`` or
``?include_children=``, its sub-accounts' too: ``family.py``) created in
``[from, to)`` (ISO 8601 times with a zone, both optional) by status, by UTC
day and by connector, with what they cost (charged less refunded; test messages cost
nothing). ``/v1/messages.csv`` streams the account's history, newest first,
with the filters of ``GET /v1/messages`` (and, as it, ``?account=`` and
``?include_children=``, which add an ``account`` column). Cells a spreadsheet would run as a
formula (text starting with ``=``, ``+``, ``-``, ``@``) are written with a
leading ``'``, except phone numbers.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import msgspec
from aiohttp import web

from heliograph.domain.ids import AccountId
from heliograph.domain.messages import MessageView
from heliograph.domain.pricing import from_micros
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.servers.http import family
from heliograph.servers.http.auth import account_of
from heliograph.servers.http.context import SERVICES, ApiError, json_response
from heliograph.servers.http.optouts import INBOUND
from heliograph.servers.http.rest import _filter as message_filter
from heliograph.store.base import Bucket, StoreError, Unavailable

PAGE = 1000
COLUMNS = (
    "id",
    "created_at",
    "updated_at",
    "to",
    "from",
    "status",
    "parts",
    "encoding",
    "connector",
    "test",
    "reference",
    "error",
    "text",
)
_PHONE = re.compile(r"\+[0-9]{1,15}")


class Figures(msgspec.Struct):
    messages: int
    parts: int
    cost: str


class DayFigures(msgspec.Struct):
    day: str
    messages: int
    parts: int
    cost: str


class ConnectorFigures(msgspec.Struct):
    connector: str | None
    messages: int
    parts: int
    cost: str


class AccountFigures(msgspec.Struct):
    account: str
    messages: int
    parts: int
    cost: str


class StatsBody(msgspec.Struct):
    from_: datetime | None = msgspec.field(name="from")
    to: datetime | None
    currency: str
    messages: int
    parts: int
    cost: str
    test_messages: int
    by_status: dict[str, Figures]
    by_day: list[DayFigures]
    by_connector: list[ConnectorFigures]
    # with ?account= or ?include_children= (sub-accounts): each account's total
    by_account: list[AccountFigures] | msgspec.UnsetType = msgspec.UNSET


def _time(request: web.Request, name: str) -> datetime | None:
    raw = request.query.get(name)
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ApiError(400, "invalid_request", "expected an ISO 8601 time", name) from exc
    if value.tzinfo is None:
        raise ApiError(400, "invalid_request", "give a time zone (e.g. 2026-01-31T00:00Z)", name)
    return value


def _cost(b: Bucket) -> str:
    return str(from_micros(b.cost_micros))


async def get_stats(request: web.Request) -> web.Response:
    account = await account_of(request)
    start, end = _time(request, "from"), _time(request, "to")
    if start is not None and end is not None and start >= end:
        raise ApiError(400, "invalid_request", "from must be before to", "from")
    by_account: list[AccountFigures] | msgspec.UnsetType = msgspec.UNSET
    created_from = start.timestamp() if start else None
    created_to = end.timestamp() if end else None
    try:
        if family.FAMILY_QUERY.isdisjoint(request.query.keys()):
            stats = await request.app[INBOUND].stats(account.id, created_from, created_to)
        else:  # a parent's view of its sub-accounts: family.py
            stats, each = await family.service(request).stats(
                await family.visible(request, account), created_from, created_to
            )
            by_account = [
                AccountFigures(account=a.name, messages=b.messages, parts=b.parts, cost=_cost(b))
                for a, b in each
            ]
    except Unavailable as exc:
        raise Rejected(RejectReason.UNAVAILABLE, str(exc)) from exc
    except StoreError as exc:
        raise Rejected(RejectReason.NOT_SUPPORTED, str(exc)) from exc
    balance = await request.app[SERVICES].store_balance(account.id)
    return json_response(
        StatsBody(
            from_=start,
            to=end,
            currency=balance.currency,
            messages=stats.total.messages,
            parts=stats.total.parts,
            cost=_cost(stats.total),
            test_messages=stats.test_messages,
            by_status={
                str(b.key): Figures(messages=b.messages, parts=b.parts, cost=_cost(b))
                for b in stats.by_status
            },
            by_day=[
                DayFigures(day=str(b.key), messages=b.messages, parts=b.parts, cost=_cost(b))
                for b in stats.by_day
            ],
            by_connector=[
                ConnectorFigures(connector=b.key, messages=b.messages, parts=b.parts, cost=_cost(b))
                for b in stats.by_connector
            ],
            by_account=by_account,
        )
    )


def _safe(value: str | None) -> str:
    if not value:
        return ""
    if value[0] in "=+-@\t\r" and not _PHONE.fullmatch(value):
        return "'" + value
    return value


def _iso(value: float) -> str:
    return datetime.fromtimestamp(value, UTC).isoformat().replace("+00:00", "Z")


def csv_row(v: MessageView) -> list[str]:
    connectors = sorted({p.connector for p in v.parts if p.connector})
    return [
        v.id,
        _iso(v.created_at),
        _iso(v.updated_at),
        v.to,
        _safe(v.sender),
        v.state.value,
        str(len(v.parts)),
        v.encoding,
        ";".join(connectors),
        "true" if v.test else "false",
        _safe(v.reference),
        _safe(v.error),
        _safe(v.text),
    ]


async def messages_csv(request: web.Request) -> web.StreamResponse:
    account = await account_of(request)
    flt = message_filter(request)
    messages = request.app[SERVICES].messages
    names: dict[AccountId, str] | None = None  # the accounts, with ?account= / include_children

    async def page(cursor: str | None) -> tuple[list[MessageView], str | None]:
        if names is None:
            return await messages.list(account.id, flt, cursor=cursor, limit=PAGE)
        return await family.service(request).list_messages(
            list(names), flt, cursor=cursor, limit=PAGE
        )

    if not family.FAMILY_QUERY.isdisjoint(request.query.keys()):
        names = {a.id: a.name for a in await family.visible(request, account)}
    views, cursor = await page(None)
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": 'attachment; filename="messages.csv"',
        }
    )
    await response.prepare(request)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS if names is None else (*COLUMNS, "account"))
    while True:
        if names is None:
            writer.writerows(csv_row(v) for v in views)
        else:
            writer.writerows([*csv_row(v), names[v.account_id]] for v in views)
        await response.write(buffer.getvalue().encode())
        buffer.seek(0)
        buffer.truncate()
        if cursor is None:
            break
        views, cursor = await page(cursor)
    await response.write_eof()
    return response


def add_routes(app: web.Application) -> None:
    app.router.add_get("/v1/stats", get_stats)
    app.router.add_get("/v1/messages.csv", messages_csv)
