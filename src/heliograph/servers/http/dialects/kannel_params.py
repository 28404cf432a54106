"""Kannel sendsms requests: CGI variables, X-Kannel-* headers, numbers, charsets.

Values stay bytes until their charset is known (``text`` with ``charset``);
the other variables are read as UTF-8, or Latin-1 when they are not UTF-8.
Every problem raises ``KannelError`` with the status and text Kannel's smsbox
answers (gw/smsbox.c), or this gateway's ``… is not supported by this
gateway, rejected`` for variables the neutral message cannot carry.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote_to_bytes

from aiohttp import web

from heliograph.domain.addresses import normalize_msisdn
from heliograph.domain.ids import ConnectorId
from heliograph.domain.rejections import Rejected
from heliograph.domain.tlvs import TlvDefinition, encode_tlv_value
from heliograph.servers.http.dialects.kannel_dlr import MAX_MASK
from heliograph.wire.gsm.parts import MAX_OCTETS

DENIED = "Number(s) has/have been denied by white/black lists, or allowed/denied rules."
NOT_ROUTABLE = "Not routable. Do not try again."

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
    "compress": ("Compression (compress)", _OFF),
    "pid": ("Protocol identifier (pid)", _OFF),
    "rpi": ("Reply path (rpi)", _OFF),
    "alt-dcs": ("Alternative DCS (alt-dcs)", _OFF),
}
_UNSUPPORTED_TEXTS = {
    "binfo": "Billing information (binfo)",
}
META_DATA_MISFORMED = "MetaData field misformed, rejected"


class KannelError(Exception):
    """A refusal with Kannel's status and text."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


@dataclass(frozen=True, slots=True)
class Form:
    params: dict[str, bytes]  # CGI variables as the bytes the client sent
    body: bytes | None  # the text, for a text/plain or octet-stream POST
    body_charset: str | None


def _cgi(raw: str) -> dict[str, bytes]:
    """CGI variables, first occurrence wins; values stay bytes until their charset is known."""
    params: dict[str, bytes] = {}
    for name, value in parse_qsl(raw, keep_blank_values=True, encoding="latin-1"):
        params.setdefault(name, value.encode("latin-1"))
    return params


async def read_form(request: web.Request) -> Form:
    params = _cgi(request.rel_url.raw_query_string)
    if request.method != "POST":
        return Form(params, None, None)
    body = await request.read()
    declared = "Content-Type" in request.headers
    if not body and not declared:
        return Form(params, None, None)
    ctype = request.content_type.lower()
    if ctype == "application/x-www-form-urlencoded":
        for name, value in _cgi(body.decode("latin-1")).items():
            params.setdefault(name, value)
        return Form(params, None, None)
    if ctype in ("text/plain", "application/octet-stream"):
        for header, name in _X_KANNEL.items():
            if header in request.headers:
                params[name] = request.headers[header].encode("utf-8", "surrogateescape")
        if "udh" in params:
            params["udh"] = _header_udh(params["udh"])
        if ctype == "application/octet-stream":
            params.setdefault("coding", b"1")  # Kannel: an octet-stream body is 8-bit data
        return Form(params, body, request.charset)
    if ctype in ("text/xml", "text/html", "text/vnd.wap.wml"):
        raise KannelError(400, f"POST with {ctype} is not supported by this gateway, rejected")
    raise KannelError(400, "Invalid content-type")


# X-Kannel-UDH: hex octets, or (when not hex) URL-encoded ones with strict %XX escapes
_HEX = re.compile(rb"(?:[0-9A-Fa-f]{2})+")
_BAD_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")


def _header_udh(value: bytes) -> bytes:
    """``X-Kannel-UDH``: hex (``0605041582...``), else URL-encoded (``%06%05...``)."""
    value = value.strip()
    try:
        return bytes.fromhex(value.decode("ascii")) if _HEX.fullmatch(value) else _url(value)
    except ValueError:
        raise KannelError(400, "UDH field misformed, rejected") from None


def _url(value: bytes) -> bytes:
    if _BAD_ESCAPE.search(value):
        raise ValueError("a % without two hex digits")
    return unquote_to_bytes(value.replace(b"+", b" "))


def text_value(params: Mapping[str, bytes], *names: str) -> str | None:
    for name in names:
        raw = params.get(name)
        if raw is not None:
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError:
                return raw.decode("latin-1")
    return None


