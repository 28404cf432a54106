"""SMS Center's HTTP API: ``/sys/send.php``, ``/sys/status.php`` and ``/sys/balance.php``.

Seeds 001 and 003, and the SMS Center's public HTTP reference. Requests by GET
or form POST; ``login`` + ``psw`` (or ``apikey``); parameters in windows-1251
unless ``charset`` says utf-8 or koi8-r; answers in ``fmt`` 0 (text), 1
(numbers), 2 (XML) or 3 (JSON), see ``smsc_render``.

``send.php`` takes ``phones`` (commas or semicolons) and ``mes``, or ``list``
(``phones:message`` lines); ``id`` (the client's message id; one is made up
when it is missing or 0), ``sender``, ``time`` with ``tz``, ``valid``,
``translit=1`` (Cyrillic and other letters to Latin), ``maxsms`` (a message
needing more SMS is refused, not cut). Duplicate and flood protection are the
gateway's own rules (error 9 and error 8). Statuses go to the account's
callback URL as the SMS Center's status handler POST (``smsc_handler``).

``flash=1`` sends a class 0 (flash) message; ``push=1`` a WAP Push Service
Indication (``mes``: the link, then on the next line its text); ``bin=1`` 8-bit
data (``mes`` as octets in the request's charset), ``bin=2`` the same in hex.

Money is the gateway's credit (``services/submit.py`` prices and charges):
``cost=1`` prices the request and sends nothing, ``cost=2`` sends and answers
the cost too, ``cost=3`` the cost and the balance after; ``balance.php``
answers the account's balance (``cur=1``: and its currency). ``test=1`` is the
SMS Center's virtual sending, mapped to the gateway's test mode: the request is
checked, priced and stored as usual, but nothing goes upstream, nothing is
charged and the statuses are simulated.

What the neutral message cannot carry is refused with error 1 and says so:
``hlr``, ``ping``, ``mms``, ``mail``, ``call``,
``voice``, ``viber``, ``soc``, ``tg``, ``tinyurl``,
``op``, ``err``, ``smsreq``, ``period``/``freq``, ``imgcode``, ``translit=2``,
groups (``G<n>``), and ``status.php`` with ``del`` or ``all``.
"""

from __future__ import annotations

import logging
import secrets
import string
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial

from aiohttp import web

from heliograph.domain.accounts import Account, CredentialKind
from heliograph.domain.addresses import normalize_msisdn
from heliograph.domain.content import Binary, Content, WapSi
from heliograph.domain.ids import AccountId
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.domain.submission import RecipientPlan, SubmitRequest, count_text_parts
from heliograph.servers.http.context import SERVICES, HttpServices
from heliograph.servers.http.dialects import smsc_render as render
from heliograph.servers.http.dialects.smsc_handler import (
    CALLBACK_RENDERERS,
    FORMAT,
    NOT_FOUND,
    STATUS_OF,
)
from heliograph.servers.http.dialects.smsc_params import (
    DEFAULT_CHARSET,
    MAX_ID,
    SmscError,
    decode_params,
    flag,
    message_id,
    message_list,
    phone_list,
    raw_pairs,
    send_time,
    validity_s,
)
from heliograph.store.base import IdempotentAnswer, MessageFilter
from heliograph.wire.gsm.gsm7 import DEFAULT as GSM7
from heliograph.wire.gsm.transliterate import transliterate

__all__ = ["CALLBACK_RENDERERS", "ERROR_CODE", "add_routes"]

log = logging.getLogger("heliograph.http.smsc")

R = RejectReason

#: RejectReason → SMS Center error code: this dialect's one total table.
ERROR_CODE: dict[RejectReason, int] = {
    R.UNKNOWN_ACCOUNT: 2,
    R.BAD_CREDENTIALS: 2,
    R.ACCOUNT_DISABLED: 2,
    R.INVALID_REQUEST: 1,
    R.INVALID_DESTINATION: 7,
    R.INVALID_SENDER: 6,
    R.SENDER_NOT_ALLOWED: 6,
    R.INVALID_TEXT: 1,
    R.MESSAGE_TOO_LONG: 1,
    R.TOO_MANY_RECIPIENTS: 1,
    R.INVALID_SCHEDULE: 5,
    R.INVALID_VALIDITY: 1,
    R.OPTED_OUT: 8,
    R.NO_ROUTE: 8,
    R.INSUFFICIENT_CREDIT: 3,
    R.THROTTLED: 9,
    R.DUPLICATE: 9,
    R.FLOODED: 8,
    R.NOT_FOUND: 1,
    R.NOT_CANCELLABLE: 5,
    R.NOT_SUPPORTED: 1,
    R.UNAVAILABLE: 9,
}

_UNSUPPORTED = (
    "hlr", "ping", "mms", "mail", "call", "voice", "viber", "soc", "tg",
    "tinyurl", "op", "err", "smsreq", "period", "freq", "imgcode",
)  # fmt: skip


