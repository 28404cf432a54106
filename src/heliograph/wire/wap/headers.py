"""WSP header fields in binary form (WAP-230-WSP §8.4.2.6 and following, Table 39).

A header is ``Well-known-header`` (the field's Table 39 number as a Short-integer, then its
value) or ``Application-header`` (the name as Token-text, then the value as Text-string).
The values interpreted here are the ones push and MMS bodies carry:

* text (§8.4.2.1 Text-string / Uri-value): Content-Location, X-Wap-Content-URI,
  X-Wap-Initiator-URI, Location, Content-Base...;
* Content-ID (§8.4.2.67, WSP 1.4): a Quoted-string;
* integers (§8.4.2.3 Integer-value): Content-Length, Age, Max-Forwards, Push-Flag,
  Bearer-Indication;
* dates (§8.4.2.16 Date-value, seconds since 1970-01-01 UTC as a Long-integer): Date,
  Expires, Last-Modified, X-Wap-Tod...;
* X-Wap-Application-Id and Accept-Application (§8.4.2.54): an application id number
  (OMNA Push Application ID registry, :class:`PushApplicationId`) or its URI;
* Content-Type (§8.4.2.24), via :mod:`.content_types`.

Any other well-known field keeps its encoded value as ``bytes`` (its extent follows from the
first octet, §8.4.1.2) and is written back verbatim. Header code page shifts (§8.4.2.6,
Shift-sequence) are not supported: no push or MMS header needs them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum
from typing import Final

from heliograph.wire.errors import DecodeError, EncodeError
from heliograph.wire.wap.content_types import (
    ContentType,
    encode_content_type,
    read_content_type,
)
from heliograph.wire.wap.encoding import (
    ByteReader,
    encode_integer_value,
    encode_long_integer,
    encode_quoted_string,
    encode_short_integer,
    encode_text_string,
)

__all__ = [
    "FIELD_NAMES",
    "Header",
    "HeaderField",
    "HeaderValue",
    "PushApplicationId",
    "date_value",
    "decode_headers",
    "encode_header",
    "encode_headers",
    "read_header",
    "seconds_since_epoch",
]

HeaderValue = str | int | datetime | ContentType | bytes


class HeaderField(IntEnum):
    """WSP Table 39 header field name assignments (code page 1)."""

    ACCEPT = 0x00
    ACCEPT_CHARSET = 0x01
    ACCEPT_ENCODING = 0x02
    ACCEPT_LANGUAGE = 0x03
    ACCEPT_RANGES = 0x04
    AGE = 0x05
    ALLOW = 0x06
    AUTHORIZATION = 0x07
    CACHE_CONTROL = 0x08
    CONNECTION = 0x09
    CONTENT_BASE = 0x0A
    CONTENT_ENCODING = 0x0B
    CONTENT_LANGUAGE = 0x0C
    CONTENT_LENGTH = 0x0D
    CONTENT_LOCATION = 0x0E
    CONTENT_MD5 = 0x0F
    CONTENT_RANGE = 0x10
    CONTENT_TYPE = 0x11
    DATE = 0x12
    ETAG = 0x13
    EXPIRES = 0x14
    FROM = 0x15
    HOST = 0x16
    IF_MODIFIED_SINCE = 0x17
    IF_MATCH = 0x18
    IF_NONE_MATCH = 0x19
    IF_RANGE = 0x1A
    IF_UNMODIFIED_SINCE = 0x1B
    LOCATION = 0x1C
    LAST_MODIFIED = 0x1D
    MAX_FORWARDS = 0x1E
    PRAGMA = 0x1F
    PROXY_AUTHENTICATE = 0x20
    PROXY_AUTHORIZATION = 0x21
    PUBLIC = 0x22
    RANGE = 0x23
    REFERER = 0x24
    RETRY_AFTER = 0x25
    SERVER = 0x26
    TRANSFER_ENCODING = 0x27
    UPGRADE = 0x28
    USER_AGENT = 0x29
    VARY = 0x2A
    VIA = 0x2B
    WARNING = 0x2C
    WWW_AUTHENTICATE = 0x2D
    CONTENT_DISPOSITION = 0x2E
    X_WAP_APPLICATION_ID = 0x2F
    X_WAP_CONTENT_URI = 0x30
    X_WAP_INITIATOR_URI = 0x31
    ACCEPT_APPLICATION = 0x32
    BEARER_INDICATION = 0x33
    PUSH_FLAG = 0x34
    PROFILE = 0x35
    PROFILE_DIFF = 0x36
    PROFILE_WARNING = 0x37
    EXPECT = 0x38
    TE = 0x39
    TRAILER = 0x3A
    ACCEPT_CHARSET_1_3 = 0x3B
    ACCEPT_ENCODING_1_3 = 0x3C
    CACHE_CONTROL_1_3 = 0x3D
    CONTENT_RANGE_1_3 = 0x3E
    X_WAP_TOD = 0x3F
    CONTENT_ID = 0x40
    SET_COOKIE = 0x41
    COOKIE = 0x42
    ENCODING_VERSION = 0x43
    PROFILE_WARNING_1_4 = 0x44
    CONTENT_DISPOSITION_1_4 = 0x45
    X_WAP_SECURITY = 0x46
    CACHE_CONTROL_1_4 = 0x47


class PushApplicationId(IntEnum):
    """X-Wap-Application-Id numbers (OMNA Push Application ID registry, WSP §8.4.2.54)."""

    ANY = 0x00  # x-wap-application:*
    PUSH_SIA = 0x01  # x-wap-application:push.sia
    WML_UA = 0x02  # x-wap-application:wml.ua
    WTA_UA = 0x03  # x-wap-application:wta.ua
    MMS_UA = 0x04  # x-wap-application:mms.ua
    PUSH_SYNCML = 0x05  # x-wap-application:push.syncml
    LOC_UA = 0x06  # x-wap-application:loc.ua
    SYNCML_DM = 0x07  # x-wap-application:syncml.dm
    DRM_UA = 0x08  # x-wap-application:drm.ua
    EMN_UA = 0x09  # x-wap-application:emn.ua
    WV_UA = 0x0A  # x-wap-application:wv.ua


def _spelled(field: HeaderField) -> str:
    base = field.name.removesuffix("_1_3").removesuffix("_1_4")
    words = {"ID": "ID", "MD5": "MD5", "URI": "URI", "WWW": "WWW", "TE": "TE", "WAP": "Wap"}
    return "-".join(words.get(w, w.capitalize()) for w in base.split("_"))


#: Table 39 number → field name as HTTP spells it (``X-Wap-Application-Id``).
FIELD_NAMES: Final[dict[int, str]] = {field.value: _spelled(field) for field in HeaderField}
FIELD_NAMES[HeaderField.ETAG] = "ETag"
FIELD_NAMES[HeaderField.X_WAP_APPLICATION_ID] = "X-Wap-Application-Id"
#: Name → number written: the lowest (encoding version 1.1/1.2) of duplicated names.
_WRITE_CODE: Final[dict[str, int]] = {
    name.lower(): code for code, name in sorted(FIELD_NAMES.items(), reverse=True)
}


class _Kind(IntEnum):
    RAW = 0
    TEXT = 1
    QUOTED = 2
    INTEGER = 3
    DATE = 4
    APPLICATION = 5
    CONTENT_TYPE = 6


_KINDS: Final[dict[int, _Kind]] = {
    HeaderField.CONTENT_BASE: _Kind.TEXT,
    HeaderField.CONTENT_LOCATION: _Kind.TEXT,
    HeaderField.ETAG: _Kind.TEXT,
    HeaderField.FROM: _Kind.TEXT,
    HeaderField.HOST: _Kind.TEXT,
    HeaderField.LOCATION: _Kind.TEXT,
    HeaderField.REFERER: _Kind.TEXT,
    HeaderField.SERVER: _Kind.TEXT,
    HeaderField.USER_AGENT: _Kind.TEXT,
    HeaderField.VIA: _Kind.TEXT,
    HeaderField.X_WAP_CONTENT_URI: _Kind.TEXT,
    HeaderField.X_WAP_INITIATOR_URI: _Kind.TEXT,
    HeaderField.PROFILE: _Kind.TEXT,
    HeaderField.CONTENT_ID: _Kind.QUOTED,
    HeaderField.AGE: _Kind.INTEGER,
    HeaderField.CONTENT_LENGTH: _Kind.INTEGER,
    HeaderField.MAX_FORWARDS: _Kind.INTEGER,
    HeaderField.BEARER_INDICATION: _Kind.INTEGER,
    HeaderField.PUSH_FLAG: _Kind.INTEGER,
    HeaderField.DATE: _Kind.DATE,
    HeaderField.EXPIRES: _Kind.DATE,
    HeaderField.IF_MODIFIED_SINCE: _Kind.DATE,
    HeaderField.IF_UNMODIFIED_SINCE: _Kind.DATE,
    HeaderField.LAST_MODIFIED: _Kind.DATE,
    HeaderField.X_WAP_TOD: _Kind.DATE,
    HeaderField.X_WAP_APPLICATION_ID: _Kind.APPLICATION,
    HeaderField.ACCEPT_APPLICATION: _Kind.APPLICATION,
    HeaderField.CONTENT_TYPE: _Kind.CONTENT_TYPE,
}

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class Header:
    """One header: its name (Table 39 spelling, or an application header's) and value.

    The value's type follows the field: ``str`` for text, ``int`` for integers, an aware
    ``datetime`` for dates, ``int`` or ``str`` for application ids, :class:`ContentType`
    for Content-Type, and ``bytes`` (the encoded value) for fields not interpreted here.
    """

    name: str
    value: HeaderValue


def seconds_since_epoch(moment: datetime) -> int:
    """Seconds from 1970-01-01 UTC to ``moment`` (naive means UTC), for Date-value."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    seconds = int((moment - _EPOCH).total_seconds())
    if seconds < 0:
        raise EncodeError(f"date {moment.isoformat()} is before 1970")
    return seconds


def date_value(seconds: int) -> datetime:
    """The aware UTC datetime of a §8.4.2.16 Date-value."""
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, ValueError, OSError):
        raise DecodeError(f"date value {seconds} is out of range") from None


