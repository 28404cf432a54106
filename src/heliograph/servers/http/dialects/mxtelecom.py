"""MX Telecom SMS Gateway HTTP interface: single sends, broadcasts, delivery reports.

* ``GET``/``POST /sms/v1/send`` (and the older ``/SMSSend``): one recipient;
* ``POST /sms/v1/bulksend``: one message to up to 10 000 recipients, with an
  optional ``submitid`` that makes a repeated request within 24 hours return
  the first answer and send nothing again.

Long texts are split into parts automatically (``split`` caps the number of
parts). Authentication is the account's username and password. With
``report`` set, delivery reports go to the account's callback URL in MX
Telecom's format (``mxtelecom_reports``); the callback format stored with
each message is ``mxtelecom:<report>`` so that the renderer knows which
reports were asked for. HTTP/1.1 persistent connections are aiohttp's
default. Per-account IP whitelists do not exist in Heliograph yet.
"""

from __future__ import annotations

from aiohttp import web

from heliograph.domain.accounts import Account, CredentialKind
from heliograph.domain.rejections import Rejected
from heliograph.domain.submission import RecipientPlan, SubmitRequest, count_text_parts
from heliograph.servers.http.context import SERVICES
from heliograph.servers.http.dialects.mxtelecom_params import Send, parse_send, read_params
from heliograph.servers.http.dialects.mxtelecom_reports import (
    FORMAT_PREFIX,
    RENDERERS,
    MxError,
    MxRefusal,
    refusal,
    sms_id,
)
from heliograph.services.submit import Render
from heliograph.store.base import IdempotentAnswer

CALLBACK_RENDERERS = RENDERERS
_CONTENT_TYPE = "text/plain; charset=utf-8"


def _text(body: str, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        status=status,
        body=body.encode(),
        headers={"Content-Type": _CONTENT_TYPE, **(headers or {})},
    )


def _line(plan: RecipientPlan) -> tuple[int, str]:
    if plan.message is not None:
        return 200, f"OK {sms_id(plan.message.id)}"
    assert plan.error is not None
    refused = refusal(plan.error)
    return refused.status, refused.line


def _render(broadcast: bool) -> Render:
    def render(plans: list[RecipientPlan]) -> IdempotentAnswer:
        if broadcast:
            body = "".join(f"{p.to} {_line(p)[1]}\n" for p in plans)
            return IdempotentAnswer(status=200, body=body.encode())
        status, line = _line(plans[0])
        return IdempotentAnswer(status=status, body=f"{line}\n".encode())

    return render


async def _login(request: web.Request, params: dict[str, list[str]]) -> Account:
    user = (params.get("user") or [""])[0].strip()
    password = (params.get("pass") or [""])[0]
    if not user or not password:
        raise MxRefusal(MxError.INVALID_LOGIN)
    return await request.app[SERVICES].accounts.by_secret(
        CredentialKind.PASSWORD, user, password, peer=request.remote
    )


def _request(account: Account, send: Send) -> SubmitRequest:
    if send.report and account.callback_url is None:
        raise MxRefusal(MxError.NO_REPORT_URL, "ask for one to be set, or send report=0")
    if send.max_parts is not None and send.content is None:
        count_text_parts(send.text, send.encoding, send.max_parts)
    return SubmitRequest(
        account_id=account.id,
        to=send.to,
        text=send.text,
        sender=send.sender,
        callback_url=account.callback_url,
        callback_format=f"{FORMAT_PREFIX}{send.report}",
        reference=send.note,
        encoding=send.encoding,
        content=send.content,
        udh=send.udh,
        message_class=send.message_class,
    )


async def _send(request: web.Request, *, broadcast: bool) -> web.Response:
    try:
        params = await read_params(request, broadcast=broadcast)
        account = await _login(request, params)
        send = parse_send(params, broadcast=broadcast)
        key = f"mxtelecom:{send.submit_id}" if send.submit_id else None
        result = await request.app[SERVICES].submit.submit(
            _request(account, send), account, _render(broadcast), idempotency_key=key
        )
    except (MxRefusal, Rejected) as exc:
        refused = refusal(exc)
        return _text(refused.line + "\n", refused.status)
    ids = [str(p.message.id) for p in result.plans if p.message is not None]
    headers = {"X-Heliograph-Message-Id": ids[0]} if ids and not broadcast else None
    return _text(result.answer.body.decode(), result.answer.status, headers)


async def send(request: web.Request) -> web.Response:
    if request.method not in ("GET", "POST"):
        return _text(MxRefusal(MxError.INVALID_PARAMETER, "use GET or POST").line + "\n", 405)
    return await _send(request, broadcast=False)


async def bulksend(request: web.Request) -> web.Response:
    if request.method != "POST":
        return _text(MxRefusal(MxError.INVALID_PARAMETER, "broadcast with POST").line + "\n", 405)
    return await _send(request, broadcast=True)


def add_routes(app: web.Application) -> None:
    for path in ("/sms/v1/send", "/SMSSend"):
        app.router.add_route("*", path, send)
    app.router.add_route("*", "/sms/v1/bulksend", bulksend)
