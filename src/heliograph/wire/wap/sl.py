"""Service Loading (WAP-168-ServiceLoad): token tables, builder and parser.

An SL is the single empty element ``<sl href="..." action="..."/>`` (the DTD of §8.2),
sent as WBXML (public id 0x06, §9.2) with content type ``application/vnd.wap.slc``
(0x30). Tokens are WAP-168 §9.3: the ``sl`` tag (§9.3.1), attribute start tokens with
their value prefixes (§9.3.2) and the ``.com/``-style attribute value tokens (§9.3.3).
``action`` defaults to ``execute-low`` on the handset when absent (§8.2); it is written
only when given. This module knows nothing about WSP or SMS.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from heliograph.wire.errors import DecodeError
from heliograph.wire.wap.wbxml import Document, Element, PublicId, Vocabulary
from heliograph.wire.wap.wbxml_reader import decode_wbxml
from heliograph.wire.wap.wbxml_writer import encode_wbxml

__all__ = ["SL", "ServiceLoading", "SlAction", "decode_sl", "encode_sl"]


class SlAction(StrEnum):
    """``action`` values (WAP-168 §8.2)."""

    EXECUTE_LOW = "execute-low"
    EXECUTE_HIGH = "execute-high"
    CACHE = "cache"


#: WAP-168 §9.3: the SL token tables (code page 0 only).
SL: Final = Vocabulary(
    name="SL 1.0",
    public_id=PublicId.SL_1_0,
    public_id_text="-//WAPFORUM//DTD SL 1.0//EN",
    tags={(0, 0x05): "sl"},
    attribute_starts={
        (0, 0x05): ("action", "execute-low"),
        (0, 0x06): ("action", "execute-high"),
        (0, 0x07): ("action", "cache"),
        (0, 0x08): ("href", ""),
        (0, 0x09): ("href", "http://"),
        (0, 0x0A): ("href", "http://www."),
        (0, 0x0B): ("href", "https://"),
        (0, 0x0C): ("href", "https://www."),
    },
    attribute_values={
        (0, 0x85): ".com/",
        (0, 0x86): ".edu/",
        (0, 0x87): ".net/",
        (0, 0x88): ".org/",
    },
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceLoading:
    """The fields of an SL."""

    href: str
    action: SlAction | None = None


def encode_sl(sl: ServiceLoading, *, version: int = 0x02, charset: int = 106) -> bytes:
    """The SL as WBXML (WAP-168 §9).

    Raises :class:`EncodeError` for text the charset cannot carry.
    """
    attributes: tuple[tuple[str, str | bytes], ...] = (("href", sl.href),)
    if sl.action is not None:
        attributes += (("action", sl.action.value),)
    document = Document(
        root=Element(tag="sl", attributes=attributes),
        public_id=PublicId.SL_1_0,
        version=version,
        charset=charset,
    )
    return encode_wbxml(document, SL)


def decode_sl(data: bytes) -> ServiceLoading:
    """Parse an SL in WBXML.

    Raises :class:`DecodeError` for malformed WBXML or a document that is not an SL.
    """
    root = decode_wbxml(data, SL).root
    href = root.attribute("href")
    action = root.attribute("action")
    if root.tag != "sl" or not isinstance(href, str):
        raise DecodeError("document is not <sl href=...>")
    if isinstance(action, bytes):
        raise DecodeError("SL action is OPAQUE")
    try:
        parsed = None if action is None else SlAction(action)
    except ValueError:
        raise DecodeError(f"SL action {action!r} is not one of WAP-168 §8.2") from None
    return ServiceLoading(href=href, action=parsed)