def _encode_value(name: str, kind: _Kind, value: HeaderValue) -> bytes:
    if isinstance(value, bytes):
        return value
    match kind:
        case _Kind.TEXT | _Kind.RAW if isinstance(value, str):
            return encode_text_string(value)
        case _Kind.QUOTED if isinstance(value, str):
            return encode_quoted_string(value)
        case _Kind.INTEGER if isinstance(value, int):
            if name.lower() == "push-flag":
                return encode_short_integer(value)
            return encode_integer_value(value)
        case _Kind.DATE if isinstance(value, datetime):
            return encode_long_integer(seconds_since_epoch(value))
        case _Kind.APPLICATION if isinstance(value, int):
            return encode_integer_value(value)
        case _Kind.APPLICATION if isinstance(value, str):
            return encode_text_string(value)
        case _Kind.CONTENT_TYPE if isinstance(value, ContentType | str):
            return encode_content_type(value)
    raise EncodeError(f"header {name} cannot carry {type(value).__name__} value {value!r}")


def encode_header(header: Header) -> bytes:
    """One header in binary form.

    Raises :class:`EncodeError` when the value does not suit the field.
    """
    code = _WRITE_CODE.get(header.name.lower())
    if code is None:
        if not isinstance(header.value, str):
            raise EncodeError(f"application header {header.name} needs a text value")
        return encode_text_string(header.name) + encode_text_string(header.value)
    kind = _KINDS.get(code, _Kind.RAW)
    return encode_short_integer(code) + _encode_value(header.name, kind, header.value)


