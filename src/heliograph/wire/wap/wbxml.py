"""WAP Binary XML (WAP-192-WBXML): the document model and the tables shared by all documents.

Document layout (§5.3)::

    version  publicid  charset  strtbl  body

``publicid``, ``charset`` and lengths are ``mb_u_int32`` (§5.1, the WSP uintvar). A public
id of 0 is followed by an index into the string table, where the id is spelled out (§5.5).
The body is tokens (§5.8): global tokens (§7.1, :class:`GlobalToken`), and per code page
tag tokens (bit 7: attributes follow, bit 6: content follows) and attribute start and
value tokens. Tag and attribute code pages switch independently (§5.8.1, SWITCH_PAGE).

A document type's tokens are a :class:`Vocabulary`; a document is a :class:`Document`
holding :class:`Element` trees, where ``bytes`` stand for OPAQUE data (§5.8.4.6).
:mod:`.wbxml_writer` and :mod:`.wbxml_reader` turn one into the other; :mod:`.si` and
:mod:`.sl` hold the SI and SL tables. Strings must be in a charset that keeps NUL as a
terminator: UTF-8, US-ASCII or ISO-8859-1 (:data:`CHARSET_CODECS`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Final

__all__ = [
    "CHARSET_CODECS",
    "EXTENSION_TOKENS",
    "MAX_DEPTH",
    "TAG_ATTRIBUTES",
    "TAG_CONTENT",
    "Document",
    "Element",
    "GlobalToken",
    "PublicId",
    "Vocabulary",
]

#: Elements nest at most this deep, in what is written and what is read.
MAX_DEPTH: Final = 64


class GlobalToken(IntEnum):
    """Global tokens, the same on every code page (WAP-192 §7.1, Table 4)."""

    SWITCH_PAGE = 0x00
    END = 0x01
    ENTITY = 0x02
    STR_I = 0x03
    LITERAL = 0x04
    EXT_I_0 = 0x40
    EXT_I_1 = 0x41
    EXT_I_2 = 0x42
    PI = 0x43
    LITERAL_C = 0x44
    EXT_T_0 = 0x80
    EXT_T_1 = 0x81
    EXT_T_2 = 0x82
    STR_T = 0x83
    LITERAL_A = 0x84
    EXT_0 = 0xC0
    EXT_1 = 0xC1
    EXT_2 = 0xC2
    OPAQUE = 0xC3
    LITERAL_AC = 0xC4


class PublicId(IntEnum):
    """Well-known public identifiers (WAP-192 §7.2.1, OMNA WBXML public ids)."""

    UNKNOWN = 0x01
    WML_1_0 = 0x02
    WTA_1_0 = 0x03
    WML_1_1 = 0x04
    SI_1_0 = 0x05
    SL_1_0 = 0x06
    CO_1_0 = 0x07
    CHANNEL_1_0 = 0x08
    WML_1_2 = 0x09
    WML_1_3 = 0x0A
    PROV_1_0 = 0x0B
    WTA_WML_1_2 = 0x0C
    EMN_1_0 = 0x0D
    DRMREL_1_0 = 0x0E


TAG_ATTRIBUTES: Final = 0x80  # §5.8.2: bit 7 of a tag token
TAG_CONTENT: Final = 0x40  # §5.8.2: bit 6 of a tag token
EXTENSION_TOKENS: Final = frozenset(t for t in GlobalToken if t.name.startswith("EXT"))
#: IANA MIBenum → codec; 0 is "unknown" (§5.6), read and written as UTF-8.
CHARSET_CODECS: Final = {0: "utf-8", 3: "ascii", 4: "latin-1", 106: "utf-8"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Vocabulary:
    """A document type's tokens, keyed by ``(code page, token)``.

    ``attribute_starts`` maps to ``(attribute name, value prefix)``; the prefix is ``""``
    for a token that names the attribute only.
    """

    name: str
    public_id: int
    public_id_text: str
    tags: Mapping[tuple[int, int], str]
    attribute_starts: Mapping[tuple[int, int], tuple[str, str]]
    attribute_values: Mapping[tuple[int, int], str] = field(default_factory=dict)
    _tag_codes: dict[str, tuple[int, int]] = field(init=False, repr=False, compare=False)
    _starts: dict[str, list[tuple[str, int, int]]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_tag_codes", {v: k for k, v in self.tags.items()})
        starts: dict[str, list[tuple[str, int, int]]] = {}
        for (page, token), (name, prefix) in self.attribute_starts.items():
            starts.setdefault(name, []).append((prefix, page, token))
        for candidates in starts.values():
            candidates.sort(key=lambda c: -len(c[0]))
        object.__setattr__(self, "_starts", starts)

    def tag_code(self, tag: str) -> tuple[int, int] | None:
        """``(code page, token)`` of a tag, or ``None`` when it has none."""
        return self._tag_codes.get(tag)

    def attribute_start(self, name: str, value: str | bytes) -> tuple[str, int, int] | None:
        """``(prefix, code page, token)`` of the start token with the longest prefix of
        ``value`` (only a bare-name token for OPAQUE values), or ``None``."""
        text = value if isinstance(value, str) else ""
        return next((c for c in self._starts.get(name, ()) if text.startswith(c[0])), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class Element:
    """An element: tag name, attributes in order, content (text, OPAQUE bytes, elements)."""

    tag: str
    attributes: tuple[tuple[str, str | bytes], ...] = ()
    content: tuple[Element | str | bytes, ...] = ()

    def attribute(self, name: str) -> str | bytes | None:
        return next((v for k, v in self.attributes if k == name), None)

    def children(self, tag: str) -> Iterator[Element]:
        return (c for c in self.content if isinstance(c, Element) and c.tag == tag)

    def text(self) -> str:
        """The element's own text content, concatenated."""
        return "".join(c for c in self.content if isinstance(c, str))


@dataclass(frozen=True, slots=True, kw_only=True)
class Document:
    """A WBXML document; ``public_id`` is a number, or the id's text when spelled out."""

    root: Element
    public_id: int | str
    version: int = 0x02
    charset: int = 106