def numbers(params: Mapping[str, bytes]) -> dict[str, int]:
    values: dict[str, int] = {}
    aliases = {"dlr-mask": "dlrmask"}
    for name, label, low, high in _NUMBERS:
        raw = text_value(params, name, *([aliases[name]] if name in aliases else []))
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


def udh(params: Mapping[str, bytes]) -> bytes | None:
    """The ``udh`` octets; its first octet (UDHL) counts the others, as smsbox checks."""
    value = params.get("udh") or None
    if value is not None and len(value) != value[0] + 1:
        raise KannelError(400, "UDH field misformed, rejected")
    if value is not None and len(value) > MAX_OCTETS:
        raise KannelError(400, "UDH field is too long, rejected")
    return value


def refuse_unsupported(params: Mapping[str, bytes], numbers: Mapping[str, int]) -> None:
    for name, (what, allowed) in _UNSUPPORTED_NUMBERS.items():
        if numbers[name] not in allowed:
            raise KannelError(400, f"{what} is not supported by this gateway, rejected")
    for name, what in _UNSUPPORTED_TEXTS.items():
        if params.get(name):
            raise KannelError(400, f"{what} is not supported by this gateway, rejected")


def smsc(params: Mapping[str, bytes], connectors: Collection[str]) -> ConnectorId | None:
    """``smsc``: the connector every part goes through; empty or absent, the routes choose.

    A name that is not a configured connector gets Kannel's answer for a message its
    bearerbox has no SMSC for (smsc2_rout discards it, smsbox answers 403).
    """
    name = text_value(params, "smsc")
    if not name:
        return None
    if name not in connectors:
        raise KannelError(403, NOT_ROUTABLE)
    return ConnectorId(name)


def meta_data(
    params: Mapping[str, bytes], definitions: Mapping[str, TlvDefinition]
) -> tuple[tuple[int, bytes], ...] | None:
    """``meta-data=?smpp?name=value&...``: the SMPP TLVs, (tag, value) in the order given.

    Kannel's layout (meta_data.c): ``?group?`` then URL-encoded ``name=value`` pairs
    joined by ``&``, for each group. Only the ``smpp`` group means something here, and
    each name must be one of the configured ``[[smpp_tlvs]]``; anything else (another
    group, an unknown name, a value its type cannot hold) is refused, where Kannel's
    bearerbox would drop it with a warning after accepting the message.
    """
    raw = params.get("meta-data")
    if not raw:
        return None
    pieces = raw.split(b"?")
    if pieces[0] or len(pieces) % 2 == 0:
        raise KannelError(400, META_DATA_MISFORMED)
    values: dict[int, bytes] = {}
    for group, pairs in zip(pieces[1::2], pieces[2::2], strict=True):
        if group != b"smpp":
            raise KannelError(400, META_DATA_MISFORMED)
        for pair in pairs.split(b"&") if pairs else ():
            name, sep, value = pair.partition(b"=")
            try:
                definition = definitions[_url(name).decode("utf-8")]
                values[definition.tag] = encode_tlv_value(definition, _url(value))
            except (KeyError, ValueError):
                raise KannelError(400, META_DATA_MISFORMED) from None
            if not sep:
                raise KannelError(400, META_DATA_MISFORMED)
    return tuple(values.items()) or None


def decode_text(form: Form, coding: int) -> tuple[str, str]:
    """(text, charset): Kannel's default charset is UTF-16BE for coding=2, UTF-8 otherwise."""
    raw = form.body if form.body is not None else form.params.get("text", b"")
    charset = text_value(form.params, "charset") or form.body_charset
    if not charset:
        charset = "UTF-16BE" if coding == 2 else "UTF-8"
    try:
        return raw.decode(charset), charset.upper()
    except (LookupError, UnicodeDecodeError):
        raise KannelError(400, "Charset or body misformed, rejected") from None


def receivers(params: Mapping[str, bytes]) -> tuple[list[str], list[str]]:
    """(allowed, denied) receivers of ``to``: numbers separated by white space."""
    to = text_value(params, "to")
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
        raise KannelError(400, DENIED)
    return allowed, denied


def dlr_url(params: Mapping[str, bytes]) -> str | None:
    url = text_value(params, "dlr-url", "dlrurl")
    if not url:
        return None
    if not url.lower().startswith(("http://", "https://")):
        raise KannelError(400, "DLR-URL field misformed, rejected")
    return url


def account_label(params: Mapping[str, bytes]) -> str:
    account = text_value(params, "account") or ""
    if len(account) > 64 or any(c in account for c in "[]\n\r"):
        raise KannelError(400, "Account field misformed or too long, rejected")
    return account