def encode_headers(headers: tuple[Header, ...] | list[Header]) -> bytes:
    return b"".join(encode_header(header) for header in headers)


def _read_value(reader: ByteReader, kind: _Kind) -> HeaderValue:
    match kind:
        case _Kind.TEXT:
            return reader.text_string()
        case _Kind.QUOTED:
            return reader.quoted_string()
        case _Kind.INTEGER:
            return reader.integer_value()
        case _Kind.DATE:
            return date_value(reader.long_integer())
        case _Kind.APPLICATION:
            octet = reader.peek()
            return reader.integer_value() if octet >= 0x80 or octet <= 30 else reader.text_string()
        case _Kind.CONTENT_TYPE:
            return read_content_type(reader)
    return reader.skip_value()


def read_header(reader: ByteReader) -> Header:
    """Read one header at the reader's position."""
    octet = reader.peek()
    if octet >= 0x80:
        code = reader.octet() & 0x7F
        name = FIELD_NAMES.get(code)
        if name is None:
            raise DecodeError(f"header field 0x{code:02X} is not in WSP Table 39")
        return Header(name=name, value=_read_value(reader, _KINDS.get(code, _Kind.RAW)))
    if octet == 0x7F or octet < 0x20:
        raise DecodeError(f"header code page shift 0x{octet:02X} is not supported")
    name = reader.text_string()
    return Header(name=name, value=reader.text_string())


def decode_headers(data: bytes) -> tuple[Header, ...]:
    """All headers in ``data``."""
    reader = ByteReader(data)
    headers: list[Header] = []
    while not reader.at_end():
        headers.append(read_header(reader))
    return tuple(headers)
