"""MX Telecom send parameters: read them and check them.

Names follow MX Telecom's HTTP interface: ``user``, ``pass``, ``smsto``,
``smsfrom``, ``smsmsg``, ``report``, ``split``, ``flash``, ``note``,
``subaccount``, ``carrier``, ``response`` and, for a broadcast, ``submitid``;
``bits`` and ``smsucs2`` as in its receiving interface (7 = text, 8 = hex
octets, 16 = UCS-2 given as hex). The parameters of the other message types,
whose names MX Telecom's public pages do not give, are Heliograph's:
``smsudh`` (a User Data Header, hex, in front of ``smsmsg``: one part sent as
given), ``wappush_url``/``wappush_text`` (WAP Push SI),
``mms_url``/``mms_subject``/``mms_size`` (an MMS notification by WAP Push) and
``vcard``; they, 8-bit data (``bits=8``, ``smsmsg`` in hex) and flash messages
(``flash=1``, class 0) become ``domain.content`` values for the submit path.
Values are UTF-8, URL-encoded, in the query string (GET) or a form body (POST).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

from aiohttp import web

from heliograph.domain.content import Binary, Content, MmsNotification, VCard, WapSi
from heliograph.servers.http.dialects.mxtelecom_reports import (
    MAX_LEVEL,
    MxError,
    MxRefusal,
)

MAX_BROADCAST = 10_000
MAX_NOTE = 160
_FORM = "application/x-www-form-urlencoded"

TEXT_PARAMS = [
    "user",
    "pass",
    "smsto",
    "smsfrom",
    "smsmsg",
    "report",
    "split",
    "flash",
    "note",
    "subaccount",
    "carrier",
    "response",
    "submitid",
    "bits",
    "smsucs2",
]
CONTENT_PARAMS: dict[str, str] = {
    "smsudh": "messages with a User Data Header",
    "wappush_url": "WAP Push messages",
    "wappush_text": "WAP Push messages",
    "mms_url": "MMS notifications",
    "mms_subject": "MMS notifications",
    "mms_size": "MMS notifications",
    "vcard": "vCard messages",
}
KNOWN = frozenset(TEXT_PARAMS) | frozenset(CONTENT_PARAMS)
_HEX_UCS2 = re.compile(r"(?:[0-9A-Fa-f]{4})+")
_HEX = re.compile(r"(?:[0-9A-Fa-f]{2})+")
_SEPARATORS = re.compile(r"[,\s]+")


@dataclass(frozen=True, slots=True, kw_only=True)
class Send:
    user: str
    password: str
    to: tuple[str, ...]
    sender: str | None
    text: str
    encoding: str
    report: int
    max_parts: int | None
    note: str | None
    submit_id: str | None
    content: Content | None = None  # WAP Push, MMS notification, vCard, 8-bit data
    udh: bytes | None = None  # smsudh in front of a text: one part, sent as given
    message_class: int | None = None  # flash=1: class 0


def _pairs(raw: bytes) -> list[tuple[str, str]]:
    pairs = []
    for piece in raw.split(b"&"):
        if not piece:
            continue
        name, _, value = piece.replace(b"+", b" ").partition(b"=")
        try:
            pairs.append(
                (unquote_to_bytes(name).decode().strip().lower(), unquote_to_bytes(value).decode())
            )
        except UnicodeDecodeError as exc:
            raise MxRefusal(MxError.INVALID_PARAMETER, "values must be UTF-8") from exc
    return pairs


async def read_params(request: web.Request, *, broadcast: bool) -> dict[str, list[str]]:
    """Parameters by name; only ``smsto`` may repeat, and only in a broadcast."""
    try:
        raw = _pairs(request.rel_url.raw_query_string.encode())
        if request.method == "POST":
            if request.content_type not in (_FORM, "application/octet-stream"):
                raise MxRefusal(MxError.INVALID_PARAMETER, f"send the body as {_FORM}")
            raw += _pairs(await request.read())
    except web.HTTPRequestEntityTooLarge as exc:
        raise MxRefusal(MxError.INVALID_PARAMETER, "request too large") from exc
    params: dict[str, list[str]] = {}
    for name, value in raw:
        if name not in KNOWN:
            raise MxRefusal(MxError.INVALID_PARAMETER, f"unknown parameter {name[:40]}")
        if name in params and not (broadcast and name == "smsto"):
            raise MxRefusal(MxError.INVALID_PARAMETER, f"{name} given more than once")
        params.setdefault(name, []).append(value)
    return params


def _one(params: Mapping[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    return values[0] if values else None


def _number(params: Mapping[str, list[str]], name: str, allowed: range) -> int | None:
    raw = (_one(params, name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) not in allowed:
        raise MxRefusal(
            MxError.INVALID_PARAMETER, f"{name} must be {allowed.start} to {allowed.stop - 1}"
        )
    return int(raw)


def _recipients(params: Mapping[str, list[str]], broadcast: bool) -> tuple[str, ...]:
    found = [n for v in params.get("smsto", []) for n in _SEPARATORS.split(v.strip()) if n]
    if not found:
        raise MxRefusal(MxError.MISSING_PARAMETER, "smsto")
    if not broadcast and len(found) > 1:
        raise MxRefusal(
            MxError.INVALID_PARAMETER,
            "one smsto per request; broadcast with POST /sms/v1/bulksend",
        )
    if len(found) > MAX_BROADCAST:
        raise MxRefusal(
            MxError.TOO_MANY_RECIPIENTS, f"{len(found)} recipients, at most {MAX_BROADCAST}"
        )
    return tuple(found)


def _content(params: Mapping[str, list[str]]) -> Content | None:
    """The rich content named by Heliograph's parameters (one kind). Raises: MxRefusal."""
    kinds = {CONTENT_PARAMS[n] for n in CONTENT_PARAMS if n in params and n != "smsudh"}
    if len(kinds) > 1:
        raise MxRefusal(MxError.INVALID_PARAMETER, f"send one of {' or '.join(sorted(kinds))}")
    if "smsmsg" in params and kinds:
        raise MxRefusal(MxError.INVALID_PARAMETER, f"{kinds.pop()} take no smsmsg")
    if "wappush_url" in params:
        url = (_one(params, "wappush_url") or "").strip()
        return WapSi(href=url, text=_one(params, "wappush_text") or "")
    if "wappush_text" in params:
        raise MxRefusal(MxError.MISSING_PARAMETER, "wappush_url")
    if "mms_url" in params or "mms_subject" in params or "mms_size" in params:
        if "mms_url" not in params:
            raise MxRefusal(MxError.MISSING_PARAMETER, "mms_url")
        size = _number(params, "mms_size", range(1, 1 << 32))
        if size is None:
            raise MxRefusal(MxError.MISSING_PARAMETER, "mms_size")
        url = (_one(params, "mms_url") or "").strip()
        return MmsNotification(url=url, size=size, subject=_one(params, "mms_subject"))
    if "vcard" in params:
        return VCard(text=_one(params, "vcard") or "")
    return None


