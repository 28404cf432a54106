"""WAP Binary XML writer and reader (WAP-192-WBXML §5), driven by a document type's tables.

Document layout (§5.3)::

    version  publicid  charset  strtbl  body

``publicid``, ``charset`` and lengths are ``mb_u_int32`` (§5.1, the WSP uintvar). A public
id of 0 is followed by an index into the string table, where the id is spelled out (§5.5).
The body is tokens (§5.8): global tokens (§7.1, :class:`GlobalToken`), and per code page
tag tokens (bit 7: attributes follow, bit 6: content follows) and attribute start and
value tokens. Tag and attribute code pages switch independently (§5.8.1, SWITCH_PAGE).

The writer chooses, for every attribute, the attribute start token with the longest value
prefix (``href="http://www."``), then replaces attribute value tokens (``.com/``) inside
the rest of the value (§5.8.3). A ``bytes`` attribute value or content item is OPAQUE
(§5.8.4.6). With ``string_table=True`` strings used more than once go in the string table
and are referred to by STR_T (§5.7); names missing from the tables are written as LITERAL
in any case. Strings are written in the document charset, which must keep NUL as a
terminator: UTF-8, US-ASCII or ISO-8859-1.

The reader accepts every global token but the EXT_* family (whose meaning belongs to a
document type) and drops processing instructions. It limits nesting to
:data:`MAX_DEPTH` elements. This module knows nothing about SI or SL; :mod:`.si` and
:mod:`.sl` hold their tables.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Final

from heliograph.wire.errors import DecodeError, EncodeError
from heliograph.wire.wap.encoding import ByteReader, encode_uintvar

__all__ = [
    "MAX_DEPTH",
    "Document",
    "Element",
    "GlobalToken",
    "PublicId",
    "Vocabulary",
    "decode_wbxml",
    "encode_wbxml",
]

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


_TAG_ATTRIBUTES: Final = 0x80  # §5.8.2: bit 7 of a tag token
_TAG_CONTENT: Final = 0x40  # §5.8.2: bit 6 of a tag token
_GLOBALS: Final = frozenset(GlobalToken)
_EXTENSIONS: Final = frozenset(t for t in GlobalToken if t.name.startswith("EXT"))
#: IANA MIBenum → codec; 0 is "unknown" (§5.6), read and written as UTF-8.
_CODECS: Final = {0: "utf-8", 3: "ascii", 4: "latin-1", 106: "utf-8"}


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
    _starts_by_name: dict[str, list[tuple[str, int, int]]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "_tag_codes", {v: k for k, v in self.tags.items()})
        starts: dict[str, list[tuple[str, int, int]]] = {}
        for (page, token), (name, prefix) in self.attribute_starts.items():
            starts.setdefault(name, []).append((prefix, page, token))
        for candidates in starts.values():
            candidates.sort(key=lambda c: -len(c[0]))
        object.__setattr__(self, "_starts_by_name", starts)


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


# --- writer ----------------------------------------------------------------------------


class _Writer:
    def __init__(self, vocabulary: Vocabulary, charset: int, table: dict[str, int]) -> None:
        self.vocabulary = vocabulary
        self.codec = _CODECS.get(charset)
        if self.codec is None:
            raise EncodeError(f"charset MIBenum {charset} is not UTF-8, US-ASCII or Latin-1")
        self.table = table
        self.out = bytearray()
        self.tag_page = 0
        self.attr_page = 0

    def encode(self, text: str) -> bytes:
        assert self.codec is not None
        try:
            data = text.encode(self.codec)
        except UnicodeEncodeError:
            raise EncodeError(f"text {text!r} cannot be written in {self.codec}") from None
        if b"\x00" in data:
            raise EncodeError(f"text {text!r} contains NUL")
        return data

    def string(self, text: str) -> None:
        index = self.table.get(text)
        if index is None:
            self.out += bytes((GlobalToken.STR_I,)) + self.encode(text) + b"\x00"
        else:
            self.out += bytes((GlobalToken.STR_T,)) + encode_uintvar(index)

    def opaque(self, data: bytes) -> None:
        self.out += bytes((GlobalToken.OPAQUE,)) + encode_uintvar(len(data)) + data

    def switch(self, page: int, *, attribute: bool) -> None:
        current = self.attr_page if attribute else self.tag_page
        if page != current:
            self.out += bytes((GlobalToken.SWITCH_PAGE, page))
            if attribute:
                self.attr_page = page
            else:
                self.tag_page = page

    def element(self, element: Element, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise EncodeError(f"elements nest deeper than {MAX_DEPTH}")
        flags = (_TAG_ATTRIBUTES if element.attributes else 0) | (
            _TAG_CONTENT if element.content else 0
        )
        code = self.vocabulary._tag_codes.get(element.tag)
        if code is None:
            self.out += bytes((GlobalToken.LITERAL | flags,)) + encode_uintvar(
                self.table[element.tag]
            )
        else:
            self.switch(code[0], attribute=False)
            self.out.append(code[1] | flags)
        if element.attributes:
            for name, value in element.attributes:
                self.attribute(name, value)
            self.out.append(GlobalToken.END)
        if element.content:
            for item in element.content:
                if isinstance(item, Element):
                    self.element(item, depth + 1)
                elif isinstance(item, bytes):
                    self.opaque(item)
                elif item:
                    self.string(item)
            self.out.append(GlobalToken.END)

    def attribute(self, name: str, value: str | bytes) -> None:
        candidates = self.vocabulary._starts_by_name.get(name, [])
        text = value if isinstance(value, str) else ""
        start = next((c for c in candidates if text.startswith(c[0])), None)
        if start is None:
            self.out += bytes((GlobalToken.LITERAL,)) + encode_uintvar(self.table[name])
            rest = value
        else:
            prefix, page, token = start
            self.switch(page, attribute=True)
            self.out.append(token)
            rest = value[len(prefix) :] if isinstance(value, str) else value
        if isinstance(rest, bytes):
            self.opaque(rest)
            return
        for piece in _split_value(rest, self.vocabulary.attribute_values):
            if isinstance(piece, str):
                self.string(piece)
            else:
                self.switch(piece[0], attribute=True)
                self.out.append(piece[1])


def _split_value(
    value: str, tokens: Mapping[tuple[int, int], str]
) -> Iterator[str | tuple[int, int]]:
    """``value`` as text pieces and attribute value tokens, earliest and longest first."""
    while value:
        best: tuple[int, int, tuple[int, int]] | None = None
        for code, text in tokens.items():
            at = value.find(text)
            if at >= 0 and (best is None or (at, -len(text)) < (best[0], -best[1])):
                best = (at, len(text), code)
        if best is None:
            yield value
            return
        at, length, code = best
        if at:
            yield value[:at]
        yield code
        value = value[at + length :]


def _strings(element: Element, vocabulary: Vocabulary) -> Iterator[str]:
    """Every string the writer would emit, for choosing the string table."""
    for name, value in element.attributes:
        candidates = vocabulary._starts_by_name.get(name, [])
        if isinstance(value, str):
            start = next((c for c in candidates if value.startswith(c[0])), None)
            rest = value[len(start[0]) :] if start else value
            yield from (
                p for p in _split_value(rest, vocabulary.attribute_values) if isinstance(p, str)
            )
    for item in element.content:
        if isinstance(item, Element):
            yield from _strings(item, vocabulary)
        elif isinstance(item, str) and item:
            yield item


def _literals(element: Element, vocabulary: Vocabulary) -> Iterator[str]:
    if element.tag not in vocabulary._tag_codes:
        yield element.tag
    for name, value in element.attributes:
        text = value if isinstance(value, str) else ""
        if not any(text.startswith(c[0]) for c in vocabulary._starts_by_name.get(name, [])):
            yield name
    for item in element.content:
        if isinstance(item, Element):
            yield from _literals(item, vocabulary)


def encode_wbxml(
    document: Document, vocabulary: Vocabulary, *, string_table: bool | tuple[str, ...] = False
) -> bytes:
    """The document as WBXML.

    ``string_table``: ``True`` puts strings used more than once in the string table, a
    tuple puts exactly those strings there (in that order, before any literal names).
    Raises :class:`EncodeError` for text the charset cannot carry or NUL in text.
    """
    entries: list[str] = list(string_table) if isinstance(string_table, tuple) else []
    if isinstance(document.public_id, str):
        entries.append(document.public_id)
    entries += _literals(document.root, vocabulary)
    if string_table is True:
        counts = Counter(_strings(document.root, vocabulary))
        entries += [s for s, n in counts.items() if n > 1 and len(s) > 1]
    entries = list(dict.fromkeys(entries))
    probe = _Writer(vocabulary, document.charset, {})
    table: dict[str, int] = {}
    strtbl = bytearray()
    for entry in entries:
        table[entry] = len(strtbl)
        strtbl += probe.encode(entry) + b"\x00"
    writer = _Writer(vocabulary, document.charset, table)
    writer.element(document.root, 1)
    if isinstance(document.public_id, str):
        public_id = b"\x00" + encode_uintvar(table[document.public_id])
    else:
        public_id = encode_uintvar(document.public_id)
    charset = b"" if document.version == 0 else encode_uintvar(document.charset)
    head = bytes((document.version,)) + public_id + charset
    return head + encode_uintvar(len(strtbl)) + bytes(strtbl) + bytes(writer.out)


# --- reader ----------------------------------------------------------------------------


class _Reader:
    def __init__(self, data: bytes, vocabulary: Vocabulary) -> None:
        self.r = ByteReader(data)
        self.vocabulary = vocabulary
        self.codec = "utf-8"
        self.table = b""
        self.tag_page = 0
        self.attr_page = 0

    def text(self, data: bytes) -> str:
        try:
            return data.decode(self.codec)
        except UnicodeDecodeError:
            raise DecodeError(f"string is not valid {self.codec}") from None

    def table_entry(self, index: int) -> str:
        if index >= len(self.table):
            raise DecodeError(f"string table index {index} is past its {len(self.table)} octets")
        end = self.table.find(b"\x00", index)
        if end < 0:
            raise DecodeError(f"string table entry at {index} has no terminating NUL")
        return self.text(self.table[index:end])

    def table_string(self) -> str:
        return self.table_entry(self.r.uintvar())

    def entity(self) -> str:
        code = self.r.uintvar()
        if not 0 < code <= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise DecodeError(f"ENTITY {code} is not a character")
        return chr(code)

    def page(self) -> int:
        return self.r.octet()

    def processing_instruction(self) -> None:
        self.r.octet()  # PI
        while (token := self.r.octet()) != GlobalToken.END:
            if token == GlobalToken.STR_I:
                self.r.cstring()
            elif token in (GlobalToken.STR_T, GlobalToken.LITERAL, GlobalToken.ENTITY):
                self.r.uintvar()
            elif token == GlobalToken.OPAQUE:
                self.r.take(self.r.uintvar())
            elif token == GlobalToken.SWITCH_PAGE:
                self.attr_page = self.page()

    def skip_pis(self) -> None:
        while not self.r.at_end() and self.r.peek() == GlobalToken.PI:
            self.processing_instruction()

    def value_piece(self, token: int) -> str | bytes:
        if token == GlobalToken.STR_I:
            return self.text(self.r.cstring())
        if token == GlobalToken.STR_T:
            return self.table_string()
        if token == GlobalToken.ENTITY:
            return self.entity()
        if token == GlobalToken.OPAQUE:
            return self.r.take(self.r.uintvar())
        if token in _EXTENSIONS:
            raise DecodeError(
                f"extension token 0x{token:02X} has no meaning in {self.vocabulary.name}"
            )
        value = self.vocabulary.attribute_values.get((self.attr_page, token))
        if value is None:
            raise DecodeError(
                f"unknown attribute value token 0x{token:02X} on page {self.attr_page}"
            )
        return value

    def attributes(self) -> tuple[tuple[str, str | bytes], ...]:
        result: list[tuple[str, str | bytes]] = []
        name: str | None = None
        pieces: list[str | bytes] = []
        while True:
            token = self.r.octet()
            if token == GlobalToken.SWITCH_PAGE:
                self.attr_page = self.page()
                continue
            if token == GlobalToken.PI:
                raise DecodeError("processing instruction inside an attribute list")
            if (
                token == GlobalToken.END
                or token == GlobalToken.LITERAL
                or (token < 0x80 and token not in _GLOBALS)
            ):
                if name is not None:
                    result.append((name, _join(name, pieces)))
                if token == GlobalToken.END:
                    if name is None:
                        raise DecodeError("attribute list is empty")
                    return tuple(result)
                if token == GlobalToken.LITERAL:
                    name, prefix = self.table_string(), ""
                else:
                    start = self.vocabulary.attribute_starts.get((self.attr_page, token))
                    if start is None:
                        raise DecodeError(
                            f"unknown attribute start token 0x{token:02X} on page {self.attr_page}"
                        )
                    name, prefix = start
                pieces = [prefix] if prefix else []
                continue
            if name is None:
                raise DecodeError(f"attribute value token 0x{token:02X} before any attribute")
            pieces.append(self.value_piece(token))

    def element(self, depth: int) -> Element:
        if depth > MAX_DEPTH:
            raise DecodeError(f"elements nest deeper than {MAX_DEPTH}")
        token = self.r.octet()
        while token == GlobalToken.SWITCH_PAGE:
            self.tag_page = self.page()
            token = self.r.octet()
        identity = token & 0x3F
        if identity == GlobalToken.LITERAL:
            tag = self.table_string()
        elif identity < 0x05:
            raise DecodeError(f"token 0x{token:02X} where a tag was expected")
        else:
            found = self.vocabulary.tags.get((self.tag_page, identity))
            if found is None:
                raise DecodeError(f"unknown tag token 0x{identity:02X} on page {self.tag_page}")
            tag = found
        attributes = self.attributes() if token & _TAG_ATTRIBUTES else ()
        content = self.content(depth) if token & _TAG_CONTENT else ()
        return Element(tag=tag, attributes=attributes, content=content)

    def content(self, depth: int) -> tuple[Element | str | bytes, ...]:
        items: list[Element | str | bytes] = []
        while True:
            token = self.r.peek()
            if token == GlobalToken.END:
                self.r.octet()
                return tuple(items)
            if token == GlobalToken.PI:
                self.processing_instruction()
                continue
            if token in (GlobalToken.STR_I, GlobalToken.STR_T, GlobalToken.ENTITY):
                self.r.octet()
                text = self.value_piece(token)
                assert isinstance(text, str)
                if items and isinstance(items[-1], str):
                    items[-1] += text
                elif text:
                    items.append(text)
            elif token == GlobalToken.OPAQUE:
                self.r.octet()
                items.append(self.value_piece(token))
            elif token in _EXTENSIONS:
                raise DecodeError(
                    f"extension token 0x{token:02X} has no meaning in {self.vocabulary.name}"
                )
            else:
                items.append(self.element(depth + 1))


def _join(name: str, pieces: list[str | bytes]) -> str | bytes:
    if not any(isinstance(p, bytes) for p in pieces):
        return "".join(p for p in pieces if isinstance(p, str))
    if len(pieces) == 1:
        return pieces[0]
    raise DecodeError(f"attribute {name} mixes OPAQUE data with text")


def decode_wbxml(data: bytes, vocabulary: Vocabulary) -> Document:
    """Parse a WBXML document with ``vocabulary``'s tables.

    Raises :class:`DecodeError` for malformed input, a token the tables lack, or a public
    id other than the vocabulary's (the "unknown" id 0x01 is accepted).
    """
    reader = _Reader(data, vocabulary)
    r = reader.r
    version = r.octet()
    public_id: int | str = r.uintvar()
    public_index = r.uintvar() if public_id == 0 else None
    charset = 0 if version == 0 else r.uintvar()
    codec = _CODECS.get(charset)
    if codec is None:
        raise DecodeError(f"charset MIBenum {charset} is not supported")
    reader.codec = codec
    reader.table = r.take(r.uintvar())
    if public_index is not None:
        public_id = reader.table_entry(public_index)
    if public_id not in (vocabulary.public_id, vocabulary.public_id_text, PublicId.UNKNOWN):
        raise DecodeError(f"public id {public_id!r} is not {vocabulary.name}")
    reader.skip_pis()
    root = reader.element(1)
    reader.skip_pis()
    if not r.at_end():
        raise DecodeError(f"{r.remaining} octets follow the root element")
    return Document(root=root, public_id=public_id, version=version, charset=charset)
