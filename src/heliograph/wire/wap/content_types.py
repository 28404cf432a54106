"""WSP content types and their parameters (WAP-230-WSP §8.4.2.24, §8.4.2.4, Tables 38 and 40).

``Content-type-value`` is either ``Constrained-media`` (one Short-integer for a well-known
type, or the type as text) or ``Content-general-form``: a Value-length, the media type and
its parameters. :func:`encode_content_type` picks the short form when there are no
parameters and the well-known number when the type has one (SI ``0xAE``, SL ``0xB0``, MMS
``0xBE``, multipart/related ``0xB3``...).

Parameters are written as ``Typed-parameter`` (Table 38, encoding version 1.2 tokens, which
every WSP decoder knows) when their name has a token, else as ``Untyped-parameter`` (name and
value as text). ``charset`` values are IANA MIBenum numbers on the wire (WSP Table 42 refers
to the IANA registry) and names here. This module knows nothing about header fields
other than Content-Type.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from heliograph.wire.errors import DecodeError, EncodeError
from heliograph.wire.wap.encoding import (
    ByteReader,
    encode_integer_value,
    encode_short_integer,
    encode_text_string,
    encode_value_length,
)

__all__ = [
    "CHARSETS",
    "CONTENT_TYPES",
    "Charset",
    "ContentType",
    "WellKnownContentType",
    "content_type_code",
    "decode_content_type",
    "encode_content_type",
    "read_content_type",
]


class WellKnownContentType(IntEnum):
    """The well-known content types Heliograph builds (WSP Table 40, OMNA assigned numbers)."""

    TEXT_PLAIN = 0x03
    TEXT_X_VCALENDAR = 0x06
    TEXT_X_VCARD = 0x07
    IMAGE_GIF = 0x1D
    IMAGE_JPEG = 0x1E
    IMAGE_PNG = 0x20
    IMAGE_VND_WAP_WBMP = 0x21
    APPLICATION_VND_WAP_MULTIPART_MIXED = 0x23
    APPLICATION_VND_WAP_SIC = 0x2E
    APPLICATION_VND_WAP_SLC = 0x30
    APPLICATION_VND_WAP_MULTIPART_RELATED = 0x33
    APPLICATION_VND_WAP_MMS_MESSAGE = 0x3E


#: WSP Table 40 / OMNA "WSP Content Type Codes": number → media type.
CONTENT_TYPES: Final[dict[int, str]] = {
    0x00: "*/*",
    0x01: "text/*",
    0x02: "text/html",
    0x03: "text/plain",
    0x04: "text/x-hdml",
    0x05: "text/x-ttml",
    0x06: "text/x-vCalendar",
    0x07: "text/x-vCard",
    0x08: "text/vnd.wap.wml",
    0x09: "text/vnd.wap.wmlscript",
    0x0A: "text/vnd.wap.wta-event",
    0x0B: "multipart/*",
    0x0C: "multipart/mixed",
    0x0D: "multipart/form-data",
    0x0E: "multipart/byterantes",
    0x0F: "multipart/alternative",
    0x10: "application/*",
    0x11: "application/java-vm",
    0x12: "application/x-www-form-urlencoded",
    0x13: "application/x-hdmlc",
    0x14: "application/vnd.wap.wmlc",
    0x15: "application/vnd.wap.wmlscriptc",
    0x16: "application/vnd.wap.wta-eventc",
    0x17: "application/vnd.wap.uaprof",
    0x18: "application/vnd.wap.wtls-ca-certificate",
    0x19: "application/vnd.wap.wtls-user-certificate",
    0x1A: "application/x-x509-ca-cert",
    0x1B: "application/x-x509-user-cert",
    0x1C: "image/*",
    0x1D: "image/gif",
    0x1E: "image/jpeg",
    0x1F: "image/tiff",
    0x20: "image/png",
    0x21: "image/vnd.wap.wbmp",
    0x22: "application/vnd.wap.multipart.*",
    0x23: "application/vnd.wap.multipart.mixed",
    0x24: "application/vnd.wap.multipart.form-data",
    0x25: "application/vnd.wap.multipart.byteranges",
    0x26: "application/vnd.wap.multipart.alternative",
    0x27: "application/xml",
    0x28: "text/xml",
    0x29: "application/vnd.wap.wbxml",
    0x2A: "application/x-x968-cross-cert",
    0x2B: "application/x-x968-ca-cert",
    0x2C: "application/x-x968-user-cert",
    0x2D: "text/vnd.wap.si",
    0x2E: "application/vnd.wap.sic",
    0x2F: "text/vnd.wap.sl",
    0x30: "application/vnd.wap.slc",
    0x31: "text/vnd.wap.co",
    0x32: "application/vnd.wap.coc",
    0x33: "application/vnd.wap.multipart.related",
    0x34: "application/vnd.wap.sia",
    0x35: "text/vnd.wap.connectivity-xml",
    0x36: "application/vnd.wap.connectivity-wbxml",
    0x37: "application/pkcs7-mime",
    0x38: "application/vnd.wap.hashed-certificate",
    0x39: "application/vnd.wap.signed-certificate",
    0x3A: "application/vnd.wap.cert-response",
    0x3B: "application/xhtml+xml",
    0x3C: "application/wml+xml",
    0x3D: "text/css",
    0x3E: "application/vnd.wap.mms-message",
    0x3F: "application/vnd.wap.rollover-certificate",
    0x40: "application/vnd.wap.locc+wbxml",
    0x41: "application/vnd.wap.loc+xml",
    0x42: "application/vnd.syncml.dm+wbxml",
    0x43: "application/vnd.syncml.dm+xml",
    0x44: "application/vnd.syncml.notification",
    0x45: "application/vnd.wap.xhtml+xml",
    0x46: "application/vnd.wv.csp.cir",
    0x47: "application/vnd.oma.dd+xml",
    0x48: "application/vnd.oma.drm.message",
    0x49: "application/vnd.oma.drm.content",
    0x4A: "application/vnd.oma.drm.rights+xml",
    0x4B: "application/vnd.oma.drm.rights+wbxml",
    0x4C: "application/vnd.wv.csp+xml",
    0x4D: "application/vnd.wv.csp+wbxml",
    0x4E: "application/vnd.syncml.ds.notification",
    0x4F: "audio/*",
    0x50: "video/*",
    0x51: "application/vnd.oma.dd2+xml",
    0x52: "application/mikey",
}
_CODE_BY_TYPE: Final = {name.lower(): code for code, name in CONTENT_TYPES.items()}


class Charset(IntEnum):
    """IANA character set MIBenum values used as WSP Well-known-charset (§8.4.2.8)."""

    US_ASCII = 3
    ISO_8859_1 = 4
    UTF_8 = 106
    ISO_10646_UCS_2 = 1000
    UTF_16 = 1015


#: MIBenum → charset name (IANA registry), for the ``charset`` parameter.
CHARSETS: Final[dict[int, str]] = {
    3: "us-ascii",
    4: "iso-8859-1",
    5: "iso-8859-2",
    6: "iso-8859-3",
    7: "iso-8859-4",
    8: "iso-8859-5",
    9: "iso-8859-6",
    10: "iso-8859-7",
    11: "iso-8859-8",
    12: "iso-8859-9",
    17: "shift_JIS",
    18: "euc-jp",
    38: "euc-kr",
    39: "iso-2022-jp",
    106: "utf-8",
    1000: "iso-10646-ucs-2",
    1013: "utf-16be",
    1014: "utf-16le",
    1015: "utf-16",
    2025: "gb2312",
    2026: "big5",
    2252: "windows-1252",
}
_MIB_BY_NAME: Final = {name.lower(): mib for mib, name in CHARSETS.items()}
_ANY_CHARSET: Final = 0x80  # §8.4.2.8 Any-charset, "*"


class _Kind(IntEnum):
    TEXT = 0
    CHARSET = 1
    CONSTRAINED = 2
    INTEGER = 3
    Q = 4
    NO_VALUE = 5


#: Table 38 well-known parameters: token → (name, value kind). Tokens 0x17–0x1D are the
#: encoding version 1.4 spellings of name, filename, start, start-info, comment, domain, path.
_PARAMETERS: Final[dict[int, tuple[str, _Kind]]] = {
    0x00: ("q", _Kind.Q),
    0x01: ("charset", _Kind.CHARSET),
    0x03: ("type", _Kind.INTEGER),
    0x05: ("name", _Kind.TEXT),
    0x06: ("filename", _Kind.TEXT),
    0x08: ("padding", _Kind.INTEGER),
    0x09: ("type", _Kind.CONSTRAINED),
    0x0A: ("start", _Kind.TEXT),
    0x0B: ("start-info", _Kind.TEXT),
    0x0C: ("comment", _Kind.TEXT),
    0x0D: ("domain", _Kind.TEXT),
    0x0E: ("max-age", _Kind.INTEGER),
    0x0F: ("path", _Kind.TEXT),
    0x10: ("secure", _Kind.NO_VALUE),
    0x11: ("sec", _Kind.INTEGER),
    0x12: ("mac", _Kind.TEXT),
    0x16: ("size", _Kind.INTEGER),
    0x17: ("name", _Kind.TEXT),
    0x18: ("filename", _Kind.TEXT),
    0x19: ("start", _Kind.TEXT),
    0x1A: ("start-info", _Kind.TEXT),
    0x1B: ("comment", _Kind.TEXT),
    0x1C: ("domain", _Kind.TEXT),
    0x1D: ("path", _Kind.TEXT),
}
#: The tokens written for each name: encoding version 1.2, with ``type`` as the
#: multipart/related Constrained-encoding (0x09), as OMA-MMS-ENC §7.2.4 uses it.
_WRITE: Final[dict[str, int]] = {
    "charset": 0x01,
    "name": 0x05,
    "filename": 0x06,
    "type": 0x09,
    "start": 0x0A,
    "start-info": 0x0B,
    "comment": 0x0C,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ContentType:
    """A media type with parameters, e.g. ``application/vnd.wap.sic; charset=utf-8``.

    Parameter names are lower case; values are text (charset by name, ``type`` as a media
    type).
    """

    media_type: str
    parameters: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        return "; ".join([self.media_type, *(f"{k}={v}" for k, v in self.parameters)])

    def parameter(self, name: str) -> str | None:
        """The value of the first parameter called ``name`` (any case)."""
        wanted = name.lower()
        return next((v for k, v in self.parameters if k == wanted), None)


def content_type_code(media_type: str) -> int | None:
    """The Table 40 number of ``media_type`` (any case), or ``None``."""
    return _CODE_BY_TYPE.get(media_type.lower())


def _encode_media(media_type: str) -> bytes:
    code = content_type_code(media_type)
    if code is not None:
        return encode_integer_value(code)
    if not media_type or media_type[0] < " ":
        raise EncodeError(f"media type {media_type!r} cannot be written")
    return encode_text_string(media_type)


def _encode_parameter(name: str, value: str) -> bytes:
    token = _WRITE.get(name.lower())
    if token is None:
        return encode_text_string(name.lower()) + encode_text_string(value)
    head = encode_short_integer(token)
    if token == 0x01:
        if value == "*":
            return head + bytes((_ANY_CHARSET,))
        mib = _MIB_BY_NAME.get(value.lower())
        if mib is None and value.isdigit():
            mib = int(value)
        if mib is None:
            raise EncodeError(f"charset {value!r} has no MIBenum number")
        return head + encode_integer_value(mib)
    if token == 0x09:
        return head + _encode_media(value)
    return head + encode_text_string(value)


def encode_content_type(content_type: ContentType | str) -> bytes:
    """§8.4.2.24 Content-type-value.

    Raises :class:`EncodeError` for a charset without a MIBenum or text with NUL.
    """
    if isinstance(content_type, str):
        content_type = ContentType(media_type=content_type)
    media = _encode_media(content_type.media_type)
    if not content_type.parameters:
        return media  # Constrained-media: every Table 40 number is a Short-integer
    body = media + b"".join(_encode_parameter(k, v) for k, v in content_type.parameters)
    return encode_value_length(len(body)) + body


def _read_media(reader: ByteReader) -> str:
    octet = reader.peek()
    if octet >= 0x80 or octet <= 30:
        code = reader.integer_value()
        name = CONTENT_TYPES.get(code)
        if name is None:
            raise DecodeError(f"well-known content type 0x{code:02X} is not assigned")
        return name
    return reader.text_string()


def _read_untyped_value(reader: ByteReader) -> str:
    octet = reader.peek()
    if octet >= 0x80 or octet <= 30:
        return str(reader.integer_value())
    return reader.quoted_string()


def _read_q(reader: ByteReader) -> str:
    # §8.4.2.1 Q-value: a uintvar; 1–100 are q=0.00–0.99, 101–1099 are q=0.000–0.999.
    value = reader.uintvar()
    if 1 <= value <= 100:
        return f"{(value - 1) / 100:.2f}"
    if 101 <= value <= 1099:
        return f"{(value - 100) / 1000:.3f}"
    raise DecodeError(f"Q-value {value} out of range")


def _read_parameter(reader: ByteReader) -> tuple[str, str]:
    if 30 < reader.peek() < 0x80:  # Untyped-parameter: Token-text Untyped-value
        return reader.text_string().lower(), _read_untyped_value(reader)
    token = reader.integer_value()
    known = _PARAMETERS.get(token)
    if known is None:
        raise DecodeError(f"unknown well-known parameter 0x{token:02X}")
    name, kind = known
    if kind is _Kind.CHARSET:
        if reader.peek() == _ANY_CHARSET:
            reader.octet()
            return name, "*"
        mib = reader.integer_value()
        return name, CHARSETS.get(mib, str(mib))
    if kind is _Kind.CONSTRAINED:
        return name, _read_media(reader)
    if kind is _Kind.INTEGER:
        return name, str(reader.integer_value())
    if kind is _Kind.Q:
        return name, _read_q(reader)
    if kind is _Kind.NO_VALUE:
        if reader.octet() != 0:
            raise DecodeError(f"parameter {name} takes No-value (0x00)")
        return name, ""
    return name, reader.quoted_string() if reader.peek() == 0x22 else reader.text_string()


def read_content_type(reader: ByteReader) -> ContentType:
    """Read one §8.4.2.24 Content-type-value at the reader's position."""
    if reader.peek() >= 0x20:  # Constrained-media; a Value-length is 0-31
        return ContentType(media_type=_read_media(reader))
    body = reader.sub(reader.value_length())
    media = _read_media(body)
    parameters: list[tuple[str, str]] = []
    while not body.at_end():
        parameters.append(_read_parameter(body))
    return ContentType(media_type=media, parameters=tuple(parameters))


def decode_content_type(data: bytes) -> ContentType:
    """Decode a whole Content-type-value; trailing octets are an error."""
    reader = ByteReader(data)
    content_type = read_content_type(reader)
    if not reader.at_end():
        raise DecodeError(f"{reader.remaining} octets follow the content type")
    return content_type
