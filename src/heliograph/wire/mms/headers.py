"""MMS header fields and their value encodings (OMA-MMS-ENC-V1_3 §7.2 and §7.3).

An MMS PDU is a list of header fields, each a field code (Table 25, sent with the top bit
set) and a value, then for some PDUs a body after Content-Type (§7.2.1). Values use the
WSP encodings (WAP-230 §8.4.2, :mod:`heliograph.wire.wap.encoding`) plus these of §7.3:

* Encoded-string-value (§7.2.9): a Text-string, or Value-length Char-set Text-string. Text
  that is not ASCII is written with charset UTF-8 (MIBenum 106).
* From-value (§7.3.21): Value-length then Address-present-token (0x80) and an address, or
  Insert-address-token (0x81), which asks the MMS Proxy-Relay to insert the sender.
* Expiry and Delivery-Time (§7.3.20, §7.3.13): Value-length then Absolute-token (0x80) and a
  Date-value, or Relative-token (0x81) and Delta-seconds-value. Relative values are written
  as Long-integer; both integer forms are read.
* Version (§7.3.34): a Short-integer with the major number in bits 6–4 and the minor in
  bits 3–0 (1.2 is 0x92); a Text-string is read as well.
* Yes/No fields (Delivery-Report, Read-Report...): 128 yes, 129 no.

Application headers (a Token-text name, §7.2.2 / WAP-230 §8.4.2.6) are read and kept as
text. A field this module does not interpret keeps its encoded value as ``bytes``. Values
from the code tables of §7.3 are read as their octet (``int``); :mod:`.values` names them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import IntEnum
from typing import Final

from heliograph.wire.errors import DecodeError, EncodeError
from heliograph.wire.wap.content_types import (
    CHARSETS,
    ContentType,
    encode_content_type,
    read_content_type,
)
from heliograph.wire.wap.encoding import (
    ByteReader,
    decode_text,
    encode_integer_value,
    encode_long_integer,
    encode_short_integer,
    encode_text_string,
    encode_value_length,
)
from heliograph.wire.wap.headers import date_value, seconds_since_epoch

__all__ = ["MmsField", "MmsValue", "encode_field", "read_field"]

MmsValue = str | int | bool | datetime | timedelta | tuple[int, int] | ContentType | bytes | None


class MmsField(IntEnum):
    """Header field assignments (OMA-MMS-ENC-V1_3 §7.4, Table 25)."""

    BCC = 0x01
    CC = 0x02
    CONTENT_LOCATION = 0x03
    CONTENT_TYPE = 0x04
    DATE = 0x05
    DELIVERY_REPORT = 0x06
    DELIVERY_TIME = 0x07
    EXPIRY = 0x08
    FROM = 0x09
    MESSAGE_CLASS = 0x0A
    MESSAGE_ID = 0x0B
    MESSAGE_TYPE = 0x0C
    MMS_VERSION = 0x0D
    MESSAGE_SIZE = 0x0E
    PRIORITY = 0x0F
    READ_REPORT = 0x10
    REPORT_ALLOWED = 0x11
    RESPONSE_STATUS = 0x12
    RESPONSE_TEXT = 0x13
    SENDER_VISIBILITY = 0x14
    STATUS = 0x15
    SUBJECT = 0x16
    TO = 0x17
    TRANSACTION_ID = 0x18
    RETRIEVE_STATUS = 0x19
    RETRIEVE_TEXT = 0x1A
    READ_STATUS = 0x1B
    REPLY_CHARGING = 0x1C
    REPLY_CHARGING_DEADLINE = 0x1D
    REPLY_CHARGING_ID = 0x1E
    REPLY_CHARGING_SIZE = 0x1F
    PREVIOUSLY_SENT_BY = 0x20
    PREVIOUSLY_SENT_DATE = 0x21
    STORE = 0x22
    MM_STATE = 0x23
    MM_FLAGS = 0x24
    STORE_STATUS = 0x25
    STORE_STATUS_TEXT = 0x26
    STORED = 0x27
    ATTRIBUTES = 0x28
    TOTALS = 0x29
    MBOX_TOTALS = 0x2A
    QUOTAS = 0x2B
    MBOX_QUOTAS = 0x2C
    MESSAGE_COUNT = 0x2D
    CONTENT = 0x2E
    START = 0x2F
    ADDITIONAL_HEADERS = 0x30
    DISTRIBUTION_INDICATOR = 0x31
    ELEMENT_DESCRIPTOR = 0x32
    LIMIT = 0x33
    RECOMMENDED_RETRIEVAL_MODE = 0x34
    RECOMMENDED_RETRIEVAL_MODE_TEXT = 0x35
    STATUS_TEXT = 0x36
    APPLIC_ID = 0x37
    REPLY_APPLIC_ID = 0x38
    AUX_APPLIC_INFO = 0x39
    CONTENT_CLASS = 0x3A
    DRM_CONTENT = 0x3B
    ADAPTATION_ALLOWED = 0x3C
    REPLACE_ID = 0x3D
    CANCEL_ID = 0x3E
    CANCEL_STATUS = 0x3F


class _Kind(IntEnum):
    RAW = 0
    TEXT = 1
    ENCODED_STRING = 2
    SHORT = 3
    BOOL = 4
    LONG = 5
    INTEGER = 6
    DATE = 7
    TIME = 8
    FROM = 9
    VERSION = 10
    CLASS = 11
    CONTENT_TYPE = 12


_F = MmsField
_KINDS: Final[dict[MmsField, _Kind]] = {
    _F.BCC: _Kind.ENCODED_STRING,
    _F.CC: _Kind.ENCODED_STRING,
    _F.TO: _Kind.ENCODED_STRING,
    _F.SUBJECT: _Kind.ENCODED_STRING,
    _F.RESPONSE_TEXT: _Kind.ENCODED_STRING,
    _F.RETRIEVE_TEXT: _Kind.ENCODED_STRING,
    _F.STORE_STATUS_TEXT: _Kind.ENCODED_STRING,
    _F.STATUS_TEXT: _Kind.ENCODED_STRING,
    _F.RECOMMENDED_RETRIEVAL_MODE_TEXT: _Kind.ENCODED_STRING,
    _F.CONTENT_LOCATION: _Kind.TEXT,
    _F.MESSAGE_ID: _Kind.TEXT,
    _F.TRANSACTION_ID: _Kind.TEXT,
    _F.REPLY_CHARGING_ID: _Kind.TEXT,
    _F.APPLIC_ID: _Kind.TEXT,
    _F.REPLY_APPLIC_ID: _Kind.TEXT,
    _F.AUX_APPLIC_INFO: _Kind.TEXT,
    _F.REPLACE_ID: _Kind.TEXT,
    _F.CANCEL_ID: _Kind.TEXT,
    _F.MESSAGE_TYPE: _Kind.SHORT,
    _F.PRIORITY: _Kind.SHORT,
    _F.RESPONSE_STATUS: _Kind.SHORT,
    _F.SENDER_VISIBILITY: _Kind.SHORT,
    _F.STATUS: _Kind.SHORT,
    _F.RETRIEVE_STATUS: _Kind.SHORT,
    _F.READ_STATUS: _Kind.SHORT,
    _F.REPLY_CHARGING: _Kind.SHORT,
    _F.MM_STATE: _Kind.SHORT,
    _F.STORE_STATUS: _Kind.SHORT,
    _F.RECOMMENDED_RETRIEVAL_MODE: _Kind.SHORT,
    _F.CONTENT_CLASS: _Kind.SHORT,
    _F.CANCEL_STATUS: _Kind.SHORT,
    _F.DELIVERY_REPORT: _Kind.BOOL,
    _F.READ_REPORT: _Kind.BOOL,
    _F.REPORT_ALLOWED: _Kind.BOOL,
    _F.STORE: _Kind.BOOL,
    _F.STORED: _Kind.BOOL,
    _F.TOTALS: _Kind.BOOL,
    _F.QUOTAS: _Kind.BOOL,
    _F.DISTRIBUTION_INDICATOR: _Kind.BOOL,
    _F.DRM_CONTENT: _Kind.BOOL,
    _F.ADAPTATION_ALLOWED: _Kind.BOOL,
    _F.MESSAGE_SIZE: _Kind.LONG,
    _F.REPLY_CHARGING_SIZE: _Kind.LONG,
    _F.MESSAGE_COUNT: _Kind.INTEGER,
    _F.START: _Kind.INTEGER,
    _F.LIMIT: _Kind.INTEGER,
    _F.DATE: _Kind.DATE,
    _F.EXPIRY: _Kind.TIME,
    _F.DELIVERY_TIME: _Kind.TIME,
    _F.REPLY_CHARGING_DEADLINE: _Kind.TIME,
    _F.FROM: _Kind.FROM,
    _F.MMS_VERSION: _Kind.VERSION,
    _F.MESSAGE_CLASS: _Kind.CLASS,
    _F.CONTENT_TYPE: _Kind.CONTENT_TYPE,
}

_YES: Final = 128
_NO: Final = 129
_ADDRESS_PRESENT: Final = 0x80  # §7.3.21 Address-present-token
_INSERT_ADDRESS: Final = 0x81  # §7.3.21 Insert-address-token
_ABSOLUTE: Final = 0x80  # §7.3.20 Absolute-token
_RELATIVE: Final = 0x81  # §7.3.20 Relative-token
_UTF8: Final = 106
_CODECS: Final = {3: "ascii", 4: "latin-1", 106: "utf-8", 1000: "utf-16-be", 1015: "utf-16"}


def _encoded_string(text: str) -> bytes:
    # A Text-string starting with a control octet would read as a Value-length.
    if text.isascii() and (not text or text[0] >= " "):
        return encode_text_string(text)
    body = encode_integer_value(_UTF8) + encode_text_string(text)
    return encode_value_length(len(body)) + body


def _time(value: datetime | timedelta) -> bytes:
    if isinstance(value, datetime):
        body = bytes((_ABSOLUTE,)) + encode_long_integer(seconds_since_epoch(value))
    else:
        seconds = int(value.total_seconds())
        if seconds < 0:
            raise EncodeError(f"relative time {value} is negative")
        body = bytes((_RELATIVE,)) + encode_long_integer(seconds)
    return encode_value_length(len(body)) + body


def _from(address: str | None) -> bytes:
    body = (
        bytes((_INSERT_ADDRESS,))
        if address is None
        else bytes((_ADDRESS_PRESENT,)) + _encoded_string(address)
    )
    return encode_value_length(len(body)) + body


def _version(value: tuple[int, int]) -> bytes:
    major, minor = value
    if not (0 <= major <= 7 and 0 <= minor <= 15):
        raise EncodeError(f"MMS version {major}.{minor} does not fit a Short-integer")
    return encode_short_integer(major << 4 | minor)


def encode_field(field: MmsField, value: MmsValue) -> bytes:
    """One header field (code with the top bit set, then the value).

    ``From`` with ``None`` is the Insert-address-token. Raises :class:`EncodeError` when
    the value does not suit the field.
    """
    kind = _KINDS.get(field, _Kind.RAW)
    head = encode_short_integer(field)
    match kind, value:
        case (_Kind.TEXT, str()):
            return head + encode_text_string(value)
        case (_Kind.ENCODED_STRING, str()):
            return head + _encoded_string(value)
        case (_Kind.BOOL, bool()):
            return head + bytes((_YES if value else _NO,))
        case (_Kind.SHORT, int()) if 128 <= value <= 255:
            return head + bytes((value,))
        case (_Kind.LONG, int()):
            return head + encode_long_integer(value)
        case (_Kind.INTEGER, int()):
            return head + encode_integer_value(value)
        case (_Kind.DATE, datetime()):
            return head + encode_long_integer(seconds_since_epoch(value))
        case (_Kind.TIME, datetime() | timedelta()):
            return head + _time(value)
        case (_Kind.FROM, str() | None):
            return head + _from(value)
        case (_Kind.VERSION, (int(), int())):
            return head + _version(value)
        case (_Kind.CLASS, int()) if 128 <= value <= 255:
            return head + bytes((value,))
        case (_Kind.CLASS, str()):
            return head + encode_text_string(value)
        case (_Kind.CONTENT_TYPE, ContentType() | str()):
            return head + encode_content_type(value)
        case (_, bytes()):
            return head + value
    raise EncodeError(f"{field.name} cannot carry {type(value).__name__} value {value!r}")


def _read_encoded_string(reader: ByteReader) -> str:
    octet = reader.peek()
    if octet > 0x1F or octet == 0:  # 0x00: an empty Text-string (no room for a Char-set)
        return reader.text_string()
    body = reader.sub(reader.value_length())
    charset = body.integer_value()
    data = body.rest()
    if data[:1] == b"\x7f":
        data = data[1:]
    codec = _CODECS.get(charset)
    if codec is None:
        if charset not in CHARSETS:
            raise DecodeError(f"charset MIBenum {charset} is not known")
        return decode_text(data.rstrip(b"\x00"))
    try:
        text = data.decode(codec)
    except UnicodeDecodeError:
        raise DecodeError(f"text is not valid {codec}") from None
    return text.rstrip("\x00")


def _read_time(reader: ByteReader) -> datetime | timedelta:
    body = reader.sub(reader.value_length())
    token = body.octet()
    if token == _ABSOLUTE:
        return date_value(body.long_integer())
    if token == _RELATIVE:
        return timedelta(seconds=body.integer_value())
    raise DecodeError(f"time token 0x{token:02X} is neither absolute nor relative")


def _read_from(reader: ByteReader) -> str | None:
    body = reader.sub(reader.value_length())
    token = body.octet()
    if token == _INSERT_ADDRESS:
        return None
    if token == _ADDRESS_PRESENT:
        return _read_encoded_string(body)
    raise DecodeError(f"From token 0x{token:02X} is not address-present or insert-address")


def _read_version(reader: ByteReader) -> tuple[int, int]:
    if reader.peek() & 0x80:
        octet = reader.octet() & 0x7F
        return octet >> 4, 0 if octet & 0x0F == 0x0F else octet & 0x0F
    text = reader.text_string()
    major, _, minor = text.partition(".")
    if not (major.isdigit() and (minor.isdigit() or not minor)):
        raise DecodeError(f"MMS version {text!r} is not major.minor")
    return int(major), int(minor or 0)


def _read_short(reader: ByteReader) -> int:
    octet = reader.octet()
    if octet < 0x80:
        raise DecodeError(f"octet 0x{octet:02X} at {reader.pos - 1} is not a short value")
    return octet


def _read_bool(reader: ByteReader) -> bool:
    octet = reader.octet()
    if octet not in (_YES, _NO):
        raise DecodeError(f"octet 0x{octet:02X} at {reader.pos - 1} is not Yes or No")
    return octet == _YES


def _read_value(reader: ByteReader, kind: _Kind) -> MmsValue:
    match kind:
        case _Kind.TEXT:
            return reader.text_string()
        case _Kind.ENCODED_STRING:
            return _read_encoded_string(reader)
        case _Kind.SHORT:
            return _read_short(reader)
        case _Kind.BOOL:
            return _read_bool(reader)
        case _Kind.LONG:
            return reader.long_integer()
        case _Kind.INTEGER:
            return reader.integer_value()
        case _Kind.DATE:
            return date_value(reader.long_integer())
        case _Kind.TIME:
            return _read_time(reader)
        case _Kind.FROM:
            return _read_from(reader)
        case _Kind.VERSION:
            return _read_version(reader)
        case _Kind.CLASS:
            return _read_short(reader) if reader.peek() & 0x80 else reader.text_string()
        case _Kind.CONTENT_TYPE:
            return read_content_type(reader)
    return reader.skip_value()


def read_field(reader: ByteReader) -> tuple[MmsField | str, MmsValue]:
    """One header field: (field, value), or (name, text) for an application header."""
    octet = reader.peek()
    if octet < 0x80:
        name = reader.text_string()
        return name, reader.text_string()
    reader.octet()
    try:
        field = MmsField(octet & 0x7F)
    except ValueError:
        raise DecodeError(f"MMS header field 0x{octet & 0x7F:02X} is not assigned") from None
    return field, _read_value(reader, _KINDS.get(field, _Kind.RAW))