def _content(params: dict[str, str], text: str, charset: str) -> Content | None:
    """``push=1`` (mes: the link, then a line of text) or ``bin=1`` (mes as octets) /
    ``bin=2`` (mes in hex) as rich content; None for a text. Raises: SmscError."""
    push, binary = flag(params, "push", range(0, 2)), flag(params, "bin", range(0, 3))
    if push and binary:
        raise SmscError(1, "push and bin cannot be combined")
    if push:
        link, _, title = text.strip().partition("\n")
        return WapSi(href=link.strip(), text=title.strip())
    if binary == 2:
        hex_text = "".join(text.split())
        if not hex_text or len(hex_text) % 2 or any(c not in string.hexdigits for c in hex_text):
            raise SmscError(1, "with bin=2 mes is hex octets")
        return Binary(payload=bytes.fromhex(hex_text))
    if binary == 1:
        try:
            return Binary(payload=text.encode(charset))
        except UnicodeEncodeError as exc:
            raise SmscError(1, f"with bin=1 mes is octets in {charset}") from exc
    return None


@dataclass(frozen=True, slots=True)
class _Request:
    params: dict[str, str]
    charset: str
    fmt: int


async def _request(request: web.Request) -> _Request:
    body = ""
    if request.method == "POST":
        if request.content_type.startswith("multipart/"):
            raise SmscError(1, "multipart requests (files) are not supported")
        body = (await request.read()).decode("latin-1")
    params, charset = decode_params(raw_pairs(request.rel_url.raw_query_string, body))
    return _Request(params, charset, flag(params, "fmt", range(0, 4)))


async def _account(services: HttpServices, params: dict[str, str], peer: str | None) -> Account:
    if params.get("apikey"):
        return await services.accounts.by_api_key(params["apikey"], peer=peer)
    login, psw = params.get("login"), params.get("psw")
    if not login or psw is None:
        raise SmscError(2)
    return await services.accounts.by_secret(CredentialKind.PASSWORD, login, psw, peer=peer)


def _refuse_unsupported(params: dict[str, str]) -> None:
    for name in _UNSUPPORTED:
        if params.get(name, "").strip() not in ("", "0"):
            raise SmscError(1, f"{name} is not supported")
    if flag(params, "translit", range(0, 3)) == 2:
        raise SmscError(1, "translit=2 is not supported")


def _messages(params: dict[str, str]) -> list[tuple[list[str], str]]:
    if params.get("list", "").strip():
        entries = message_list(params["list"])
    else:
        if "phones" not in params or not params["phones"].strip():
            raise SmscError(1, "phones is missing")
        if "mes" not in params:
            raise SmscError(1, "mes is missing")
        entries = [(phone_list(params["phones"]), params["mes"])]
    if params.get("translit", "0").strip() == "1":
        entries = [(phones, transliterate(text, GSM7.charset)) for phones, text in entries]
    maxsms = flag(params, "maxsms", range(0, 256))
    if flag(params, "push", range(0, 2)) or flag(params, "bin", range(0, 3)):
        return entries  # content: counted by the submit path
    for _, text in entries:
        _, parts = count_text_parts(text, "auto", 255)  # Rejected before anything is sent
        if maxsms and parts > maxsms:
            raise SmscError(1, f"the message needs {parts} SMS, more than maxsms={maxsms}")
    return entries


def _no_answer(plans: list[RecipientPlan]) -> IdempotentAnswer:
    return IdempotentAnswer(status=200, body=b"")


def _requests(req: _Request, account: Account, mid: str) -> list[SubmitRequest]:
    """One submit request per ``phones``/``mes`` pair. Raises: SmscError, Rejected."""
    params = req.params
    _refuse_unsupported(params)
    entries = _messages(params)
    when = send_time(params.get("time"), params.get("tz"), time.time())
    valid = validity_s(params.get("valid"))
    test = bool(flag(params, "test", range(0, 2)))
    url = account.callback_url
    out = []
    for phones, text in entries:
        content = _content(params, text, req.charset)
        out.append(
            SubmitRequest(
                account_id=account.id,
                to=tuple(phones),
                text="" if content is not None else text,
                content=content,
                message_class=0 if flag(params, "flash", range(0, 2)) else None,
                sender=params.get("sender", "").strip() or None,
                reference=mid,
                schedule_at=when.at,
                delay_s=when.delay_s,
                validity_s=valid,
                callback_url=url,
                callback_format=FORMAT if url else "json",
                test=test,
            )
        )
    return out


def _counted(plans: list[RecipientPlan]) -> tuple[int, int]:
    """(SMS, cost in micro-units) of the planned messages. Raises: the first refusal
    when no message is left."""
    messages = [p.message for p in plans if p.message is not None]
    if not messages:
        raise next(p.error for p in plans if p.error is not None)
    return sum(m.parts for m in messages), sum(m.parts * m.price_micros for m in messages)


