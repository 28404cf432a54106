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

``udh`` (one part sent as given; 8-bit unless ``coding`` says otherwise, as in
Kannel's smsbox), 8-bit ``coding=1`` (the ``text`` octets as sent, whatever the
charset), ``mclass`` and ``mwi`` go into the neutral message as binary
content, a UDH, a message class and a message waiting indication; the
submit path plans their data_coding. ``smsc`` names one of the gateway's
connectors, which then carries every part instead of the one the routes
would choose (an unknown name: ``403 Not routable. Do not try again.``).
``meta-data=?smpp?name=value&…`` sets SMPP optional parameters defined by
``[[smpp_tlvs]]``, which every submit_sm of the message carries (anything
else there: ``400 MetaData field misformed, rejected``). Kannel features
that have no counterpart in the neutral message (``compress``, ``pid``,
``rpi``, ``alt-dcs``, ``binfo``) are refused with ``400 … is not supported
by this gateway, rejected`` rather than dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import partial

from aiohttp import web

from heliograph.domain.accounts import Account, CredentialKind
from heliograph.domain.content import Binary, Content
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.domain.submission import (
    RecipientPlan,
    SubmitRequest,
    count_text_parts,
    text_data_coding,
)
from heliograph.domain.tlvs import TlvDefinition
from heliograph.servers.http.context import SERVICES
from heliograph.servers.http.dialects import kannel_params as cgi
from heliograph.servers.http.dialects.kannel_dlr import (
    CALLBACK_RENDERERS,
    callback_format,
    fill_static,
    url_encode,
)
from heliograph.servers.http.dialects.kannel_params import (
    DENIED,
    NOT_ROUTABLE,
    Form,
    KannelError,
)
from heliograph.store.base import IdempotentAnswer
from heliograph.wire.gsm.dcs import Alphabet, IndicationType, MessageWaiting, encode_dcs

__all__ = ["CALLBACK_RENDERERS", "REFUSALS", "SENDSMS_PATH", "add_routes"]

log = logging.getLogger("heliograph.http.kannel")

SENDSMS_PATH = "/cgi-bin/sendsms"
_HEADERS = {"Pragma": "no-cache", "Cache-Control": "no-cache"}
_ACCEPTED = "0: Accepted for delivery"
_QUEUED = "3: Queued for later delivery"
_TEMPORARY = "Temporal failure, try again later."

R = RejectReason

