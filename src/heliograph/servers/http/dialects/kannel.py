"""Kannel's HTTP sendsms interface: ``/cgi-bin/sendsms`` by GET or POST.

Requests and answers are those of Kannel's smsbox (gw/smsbox.c): CGI variables
``username``/``user``, ``password``/``pass``, ``to`` (several numbers separated
by spaces), ``from``, ``text``, ``charset``, ``coding``, ``validity`` and
``deferred`` (minutes), ``priority``, ``account``, ``dlr-mask`` and ``dlr-url``
(see ``kannel_dlr``); or a POST with the text as a ``text/plain`` body and the
other values in ``X-Kannel-*`` headers; or a form-encoded POST. Answers are
Kannel's plain texts with its HTTP status codes: ``202 0: Accepted for
delivery``, ``202 3: Queued for later delivery`` (no upstream connection is up
at the moment), ``403 Authorization failed for sendsms``, ``400 <Field> field
misformed, rejected``…

Kannel features that have no counterpart in the neutral message (``udh``,
``mclass``, ``mwi``, 8-bit ``coding=1``, ``compress``, ``pid``, ``rpi``,
``alt-dcs``, ``binfo``, ``meta-data``, choosing the ``smsc``) are refused with
``400 … is not supported by this gateway, rejected`` rather than dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from urllib.parse import parse_qsl

from aiohttp import web

from heliograph.domain.accounts import Account, CredentialKind
from heliograph.domain.addresses import normalize_msisdn
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.domain.submission import RecipientPlan, SubmitRequest, count_text_parts
from heliograph.servers.http.context import SERVICES
from heliograph.servers.http.dialects.kannel_dlr import (
    CALLBACK_RENDERERS,
    MAX_MASK,
    callback_format,
    fill_static,
    url_encode,
)
from heliograph.store.base import IdempotentAnswer

__all__ = ["CALLBACK_RENDERERS", "REFUSALS", "SENDSMS_PATH", "add_routes"]

log = logging.getLogger("heliograph.http.kannel")

SENDSMS_PATH = "/cgi-bin/sendsms"
_HEADERS = {"Pragma": "no-cache", "Cache-Control": "no-cache"}
_ACCEPTED = "0: Accepted for delivery"
_QUEUED = "3: Queued for later delivery"
_DENIED = "Number(s) has/have been denied by white/black lists, or allowed/denied rules."
_TEMPORARY = "Temporal failure, try again later."
_NOT_ROUTABLE = "Not routable. Do not try again."

R = RejectReason

#: RejectReason → (HTTP status, Kannel's answer text): this dialect's one total table.
REFUSALS: dict[RejectReason, tuple[int, str]] = {
    R.UNKNOWN_ACCOUNT: (403, "Authorization failed for sendsms"),
    R.BAD_CREDENTIALS: (403, "Authorization failed for sendsms"),
    R.ACCOUNT_DISABLED: (403, "Authorization failed for sendsms"),
    R.INVALID_REQUEST: (400, "Request misformed, rejected"),
    R.INVALID_DESTINATION: (400, _DENIED),
    R.INVALID_SENDER: (400, "Sender field misformed, rejected"),
    R.SENDER_NOT_ALLOWED: (403, "Sender not allowed, rejected"),
    R.INVALID_TEXT: (400, "Charset or body misformed, rejected"),
    R.MESSAGE_TOO_LONG: (400, "Message too long, rejected"),
    R.TOO_MANY_RECIPIENTS: (400, "Too many receivers, rejected"),
    R.INVALID_SCHEDULE: (400, "Deferred field misformed, rejected"),
    R.INVALID_VALIDITY: (400, "Validity field misformed, rejected"),
    R.OPTED_OUT: (403, _NOT_ROUTABLE),
    R.NO_ROUTE: (403, _NOT_ROUTABLE),
    R.INSUFFICIENT_CREDIT: (403, "Insufficient credit, rejected"),
    R.THROTTLED: (503, _TEMPORARY),
    R.DUPLICATE: (400, "Duplicate message, rejected"),
    R.FLOODED: (503, "Too many messages to this receiver, try again later."),
    R.NOT_FOUND: (404, "Unknown request."),
    R.NOT_CANCELLABLE: (400, "Request misformed, rejected"),
    R.NOT_SUPPORTED: (400, "Not supported by this gateway, rejected"),
    R.UNAVAILABLE: (503, _TEMPORARY),
}
# Refusals whose fixed text does not say what was wrong get the detail appended.
_WITH_DETAIL = frozenset(
    {
        R.INVALID_REQUEST,
        R.INVALID_SENDER,
        R.INVALID_TEXT,
        R.MESSAGE_TOO_LONG,
        R.NOT_SUPPORTED,
        R.DUPLICATE,
    }
)

# POST text/plain or application/octet-stream: the text is the body, the rest is here.
_X_KANNEL = {
    "X-Kannel-Username": "username",
    "X-Kannel-Password": "password",
    "X-Kannel-From": "from",
    "X-Kannel-To": "to",
    "X-Kannel-UDH": "udh",
    "X-Kannel-SMSC": "smsc",
    "X-Kannel-MClass": "mclass",
    "X-Kannel-MWI": "mwi",
    "X-Kannel-Coding": "coding",
    "X-Kannel-Compress": "compress",
    "X-Kannel-Validity": "validity",
    "X-Kannel-Deferred": "deferred",
    "X-Kannel-DLR-Mask": "dlr-mask",
    "X-Kannel-DLR-URL": "dlr-url",
    "X-Kannel-Account": "account",
    "X-Kannel-PID": "pid",
    "X-Kannel-Alt-DCS": "alt-dcs",
    "X-Kannel-RPI": "rpi",
    "X-Kannel-BInfo": "binfo",
    "X-Kannel-Priority": "priority",
    "X-Kannel-Meta-Data": "meta-data",
}

# (CGI variable, name in Kannel's answers, lowest, highest); -1 means "not given".
_NUMBERS = (
    ("dlr-mask", "DLR-Mask", -1, MAX_MASK),
    ("mclass", "MClass", -1, 3),
    ("pid", "PID", -1, 255),
    ("rpi", "RPI", -1, 2),
    ("alt-dcs", "Alt-DCS", -1, 1),
    ("mwi", "MWI", -1, 7),
    ("coding", "Coding", -1, 2),
    ("compress", "Compress", -1, 1),
    ("validity", "Validity", -1, None),
    ("deferred", "Deferred", -1, None),
    ("priority", "Priority", -1, 3),
)

# Values other than these ask for something the neutral message cannot carry.
_OFF = frozenset({-1, 0})
_UNSUPPORTED_NUMBERS = {
    "mclass": ("Message class (mclass)", frozenset({-1})),
    "mwi": ("Message waiting indicator (mwi)", frozenset({-1})),
    "coding": ("8-bit binary coding (coding=1)", frozenset({-1, 0, 2})),
    "compress": ("Compression (compress)", _OFF),
    "pid": ("Protocol identifier (pid)", _OFF),
    "rpi": ("Reply path (rpi)", _OFF),
    "alt-dcs": ("Alternative DCS (alt-dcs)", _OFF),
}
_UNSUPPORTED_TEXTS = {
    "smsc": "Choosing the SMSC (smsc)",
    "binfo": "Billing information (binfo)",
    "meta-data": "Meta-data (meta-data)",
}

_ENCODING = {-1: "auto", 0: "gsm7", 2: "ucs2"}
_CODING_OF = {"gsm7": 0, "latin1": 1, "ucs2": 2}
_DCS_OF = {"gsm7": 0, "latin1": 3, "ucs2": 8}


class KannelError(Exception):
    """A refusal with Kannel's status and text."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