def _udh(params: Mapping[str, list[str]]) -> bytes | None:
    raw = (_one(params, "smsudh") or "").strip()
    if "smsudh" not in params:
        return None
    if not _HEX.fullmatch(raw):
        raise MxRefusal(MxError.INVALID_PARAMETER, "smsudh must be hex octets, UDHL first")
    return bytes.fromhex(raw)


def _text(params: Mapping[str, list[str]]) -> tuple[str, str, Content | None]:
    """(text, encoding, content) of a message. Raises: MxRefusal."""
    content = _content(params)
    if content is not None:
        if "smsudh" in params:
            raise MxRefusal(MxError.INVALID_PARAMETER, "smsudh goes with smsmsg only")
        return "", "auto", content
    ucs2 = _one(params, "smsucs2")
    raw_bits = (_one(params, "bits") or "").strip()
    if raw_bits not in ("", "7", "8", "16"):
        raise MxRefusal(MxError.INVALID_PARAMETER, "bits must be 7, 8 or 16")
    bits = int(raw_bits) if raw_bits else (16 if ucs2 is not None else 7)
    if bits == 8:
        data = (_one(params, "smsmsg") or "").strip()
        if not _HEX.fullmatch(data):
            raise MxRefusal(MxError.INVALID_PARAMETER, "with bits=8 smsmsg is hex octets")
        return "", "auto", Binary(payload=bytes.fromhex(data), udh=_udh(params))
    if ucs2 is not None:
        if bits != 16 or not _HEX_UCS2.fullmatch(ucs2.strip()):
            raise MxRefusal(MxError.INVALID_PARAMETER, "smsucs2 must be UCS-2 hex with bits=16")
        try:
            return bytes.fromhex(ucs2.strip()).decode("utf-16-be"), "ucs2", None
        except UnicodeDecodeError as exc:
            raise MxRefusal(MxError.INVALID_MESSAGE, "smsucs2 is not valid UTF-16") from exc
    text = _one(params, "smsmsg")
    if not text:
        raise MxRefusal(MxError.MISSING_PARAMETER, "smsmsg")
    return text, "ucs2" if bits == 16 else "auto", None


def _options(params: Mapping[str, list[str]]) -> None:
    response = (_one(params, "response") or "text").strip().lower()
    if response != "text":
        raise MxRefusal(MxError.NOT_SUPPORTED, f"response={response[:20]}; use response=text")


def parse_send(params: Mapping[str, list[str]], *, broadcast: bool) -> Send:
    """Raises: MxRefusal."""
    _options(params)
    note = _one(params, "note")
    if note is not None and len(note) > MAX_NOTE:
        raise MxRefusal(MxError.INVALID_PARAMETER, f"note is longer than {MAX_NOTE} characters")
    submit_id = (_one(params, "submitid") or "").strip() or None
    if submit_id is not None and len(submit_id) > 200:
        raise MxRefusal(MxError.INVALID_PARAMETER, "submitid is longer than 200 characters")
    text, encoding, content = _text(params)
    sender = (_one(params, "smsfrom") or "").strip()
    return Send(
        user=(_one(params, "user") or "").strip(),
        password=_one(params, "pass") or "",
        to=_recipients(params, broadcast),
        sender=sender or None,
        text=text,
        encoding=encoding,
        report=_number(params, "report", range(MAX_LEVEL + 1)) or 0,
        max_parts=_number(params, "split", range(256)) or None,
        note=note or None,
        submit_id=submit_id,
        content=content,
        udh=_udh(params) if content is None else None,
        message_class=0 if _number(params, "flash", range(2)) == 1 else None,
    )
