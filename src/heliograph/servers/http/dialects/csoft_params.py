"""csoft request parameters: read, decode and check the general ones.

A request is a set of ``tag=value`` pairs in the query string (GET) or an
``application/x-www-form-urlencoded`` (or ``multipart/form-data``) body
(POST). Tag names are case-insensitive (csoft's own examples write both
``Username`` and ``UserName``); values are percent-decoded octets read in the
body's declared charset (UTF-8 by default), which is also how the "hex
encoded UTF-8 octets" form of ``Message`` arrives (``Message=%D7%90`` is the
Hebrew alef). An unknown tag, a tag given twice or a value that is not valid
in the charset is refused with a report rather than guessed at.

The content tags (WAP Push, MMS, ringtones, logos, vCard/vCal, SI, PDU) are
read by ``csoft_content``; this module only knows their names.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import unquote_to_bytes

from aiohttp import web

from heliograph.servers.http.dialects.csoft_content import CONTENT_TAGS
from heliograph.servers.http.dialects.csoft_reports import CsoftError, Report

MAX_NUMBERS = 350
MAX_DELAY_MIN = 10080  # 7 days
RESPONSE_FORMATS = (0, 1, 3)

GENERAL_TAGS = {
    t.lower(): t
    for t in (
        "Username",
        "PIN",
        "ReplyTo",
        "SendTo",
        "SendCc",
        "SendBcc",
        "SendToAddressBook",
        "SendCcAddressBook",
        "SendBccAddressBook",
        "SendTimeDelay",
        "SendTimeAbsolute",
        "Message",
        "ResponseFormat",
    )
}
TAGS = {**GENERAL_TAGS, **CONTENT_TAGS}

_ABSOLUTE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z?")
_FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True, slots=True)
class Form:
    """Tags by lower-case name, as decoded; ``response_format`` is read first of all."""

    values: Mapping[str, str]
    response_format: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AddressBook:
    tag: str
    book: str
    group: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class General:
    numbers: tuple[str, ...]
    address_books: tuple[AddressBook, ...]
    reply_to: str | None
    delay_min: int | None
    send_at: float | None
    message: str | None


def split_form(raw: bytes) -> list[tuple[bytes, bytes]]:
    """``a=1&b=2`` → octet pairs (``+`` is a space, ``%XX`` an octet); empty pieces skipped."""
    pairs = []
    for piece in raw.split(b"&"):
        if piece:
            name, _, value = piece.replace(b"+", b" ").partition(b"=")
            pairs.append((unquote_to_bytes(name), unquote_to_bytes(value)))
    return pairs


async def _raw_pairs(request: web.Request) -> tuple[list[tuple[bytes, bytes]], str]:
    pairs = split_form(request.rel_url.raw_query_string.encode("utf-8"))
    charset = request.charset or "utf-8"
    if request.method != "POST":
        return pairs, "utf-8"
    if request.content_type == "multipart/form-data":
        posted = await request.post()
        for name, value in posted.items():
            if not isinstance(value, str):
                raise CsoftError(Report.INVALID_PARAMETER, f"{name} must not be a file upload")
            pairs.append((name.encode(), value.encode()))
        return pairs, "utf-8"
    if request.content_type not in (_FORM, "application/octet-stream", "text/plain"):
        raise CsoftError(Report.INVALID_PARAMETER, f"send the body as {_FORM}")
    pairs += split_form(await request.read())
    return pairs, charset


def _response_format(raw: list[tuple[bytes, bytes]]) -> tuple[int, str | None]:
    found = [v for n, v in raw if n.strip().lower() == b"responseformat"]
    if not found:
        return 0, None
    value = found[-1].strip()
    if value in (b"0", b"1", b"3"):
        return int(value), None
    return 0, "ResponseFormat must be 0, 1 or 3"


async def read_form(request: web.Request) -> Form:
    """Raises: CsoftError (its report answered in ``Form.response_format`` when known)."""
    try:
        raw, charset = await _raw_pairs(request)
    except web.HTTPRequestEntityTooLarge as exc:
        raise CsoftError(Report.INVALID_PARAMETER, "request too large") from exc
    response_format, problem = _response_format(raw)
    try:
        codec = codecs.lookup(charset).name
    except LookupError as exc:
        raise FormError(response_format, Report.INVALID_PARAMETER, f"charset {charset}") from exc
    if problem is not None:
        raise FormError(0, Report.INVALID_PARAMETER, problem)
    values: dict[str, str] = {}
    for name_raw, value_raw in raw:
        try:
            name, value = name_raw.decode(codec).strip(), value_raw.decode(codec)
        except UnicodeDecodeError as exc:
            detail = f"not valid {codec} in {name_raw.decode('latin-1')[:40]}"
            raise FormError(response_format, Report.INVALID_CHARACTERS, detail) from exc
        key = name.lower()
        if key not in TAGS:
            raise FormError(response_format, Report.INVALID_PARAMETER, f"unknown tag {name[:40]}")
        if key in values:
            raise FormError(response_format, Report.INVALID_PARAMETER, f"{TAGS[key]} given twice")
        values[key] = value
    return Form(values, response_format)


class FormError(CsoftError):
    def __init__(self, response_format: int, report: Report, detail: str) -> None:
        super().__init__(report, detail)
        self.response_format = response_format


def _numbers(values: Mapping[str, str]) -> tuple[str, ...]:
    found: list[str] = []
    for tag in ("sendto", "sendcc", "sendbcc"):
        found += [n.strip() for n in values.get(tag, "").split(",") if n.strip()]
    if len(found) > MAX_NUMBERS:
        raise CsoftError(
            Report.TOO_MANY_NUMBERS, f"{len(found)} numbers, at most {MAX_NUMBERS} per request"
        )
    return tuple(found)


def _address_books(values: Mapping[str, str]) -> tuple[AddressBook, ...]:
    books = []
    for key in ("sendtoaddressbook", "sendccaddressbook", "sendbccaddressbook"):
        if key not in values:
            continue
        book, sep, group = values[key].strip().partition("::")
        if not book or (sep and not group) or "::" in group:
            raise CsoftError(Report.INVALID_PARAMETER, f"{TAGS[key]} must be Name or Name::Group")
        books.append(AddressBook(tag=TAGS[key], book=book, group=group or None))
    return tuple(books)


def _delay(values: Mapping[str, str]) -> int | None:
    raw = values.get("sendtimedelay", "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_DELAY_MIN:
        raise CsoftError(
            Report.INVALID_SEND_TIME, f"SendTimeDelay must be 1 to {MAX_DELAY_MIN} minutes"
        )
    return int(raw)


def _absolute(values: Mapping[str, str]) -> float | None:
    raw = values.get("sendtimeabsolute", "").strip()
    if not raw:
        return None
    try:
        if not _ABSOLUTE.fullmatch(raw):
            raise ValueError(raw)
        when = datetime.fromisoformat(raw.removesuffix("Z")).replace(tzinfo=UTC)
    except ValueError as exc:
        raise CsoftError(
            Report.INVALID_SEND_TIME, "SendTimeAbsolute must be YYYY-MM-DDTHH:MM:SS in UTC"
        ) from exc
    return when.timestamp()


def parse_general(values: Mapping[str, str]) -> General:
    """The general tags but Username and PIN (read by the login). Raises: CsoftError."""
    delay_min, send_at = _delay(values), _absolute(values)
    if delay_min is not None and send_at is not None:
        raise CsoftError(
            Report.INVALID_SEND_TIME, "give SendTimeDelay or SendTimeAbsolute, not both"
        )
    reply_to = values.get("replyto", "").strip()
    return General(
        numbers=_numbers(values),
        address_books=_address_books(values),
        reply_to=reply_to or None,
        delay_min=delay_min,
        send_at=send_at,
        message=values.get("message") or None,
    )