@dataclass(frozen=True, slots=True)
class _Form:
    params: dict[str, bytes]  # CGI variables as the bytes the client sent
    body: bytes | None  # the text, for a text/plain or octet-stream POST
    body_charset: str | None


def _answer(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text, content_type="text/html", headers=_HEADERS)


def _cgi(raw: str) -> dict[str, bytes]:
    """CGI variables, first occurrence wins; values stay bytes until their charset is known."""
    params: dict[str, bytes] = {}
    for name, value in parse_qsl(raw, keep_blank_values=True, encoding="latin-1"):
        params.setdefault(name, value.encode("latin-1"))
    return params


async def _form(request: web.Request) -> _Form:
    params = _cgi(request.rel_url.raw_query_string)
    if request.method != "POST":
        return _Form(params, None, None)
    body = await request.read()
    declared = "Content-Type" in request.headers
    if not body and not declared:
        return _Form(params, None, None)
    ctype = request.content_type.lower()
    if ctype == "application/x-www-form-urlencoded":
        for name, value in _cgi(body.decode("latin-1")).items():
            params.setdefault(name, value)
        return _Form(params, None, None)
    if ctype in ("text/plain", "application/octet-stream"):
        for header, name in _X_KANNEL.items():
            if header in request.headers:
                params[name] = request.headers[header].encode("utf-8", "surrogateescape")
        if ctype == "application/octet-stream":
            params.setdefault("coding", b"1")  # Kannel: an octet-stream body is 8-bit data
        return _Form(params, body, request.charset)
    if ctype in ("text/xml", "text/html", "text/vnd.wap.wml"):
        raise KannelError(400, f"POST with {ctype} is not supported by this gateway, rejected")
    raise KannelError(400, "Invalid content-type")


