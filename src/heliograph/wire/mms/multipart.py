"""WSP multipart bodies: application/vnd.wap.multipart.related and .mixed (WAP-230 §8.5).

Layout (§8.5.2)::

    nEntries                        uintvar
    then per entry (§8.5.3):
      HeadersLen                    uintvar: octets of ContentType + Headers
      DataLen                       uintvar
      ContentType                   §8.4.2.24 Content-type-value
      Headers                       §8.4.2.6 header fields (Content-ID, Content-Location...)
      Data                          DataLen octets

An MMS body (OMA-MMS-ENC §7.1) is this, with the presentation (SMIL) part named by the
``start`` parameter of multipart/related and parts referred to by Content-ID or
Content-Location. This module knows nothing about SMIL or about MMS headers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from heliograph.wire.errors import DecodeError
from heliograph.wire.wap.content_types import (
    ContentType,
    encode_content_type,
    read_content_type,
)
from heliograph.wire.wap.encoding import ByteReader, encode_uintvar
from heliograph.wire.wap.headers import Header, encode_headers, read_header

__all__ = ["Part", "decode_multipart", "encode_multipart", "is_multipart", "read_multipart"]

_MULTIPART_PREFIX = "application/vnd.wap.multipart."
_SMALLEST_ENTRY = 4  # HeadersLen, DataLen, a one-octet content type, no data


@dataclass(frozen=True, slots=True, kw_only=True)
class Part:
    """One entry: its content type, headers and data."""

    content_type: ContentType
    data: bytes
    headers: tuple[Header, ...] = ()

    def header(self, name: str) -> str | None:
        """The text of the first header called ``name`` (any case)."""
        wanted = name.lower()
        for header in self.headers:
            if header.name.lower() == wanted and isinstance(header.value, str):
                return header.value
        return None

    @property
    def content_id(self) -> str | None:
        return self.header("Content-ID")

    @property
    def content_location(self) -> str | None:
        return self.header("Content-Location")


def is_multipart(content_type: ContentType) -> bool:
    """Whether a body of this type is a WSP multipart (``application/vnd.wap.multipart.*``)."""
    return content_type.media_type.lower().startswith(_MULTIPART_PREFIX)


def encode_multipart(parts: Sequence[Part]) -> bytes:
    """The §8.5 multipart body of ``parts``."""
    out = bytearray(encode_uintvar(len(parts)))
    for part in parts:
        headers = encode_content_type(part.content_type) + encode_headers(part.headers)
        out += encode_uintvar(len(headers)) + encode_uintvar(len(part.data))
        out += headers + part.data
    return bytes(out)


def read_multipart(reader: ByteReader) -> tuple[Part, ...]:
    """Read a §8.5 multipart body to the reader's end."""
    count = reader.uintvar()
    if count * _SMALLEST_ENTRY > reader.remaining:
        raise DecodeError(f"{count} entries cannot fit in {reader.remaining} octets")
    parts: list[Part] = []
    for _ in range(count):
        headers_length = reader.uintvar()
        data_length = reader.uintvar()
        section = reader.sub(headers_length)
        content_type = read_content_type(section)
        headers: list[Header] = []
        while not section.at_end():
            headers.append(read_header(section))
        parts.append(
            Part(content_type=content_type, headers=tuple(headers), data=reader.take(data_length))
        )
    if not reader.at_end():
        raise DecodeError(f"{reader.remaining} octets follow the last multipart entry")
    return tuple(parts)


def decode_multipart(data: bytes) -> tuple[Part, ...]:
    """Parse a whole §8.5 multipart body.

    Raises :class:`DecodeError` for entries that run past the data or trailing octets.
    """
    return read_multipart(ByteReader(data))