#: RejectReason → (HTTP status, Kannel's answer text): this dialect's one total table.
REFUSALS: dict[RejectReason, tuple[int, str]] = {
    R.UNKNOWN_ACCOUNT: (403, "Authorization failed for sendsms"),
    R.BAD_CREDENTIALS: (403, "Authorization failed for sendsms"),
    R.ACCOUNT_DISABLED: (403, "Authorization failed for sendsms"),
    R.INVALID_REQUEST: (400, "Request misformed, rejected"),
    R.INVALID_DESTINATION: (400, DENIED),
    R.INVALID_SENDER: (400, "Sender field misformed, rejected"),
    R.SENDER_NOT_ALLOWED: (403, "Sender not allowed, rejected"),
    R.INVALID_TEXT: (400, "Charset or body misformed, rejected"),
    R.MESSAGE_TOO_LONG: (400, "Message too long, rejected"),
    R.TOO_MANY_RECIPIENTS: (400, "Too many receivers, rejected"),
    R.INVALID_SCHEDULE: (400, "Deferred field misformed, rejected"),
    R.INVALID_VALIDITY: (400, "Validity field misformed, rejected"),
    R.OPTED_OUT: (403, NOT_ROUTABLE),
    R.NO_ROUTE: (403, NOT_ROUTABLE),
    R.INSUFFICIENT_CREDIT: (403, "Insufficient credit, rejected"),
    R.THROTTLED: (503, _TEMPORARY),
    R.DUPLICATE: (400, "Duplicate message, rejected"),
    R.FLOODED: (503, "Too many messages to this receiver, try again later."),
    R.NOT_FOUND: (404, "Unknown request."),
    R.NOT_CANCELLABLE: (400, "Request misformed, rejected"),
    R.NOT_SUPPORTED: (400, "Not supported by this gateway, rejected"),
    R.UNAVAILABLE: (503, _TEMPORARY),
}
# A misformed request value that came from one variable: that variable's answer.
_FIELD_TEXTS = {
    "message_class": "MClass field misformed, rejected",
    "waiting": "MWI field misformed, rejected",
    "udh": "UDH field misformed, rejected",
    "content.udh": "UDH field misformed, rejected",
    "content.payload": "Charset or body misformed, rejected",
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

_ENCODING = {-1: "auto", 0: "gsm7", 2: "ucs2"}
_CODING_OF = {"gsm7": 0, "latin1": 1, "ucs2": 2, "binary": 1}


def _answer(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text, content_type="text/html", headers=_HEADERS)


@dataclass(frozen=True, slots=True)
class _Static:
    """What the first dlr-url pass needs from the request."""

    username: str
    account: str
    dlr_url: str
    charset: str
    numbers: Mapping[str, int]
    meta_data: str


def _static_escapes(s: _Static, encoding: str, dcs: int) -> dict[str, str]:
    n = s.numbers
    return {
        "n": url_encode(s.username),
        "o": url_encode(s.account),
        "c": str(_CODING_OF.get(encoding, 0)),
        "C": s.charset,
        "m": str(n["mclass"]),
        "M": str(n["mwi"]),
        "y": str(n["priority"]),
        "O": f"{dcs:02d}",
        "R": url_encode(s.dlr_url),
        "v": str(n["validity"]) if n["validity"] >= 0 else "",
        "V": str(n["deferred"]) if n["deferred"] >= 0 else "",
        "D": url_encode(s.meta_data),
        **dict.fromkeys("BxfuU", ""),
    }


def _waiting(mwi: int) -> MessageWaiting | None:
    """Kannel's ``mwi``: 0-3 set the voice, fax, e-mail, other indication, 4-7 clear it."""
    if mwi < 0:
        return None
    return MessageWaiting(kind=IndicationType(mwi & 0b11), active=mwi < 4)


def _submit_request(
    form: Form,
    account: Account,
    username: str,
    connectors: Collection[str],
    tlv_definitions: Mapping[str, TlvDefinition],
) -> tuple[SubmitRequest, list[str]]:
    """The neutral request and the receivers refused. Raises: KannelError, Rejected."""
    allowed, denied = cgi.receivers(form.params)
    numbers = cgi.numbers(form.params)
    account_label = cgi.account_label(form.params)
    dlr_url = cgi.dlr_url(form.params)
    cgi.refuse_unsupported(form.params, numbers)
    connector = cgi.smsc(form.params, connectors)
    tlvs = cgi.meta_data(form.params, tlv_definitions)
    udh = cgi.udh(form.params)
    mclass = numbers["mclass"] if numbers["mclass"] >= 0 else None
    waiting = _waiting(numbers["mwi"])
    # Kannel's smsbox: 8-bit data for coding=1, and for a UDH without a coding
    binary = numbers["coding"] == 1 or (udh is not None and numbers["coding"] == -1)
    if binary:
        text, charset = "", "binary"
        raw = form.body if form.body is not None else form.params.get("text", b"")
        content: Content | None = Binary(payload=raw, udh=udh)
        encoding = "binary"
    else:
        text, charset = cgi.decode_text(form, numbers["coding"])
        content, encoding = None, _ENCODING[numbers["coding"]]
    callback_url = None
    mask = numbers["dlr-mask"]
    if dlr_url is not None and mask > 0:
        # %c and %O: the coding and data_coding the submit path will plan
        if binary:
            chosen, dcs = "binary", encode_dcs(Alphabet.BINARY, message_class=mclass)
        else:
            chosen = count_text_parts(text, encoding, 10_000)[0]
            dcs = text_data_coding(text, chosen, message_class=mclass, waiting=waiting)
        meta = cgi.text_value(form.params, "meta-data") or ""
        static = _Static(username, account_label, dlr_url, charset, numbers, meta)
        callback_url = fill_static(dlr_url, _static_escapes(static, chosen, dcs))
    sender = cgi.text_value(form.params, "from")
    req = SubmitRequest(
        account_id=account.id,
        to=tuple(allowed),
        text=text,
        sender=sender.strip() if sender and sender.strip() else None,
        callback_url=callback_url,
        delay_s=numbers["deferred"] * 60 if numbers["deferred"] > 0 else None,
        validity_s=numbers["validity"] * 60 if numbers["validity"] >= 0 else None,
        priority=max(numbers["priority"], 0),
        encoding="auto" if binary else encoding,
        callback_format=callback_format(mask) if callback_url else "json",
        content=content,
        udh=None if binary else udh,
        message_class=mclass,
        waiting=waiting,
        connector=connector,
        tlvs=tlvs,
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
    if exc.reason is R.INVALID_REQUEST and exc.field in _FIELD_TEXTS:
        text = _FIELD_TEXTS[exc.field]
    if exc.reason in _WITH_DETAIL and exc.detail:
        text = f"{text} ({exc.detail})"
    return status, text


async def _sendsms(request: web.Request) -> web.Response:
    form = await cgi.read_form(request)
    username = cgi.text_value(form.params, "username", "user")
    password = cgi.text_value(form.params, "password", "pass")
    if not username or password is None:
        raise KannelError(403, "Authorization failed for sendsms")
    services = request.app[SERVICES]
    account = await services.accounts.by_secret(
        CredentialKind.PASSWORD, username, password, peer=request.remote
    )
    req, denied = _submit_request(form, account, username, services.connectors, services.smpp_tlvs)
    if req.connector is not None:
        queued = not services.connectors[req.connector].is_ready()
    else:
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