def _str(params: Mapping[str, bytes], *names: str) -> str | None:
    for name in names:
        raw = params.get(name)
        if raw is not None:
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError:
                return raw.decode("latin-1")
    return None


def _numbers(params: Mapping[str, bytes]) -> dict[str, int]:
    values: dict[str, int] = {}
    aliases = {"dlr-mask": "dlrmask"}
    for name, label, low, high in _NUMBERS:
        raw = _str(params, name, *([aliases[name]] if name in aliases else []))
        value = -1
        if raw is not None and raw.strip() != "":
            try:
                value = int(raw.strip())
            except ValueError:
                raise KannelError(400, f"{label} field misformed, rejected") from None
        if value < low or (high is not None and value > high):
            raise KannelError(400, f"{label} field misformed, rejected")
        values[name] = value
    return values


def _refuse_unsupported(params: Mapping[str, bytes], numbers: Mapping[str, int]) -> None:
    udh = params.get("udh")
    if udh:
        if len(udh) != udh[0] + 1:
            raise KannelError(400, "UDH field misformed, rejected")
        raise KannelError(400, "User data header (udh) is not supported by this gateway, rejected")
    for name, (what, allowed) in _UNSUPPORTED_NUMBERS.items():
        if numbers[name] not in allowed:
            raise KannelError(400, f"{what} is not supported by this gateway, rejected")
    for name, what in _UNSUPPORTED_TEXTS.items():
        if params.get(name):
            raise KannelError(400, f"{what} is not supported by this gateway, rejected")


def _text(form: _Form, coding: int) -> tuple[str, str]:
    """(text, charset): Kannel's default charset is UTF-16BE for coding=2, UTF-8 otherwise."""
    raw = form.body if form.body is not None else form.params.get("text", b"")
    charset = _str(form.params, "charset") or form.body_charset
    if not charset:
        charset = "UTF-16BE" if coding == 2 else "UTF-8"
    try:
        return raw.decode(charset), charset.upper()
    except (LookupError, UnicodeDecodeError):
        raise KannelError(400, "Charset or body misformed, rejected") from None


def _receivers(params: Mapping[str, bytes]) -> tuple[list[str], list[str]]:
    """(allowed, denied) receivers of ``to``: numbers separated by white space."""
    to = _str(params, "to")
    if to is None:
        raise KannelError(400, "Missing receiver number, rejected")
    if to == "":
        raise KannelError(400, "Empty receiver number not allowed, rejected")
    allowed: list[str] = []
    denied: list[str] = []
    for number in to.split():
        try:
            normalize_msisdn(number)
        except Rejected:
            denied.append(number)
        else:
            allowed.append(number)
    if not allowed:
        raise KannelError(400, _DENIED)
    return allowed, denied


def _dlr_url(params: Mapping[str, bytes]) -> str | None:
    url = _str(params, "dlr-url", "dlrurl")
    if not url:
        return None
    if not url.lower().startswith(("http://", "https://")):
        raise KannelError(400, "DLR-URL field misformed, rejected")
    return url


def _account_label(params: Mapping[str, bytes]) -> str:
    account = _str(params, "account") or ""
    if len(account) > 64 or any(c in account for c in "[]\n\r"):
        raise KannelError(400, "Account field misformed or too long, rejected")
    return account


@dataclass(frozen=True, slots=True)
class _Static:
    """What the first dlr-url pass needs from the request."""

    username: str
    account: str
    dlr_url: str
    charset: str
    numbers: Mapping[str, int]


