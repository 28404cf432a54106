"""Ozeki's HTTP API: Message Server 6 (``/ozeki``) and Ozeki NG (``/api``, ``/httpapi``).

Message Server 6 (seed 000) sends with ``/ozeki?login=…&password=…&recepient=…
&messageData=…`` (the seed's spelling "recepient"; ``action=sendMessage`` is the
default, ``ozmsUserInfo=user:password`` is the other way to log in) and answers
``<Response><Action>sendMessage</Action><Data><AcceptReport>…`` with a
``StatusCode`` (0 accepted), a ``StatusText`` and a ``MessageID``. Ozeki NG
sends with ``/api?action=sendmessage&username=…&password=…&recipient=…
&messagetype=SMS:TEXT&messagedata=…`` and answers the same report in lower
case, in an XML document with Ozeki's DOCTYPE. Both take GET or a form POST,
parameter names in any case, several recipients separated by commas or
semicolons (one report each, with its ``Recipient``), ``originator``/``sender``
and ``_charset_`` (the charset of the parameters, UTF-8 by default).

``action=getcredits`` (Ozeki NG's billing method; ``getCredits`` on Message
Server 6) answers the account's balance in an ``<account>`` element with its
``username`` and ``balance``; ``useraccount`` may only name the caller's own
account. Every other action (``receivemessage``, ``deletemessage``, the user and
connection handling of Ozeki NG…) answers status code 16, not supported: the
gateway hands incoming messages to the account's URL ("HTTP Client") instead.

Status codes other than 0 are Heliograph's (Ozeki documents only "greater
than zero"), listed in ``STATUS``; every ``RejectReason`` has one. Message types
other than plain text (``SMS:TEXT``, ``SMS:TEXT:GSM7BIT``, ``SMS:TEXT:UCS2``)
are refused with code 16. A failed login on ``/ozeki`` gets Message Server 6's
HTML login page.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from aiohttp import web

from heliograph.domain.accounts import Account, CredentialKind
from heliograph.domain.pricing import from_micros
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.domain.submission import RecipientPlan, SubmitRequest
from heliograph.servers.http.context import SERVICES
from heliograph.store.base import IdempotentAnswer

__all__ = ["STATUS", "add_routes"]

log = logging.getLogger("heliograph.http.ozeki")

R = RejectReason
ACCEPTED = (0, "Message accepted for delivery")
_AUTH = (1, "Invalid username or password")
_PARAMETER = (2, "Missing or invalid parameter")
_NOT_SUPPORTED = (16, "Not supported")

#: RejectReason → (status code, status text): this dialect's one total table.
STATUS: dict[RejectReason, tuple[int, str]] = {
    R.UNKNOWN_ACCOUNT: _AUTH,
    R.BAD_CREDENTIALS: _AUTH,
    R.ACCOUNT_DISABLED: (1, "Account disabled"),
    R.INVALID_REQUEST: _PARAMETER,
    R.INVALID_DESTINATION: (3, "Invalid recipient"),
    R.INVALID_SENDER: (4, "Invalid originator"),
    R.SENDER_NOT_ALLOWED: (5, "Originator not allowed"),
    R.INVALID_TEXT: (6, "Invalid message data"),
    R.MESSAGE_TOO_LONG: (7, "Message too long"),
    R.TOO_MANY_RECIPIENTS: (8, "Too many recipients"),
    R.INVALID_SCHEDULE: (9, "Invalid time"),
    R.INVALID_VALIDITY: (9, "Invalid time"),
    R.OPTED_OUT: (10, "Recipient opted out"),
    R.NO_ROUTE: (11, "No route to recipient"),
    R.INSUFFICIENT_CREDIT: (12, "Insufficient credit"),
    R.THROTTLED: (13, "Temporarily unavailable, try again later"),
    R.UNAVAILABLE: (13, "Temporarily unavailable, try again later"),
    R.DUPLICATE: (14, "Duplicate message"),
    R.FLOODED: (14, "Too many messages to this recipient"),
    R.NOT_FOUND: (15, "Not found"),
    R.NOT_CANCELLABLE: (15, "Not found"),
    R.NOT_SUPPORTED: _NOT_SUPPORTED,
}

# Message type (upper case) → encoding; Ozeki's Mobile Message Type Specification.
_TEXT_TYPES = {"SMS:TEXT": "auto", "SMS:TEXT:GSM7BIT": "gsm7", "SMS:TEXT:UCS2": "ucs2"}

_NG_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<!DOCTYPE smsapi PUBLIC "-//OZEKI//DTD XML 1.0//EN" '
    '"http://www.ozekisms.com/DTD/smsapi.xml">\n'
)
_LOGIN_PAGE = (
    "<html><head><title>Ozeki Message Server - Login</title></head><body>"
    "<p>Invalid username or password.</p>"
    '<form method="GET" action="/ozeki">'
    'Username: <input type="text" name="login"> '
    'Password: <input type="password" name="password"> '
    '<input type="submit" value="Login"></form></body></html>'
)


@dataclass(frozen=True, slots=True)
class Report:
    code: int
    text: str
    message_id: str = ""
    recipient: str = ""


@dataclass(frozen=True, slots=True)
class _Dialect:
    """The two generations differ only in how the answer is written."""

    ng: bool

    def document(self, action: str, reports: list[Report]) -> str:
        if self.ng:
            body = "".join(
                "<acceptreport>"
                f"<statuscode>{r.code}</statuscode>"
                f"<statusmessage>{escape(r.text)}</statusmessage>"
                f"<messageid>{escape(r.message_id)}</messageid>"
                f"<recipient>{escape(r.recipient)}</recipient>"
                "</acceptreport>"
                for r in reports
            )
            return (
                f"{_NG_HEAD}<response><action>{escape(action)}</action>"
                f"<data>{body}</data></response>\n"
            )
        body = "".join(
            "<AcceptReport>"
            f"<StatusCode>{r.code}</StatusCode>"
            f"<StatusText>{escape(r.text)}</StatusText>"
            f"<MessageID>{escape(r.message_id)}</MessageID>"
            f"<Recipient>{escape(r.recipient)}</Recipient>"
            "</AcceptReport>"
            for r in reports
        )
        return f"<Response><Action>{escape(action)}</Action><Data>{body}</Data></Response>\n"

    def credits(self, action: str, username: str, balance: str) -> str:
        if self.ng:
            return (
                f"{_NG_HEAD}<response><action>{escape(action)}</action><data><account>"
                f"<username>{escape(username)}</username><balance>{escape(balance)}</balance>"
                "</account></data></response>\n"
            )
        return (
            f"<Response><Action>{escape(action)}</Action><Data><Account>"
            f"<Username>{escape(username)}</Username><Balance>{escape(balance)}</Balance>"
            "</Account></Data></Response>\n"
        )

    def response(self, action: str, reports: list[Report]) -> web.Response:
        return self.text(self.document(action, reports))

    def text(self, document: str) -> web.Response:
        ctype = "application/xml" if self.ng else "text/xml"
        return web.Response(text=document, content_type=ctype)


class OzekiError(Exception):
    def __init__(self, code: int, text: str) -> None:
        super().__init__(text)
        self.code = code
        self.text = text


def _report(exc: Rejected, recipient: str = "") -> Report:
    code, text = STATUS[exc.reason]
    detail = f": {exc.detail}" if exc.detail else ""
    return Report(code, text + detail, recipient=recipient)


async def _params(request: web.Request) -> dict[str, str]:
    """Parameters by lower-case name, from the query and a form body, decoded by ``_charset_``.

    Names are stripped: Ozeki's own documentation writes ``& messageData=…``.
    """
    pairs = parse_qsl(request.rel_url.raw_query_string, keep_blank_values=True, encoding="latin-1")
    if request.method == "POST":
        if request.content_type not in ("application/x-www-form-urlencoded", "text/plain"):
            if await request.read():
                raise OzekiError(2, "Send the parameters form-encoded (or in the URL)")
        else:
            body = (await request.read()).decode("latin-1")
            pairs += parse_qsl(body, keep_blank_values=True, encoding="latin-1")
    raw: dict[str, str] = {}
    for name, value in pairs:
        raw.setdefault(name.strip().lower(), value)
    charset = raw.get("_charset_") or "utf-8"
    try:
        return {name: value.encode("latin-1").decode(charset) for name, value in raw.items()}
    except (LookupError, UnicodeDecodeError):
        raise OzekiError(2, f"The parameters are not in the charset {charset!r}") from None


def _credentials(params: dict[str, str]) -> tuple[str, str] | None:
    info = params.get("ozmsuserinfo")
    if info is not None and ":" in info:
        name, _, secret = info.partition(":")
        return name, secret
    user = params.get("login", params.get("username"))
    password = params.get("password")
    if not user or password is None:
        return None
    return user, password


def _recipients(params: dict[str, str]) -> list[str]:
    raw = params.get("recepient", params.get("recipient", ""))
    recipients = [r.strip() for r in raw.replace(";", ",").split(",") if r.strip()]
    if not recipients:
        raise OzekiError(2, "Missing parameter: recepient")
    return recipients


def _encoding(params: dict[str, str]) -> str:
    kind = params.get("messagetype", "SMS:TEXT").strip().upper()
    encoding = _TEXT_TYPES.get(kind)
    if encoding is None:
        raise OzekiError(16, f"Message type {kind} is not supported")
    return encoding


def _render(plans: list[RecipientPlan], *, dialect: _Dialect, action: str) -> IdempotentAnswer:
    reports = []
    for plan in plans:
        if plan.message is not None:
            reports.append(Report(*ACCEPTED, message_id=plan.message.id, recipient=plan.to))
        elif plan.error is not None:
            reports.append(_report(plan.error, plan.to))
    body = dialect.document(action, reports).encode()
    return IdempotentAnswer(status=200, body=body)


async def _account(request: web.Request, params: dict[str, str]) -> Account:
    creds = _credentials(params)
    if creds is None:
        raise Rejected(RejectReason.BAD_CREDENTIALS, "give login and password")
    return await request.app[SERVICES].accounts.by_secret(
        CredentialKind.PASSWORD, *creds, peer=request.remote
    )


async def _credits(
    request: web.Request, params: dict[str, str], dialect: _Dialect, action: str
) -> web.Response:
    account = await _account(request, params)
    other = params.get("useraccount", "").strip()
    if other and other != account.name:
        raise OzekiError(16, "Only the balance of your own account can be read")
    balance = await request.app[SERVICES].store_balance(account.id)
    amount = from_micros(balance.balance_micros).normalize()
    return dialect.text(dialect.credits(action, account.name, f"{amount:f}"))


async def _send(
    request: web.Request, params: dict[str, str], dialect: _Dialect, action: str
) -> web.Response:
    services = request.app[SERVICES]
    account = await _account(request, params)
    recipients = _recipients(params)
    if "messagedata" not in params:
        raise OzekiError(2, "Missing parameter: messageData")
    if "messagecount" in params or "serviceprovider" in params:
        raise OzekiError(16, "MessageCount and ServiceProvider are not supported")
    if params.get("responseformat", "xml").lower() != "xml":
        raise OzekiError(16, "Only the xml response format is supported")
    req = SubmitRequest(
        account_id=account.id,
        to=tuple(recipients),
        text=params["messagedata"],
        sender=params.get("originator", params.get("sender")) or None,
        encoding=_encoding(params),
    )
    render = partial(_render, dialect=dialect, action=action)
    result = await services.submit.submit(req, account, render)
    return web.Response(
        body=result.answer.body, content_type="application/xml" if dialect.ng else "text/xml"
    )


async def _handle(request: web.Request, dialect: _Dialect) -> web.Response:
    action = "sendMessage"
    try:
        params = await _params(request)
        action = params.get("action") or ("sendmessage" if dialect.ng else "sendMessage")
        if action.lower() == "getcredits":
            return await _credits(request, params, dialect, action)
        if action.lower() != "sendmessage":
            raise OzekiError(16, f"Action {action} is not supported")
        return await _send(request, params, dialect, action)
    except OzekiError as exc:
        return dialect.response(action, [Report(exc.code, exc.text)])
    except Rejected as exc:
        if exc.reason in (R.BAD_CREDENTIALS, R.UNKNOWN_ACCOUNT) and not dialect.ng:
            return web.Response(status=401, text=_LOGIN_PAGE, content_type="text/html")
        return dialect.response(action, [_report(exc)])
    except web.HTTPException as exc:
        return dialect.response(action, [Report(2, exc.reason)])
    except Exception:  # the boundary: an Ozeki client gets an Ozeki report
        log.exception("ozeki request failed: %s %s", request.method, request.path)
        return dialect.response(action, [Report(13, "Temporarily unavailable, try again later")])


def add_routes(app: web.Application) -> None:
    ms6 = partial(_handle, dialect=_Dialect(ng=False))
    ng = partial(_handle, dialect=_Dialect(ng=True))
    for path, handler in (("/ozeki", ms6), ("/api", ng), ("/httpapi", ng)):
        app.router.add_get(path, handler)
        app.router.add_post(path, handler)
