"""WSP Push and ConfirmedPush PDUs (WAP-230-WSP §8.2.4.1, PDU types Table 34).

Layout::

    TID (connectionless only, §8.2.1)   1 octet
    PDU type                            0x06 Push / 0x07 ConfirmedPush
    HeadersLen                          uintvar: octets of ContentType + Headers
    ContentType                         §8.4.2.24 Content-type-value
    Headers                             §8.4.2.6 header fields
    Data                                the rest

WAP push over SMS is connectionless WSP (WAP-230 §7.1.3), so the TID is there by
default. This module builds and parses the PDU only: the transport (ports 2948 ← 9200 in
a UDH and segmentation into SMS) is :mod:`heliograph.wire.wap.push`; the values inside
are :mod:`.encoding`, :mod:`.content_types` and :mod:`.headers`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from heliograph.wire.errors import DecodeError, EncodeError
from heliograph.wire.wap.content_types import (
    ContentType,
    encode_content_type,
    read_content_type,
)
from heliograph.wire.wap.encoding import ByteReader, encode_uintvar
from heliograph.wire.wap.headers import Header, encode_headers, read_header

__all__ = ["PduType", "PushPdu", "decode_push", "encode_push"]


class PduType(IntEnum):
    """WSP PDU type assignments (WAP-230 §8.2.1, Table 34)."""

    CONNECT = 0x01
    CONNECT_REPLY = 0x02
    REDIRECT = 0x03
    REPLY = 0x04
    DISCONNECT = 0x05
    PUSH = 0x06
    CONFIRMED_PUSH = 0x07
    SUSPEND = 0x08
    RESUME = 0x09
    GET = 0x40
    OPTIONS = 0x41
    HEAD = 0x42
    DELETE = 0x43
    TRACE = 0x44
    POST = 0x60
    PUT = 0x61
    DATA_FRAGMENT = 0x80


_PUSH_TYPES = (PduType.PUSH, PduType.CONFIRMED_PUSH)


@dataclass(frozen=True, slots=True, kw_only=True)
class PushPdu:
    """A WSP Push (§8.2.4.1); ``transaction_id`` is ``None`` in connection mode."""

    content_type: ContentType
    data: bytes
    headers: tuple[Header, ...] = ()
    transaction_id: int | None = 0
    pdu_type: PduType = PduType.PUSH


def encode_push(pdu: PushPdu) -> bytes:
    """The PDU's octets.

    Raises :class:`EncodeError` for a TID outside 0–255 or a header that cannot be encoded.
    """
    if pdu.pdu_type not in _PUSH_TYPES:
        raise EncodeError(f"{pdu.pdu_type.name} is not a push PDU type")
    head = b""
    if pdu.transaction_id is not None:
        if not 0 <= pdu.transaction_id <= 0xFF:
            raise EncodeError(f"transaction id {pdu.transaction_id} is outside 0..255")
        head = bytes((pdu.transaction_id,))
    headers = encode_content_type(pdu.content_type) + encode_headers(pdu.headers)
    return head + bytes((pdu.pdu_type,)) + encode_uintvar(len(headers)) + headers + pdu.data


def decode_push(data: bytes, *, connectionless: bool = True) -> PushPdu:
    """Parse a Push or ConfirmedPush PDU.

    Raises :class:`DecodeError` for another PDU type or headers that do not parse.
    """
    reader = ByteReader(data)
    transaction_id = reader.octet() if connectionless else None
    kind = reader.octet()
    if kind not in _PUSH_TYPES:
        raise DecodeError(f"PDU type 0x{kind:02X} is not Push or ConfirmedPush")
    section = reader.sub(reader.uintvar())
    content_type = read_content_type(section)
    headers: list[Header] = []
    while not section.at_end():
        headers.append(read_header(section))
    return PushPdu(
        transaction_id=transaction_id,
        pdu_type=PduType(kind),
        content_type=content_type,
        headers=tuple(headers),
        data=reader.rest(),
    )
