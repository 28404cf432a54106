"""WBXML writer (WAP-192-WBXML §5) for documents of :mod:`.wbxml`.

For every attribute the start token with the longest value prefix is chosen
(``href="http://www."``), then attribute value tokens (``.com/``) replace their text
inside the rest of the value (§5.8.3), earliest and longest first. ``bytes`` are written
as OPAQUE (§5.8.4.6). Names missing from the vocabulary are written as LITERAL tokens
with the name in the string table (§5.8.2, §5.7); ``string_table=True`` also puts there
the strings used more than once, referred to by STR_T. SWITCH_PAGE is written only when
the tag or attribute code page changes (§5.8.1).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping

from heliograph.wire.errors import EncodeError
from heliograph.wire.wap.encoding import encode_uintvar
from heliograph.wire.wap.wbxml import (
    CHARSET_CODECS,
    MAX_DEPTH,
    TAG_ATTRIBUTES,
    TAG_CONTENT,
    Document,
    Element,
    GlobalToken,
    Vocabulary,
)

__all__ = ["encode_wbxml"]


class _Writer:
    def __init__(self, vocabulary: Vocabulary, charset: int, table: dict[str, int]) -> None:
        self.vocabulary = vocabulary
        self.codec = CHARSET_CODECS.get(charset)
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
        flags = (TAG_ATTRIBUTES if element.attributes else 0) | (
            TAG_CONTENT if element.content else 0
        )
        code = self.vocabulary.tag_code(element.tag)
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
        start = self.vocabulary.attribute_start(name, value)
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
        if isinstance(value, str):
            start = vocabulary.attribute_start(name, value)
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
    if vocabulary.tag_code(element.tag) is None:
        yield element.tag
    for name, value in element.attributes:
        if vocabulary.attribute_start(name, value) is None:
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