def _static_escapes(s: _Static, encoding: str) -> dict[str, str]:
    n = s.numbers
    return {
        "n": url_encode(s.username),
        "o": url_encode(s.account),
        "c": str(_CODING_OF.get(encoding, 0)),
        "C": s.charset,
        "m": str(n["mclass"]),
        "M": str(n["mwi"]),
        "y": str(n["priority"]),
        "O": f"{_DCS_OF.get(encoding, 0):02d}",
        "R": url_encode(s.dlr_url),
        "v": str(n["validity"]) if n["validity"] >= 0 else "",
        "V": str(n["deferred"]) if n["deferred"] >= 0 else "",
        **dict.fromkeys("BDxfuUi", ""),
    }


def _submit_request(
    form: _Form, account: Account, username: str
) -> tuple[SubmitRequest, list[str]]:
    """The neutral request and the receivers refused. Raises: KannelError, Rejected."""
    allowed, denied = _receivers(form.params)
    numbers = _numbers(form.params)
    account_label = _account_label(form.params)
    dlr_url = _dlr_url(form.params)
    _refuse_unsupported(form.params, numbers)
    text, charset = _text(form, numbers["coding"])
    encoding = _ENCODING[numbers["coding"]]
    callback_url = None
    mask = numbers["dlr-mask"]
    if dlr_url is not None and mask > 0:
        chosen, _ = count_text_parts(text, encoding, 10_000)
        static = _Static(username, account_label, dlr_url, charset, numbers)
        callback_url = fill_static(dlr_url, _static_escapes(static, chosen))
    sender = _str(form.params, "from")
    req = SubmitRequest(
        account_id=account.id,
        to=tuple(allowed),
        text=text,
        sender=sender.strip() if sender and sender.strip() else None,
        callback_url=callback_url,
        delay_s=numbers["deferred"] * 60 if numbers["deferred"] > 0 else None,
        validity_s=numbers["validity"] * 60 if numbers["validity"] >= 0 else None,
        priority=max(numbers["priority"], 0),
        encoding=encoding,
        callback_format=callback_format(mask) if callback_url else "json",
    )
    return req, denied


def _render(plans: list[RecipientPlan], *, denied: list[str], queued: bool) -> IdempotentAnswer:
    refused = [p for p in plans if p.message is None]
    if len(refused) == len(plans) and refused[0].error is not None:
        raise refused[0].error
    text = _QUEUED if queued else _ACCEPTED
    denied = denied + [p.to for p in refused]
    if denied:
        text += " Denied receivers are: " + " ".join(denied)
    return IdempotentAnswer(status=202, body=text.encode())


def refusal(exc: Rejected) -> tuple[int, str]:
    status, text = REFUSALS[exc.reason]
    if exc.reason in _WITH_DETAIL and exc.detail:
        text = f"{text} ({exc.detail})"
    return status, text


async def _sendsms(request: web.Request) -> web.Response:
    form = await _form(request)
    username = _str(form.params, "username", "user")
    password = _str(form.params, "password", "pass")
    if not username or password is None:
        raise KannelError(403, "Authorization failed for sendsms")
    services = request.app[SERVICES]
    account = await services.accounts.by_secret(CredentialKind.PASSWORD, username, password)
    req, denied = _submit_request(form, account, username)
    queued = not any(c.is_ready() for c in services.connectors.values())
    render = partial(_render, denied=denied, queued=queued)
    result = await services.submit.submit(req, account, render)
    return web.Response(
        status=result.answer.status,
        body=result.answer.body,
        content_type="text/html",
        headers=_HEADERS,
    )


async def sendsms(request: web.Request) -> web.Response:
    try:
        return await _sendsms(request)
    except KannelError as exc:
        return _answer(exc.status, exc.text)
    except Rejected as exc:
        return _answer(*refusal(exc))
    except web.HTTPException as exc:
        return _answer(exc.status, exc.reason)
    except Exception:  # the boundary: a Kannel client gets Kannel's own failure answer
        log.exception("sendsms failed: %s %s", request.method, request.path)
        return _answer(500, "Sending failed.")


def add_routes(app: web.Application) -> None:
    app.router.add_get(SENDSMS_PATH, sendsms)
    app.router.add_post(SENDSMS_PATH, sendsms)