async def _send(services: HttpServices, req: _Request, account: Account) -> render.Answer:
    params = req.params
    mid = message_id(params.get("id")) or str(secrets.randbelow(MAX_ID) + 1)
    cost = flag(params, "cost", range(0, 4))
    try:
        requests = _requests(req, account, mid)
        plans: list[RecipientPlan] = []
        if cost == 1:  # priced, not sent
            now = services.clock.now()
            for sub in requests:
                plans += (await services.submit.estimate(sub, account, now))[0]
            count, micros = _counted(plans)
            return render.costed(req.fmt, render.money(micros), count, charset=req.charset)
        for sub in requests:
            plans += (await services.submit.submit(sub, account, _no_answer)).plans
        count, micros = _counted(plans)
    except Rejected as exc:
        code = ERROR_CODE[exc.reason]
        return render.error(req.fmt, code, exc.detail, mid, charset=req.charset)
    if cost == 0:
        return render.sent(req.fmt, mid, count, charset=req.charset)
    left = None
    if cost == 3:
        left = render.money((await services.store_balance(account.id)).balance_micros)
    money = render.money(micros)
    return render.sent(req.fmt, mid, count, charset=req.charset, cost=money, balance=left)


async def _status_of(
    services: HttpServices, account_id: AccountId, phone: str, mid: str
) -> render.StatusEntry:
    try:
        to = normalize_msisdn(phone)
    except Rejected:
        return render.StatusEntry(NOT_FOUND, None, 0, mid, phone)
    views, _ = await services.messages.list(
        account_id, MessageFilter(to=to), cursor=None, limit=1000
    )
    view = next((v for v in views if mid in (v.reference, v.id)), None)
    if view is None:
        return render.StatusEntry(NOT_FOUND, None, 0, mid, phone)
    status, err = STATUS_OF[view.state]
    return render.StatusEntry(status, int(view.updated_at), err, mid, phone)


async def _status(services: HttpServices, req: _Request, account: Account) -> render.Answer:
    params = req.params
    if params.get("del", "").strip() not in ("", "0"):
        raise SmscError(1, "del is not supported")
    if flag(params, "all", range(0, 3)):
        raise SmscError(1, "all=1 and all=2 are not supported")
    ids = [i.strip() for i in params.get("id", "").split(",")]
    phones = [p.strip() for p in params.get("phone", "").split(",")]
    multiple = len(ids) > 1
    if multiple and ids[-1] == "" and phones[-1] == "":
        ids, phones = ids[:-1], phones[:-1]  # "id=5," asks for one status in the list form
    if not all(ids) or not all(phones) or len(ids) != len(phones):
        raise SmscError(1, "give phone and id, as many phones as ids")
    entries = [
        await _status_of(services, account.id, p, i) for p, i in zip(phones, ids, strict=True)
    ]
    return render.statuses(req.fmt, entries, multiple=multiple, charset=req.charset)


async def _balance(services: HttpServices, req: _Request, account: Account) -> render.Answer:
    with_currency = flag(req.params, "cur", range(0, 2)) == 1
    balance = await services.store_balance(account.id)
    amount = render.money(balance.balance_micros)
    currency = balance.currency if with_currency else None
    return render.balance(req.fmt, amount, currency, charset=req.charset)


Operation = Callable[[HttpServices, _Request, Account], Awaitable[render.Answer]]


def _respond(answer: render.Answer) -> web.Response:
    return web.Response(
        status=answer.status,
        body=answer.body,
        content_type=answer.content_type,
        charset=answer.charset,
    )


async def _handle(
    request: web.Request, *, operation: Operation, texts: dict[int, str]
) -> web.Response:
    fmt, charset = 0, DEFAULT_CHARSET
    try:
        req = await _request(request)
        fmt, charset = req.fmt, req.charset
        services = request.app[SERVICES]
        account = await _account(services, req.params, request.remote)
        return _respond(await operation(services, req, account))
    except SmscError as exc:
        answer = render.error(fmt, exc.code, exc.detail, charset=charset, texts=texts)
    except Rejected as exc:
        code = ERROR_CODE[exc.reason]
        answer = render.error(fmt, code, exc.detail, charset=charset, texts=texts)
    except web.HTTPException as exc:
        answer = render.error(fmt, 1, exc.reason, charset=charset, texts=texts)
    except Exception:  # the boundary: an SMS Center client gets an SMS Center answer
        log.exception("%s %s failed", request.method, request.path)
        answer = render.error(fmt, 9, charset=charset, texts=texts)
    return _respond(answer)


def add_routes(app: web.Application) -> None:
    for path, operation, texts in (
        ("/sys/send.php", _send, render.SEND_ERRORS),
        ("/sys/status.php", _status, render.STATUS_ERRORS),
        ("/sys/balance.php", _balance, render.BALANCE_ERRORS),
    ):
        handler = partial(_handle, operation=operation, texts=texts)
        app.router.add_get(path, handler)
        app.router.add_post(path, handler)
