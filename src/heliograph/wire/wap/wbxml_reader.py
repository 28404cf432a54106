"""WBXML reader (WAP-192-WBXML §5) into documents of :mod:`.wbxml`.

Every global token is read but the EXT_* family, whose meaning belongs to a document type;
processing instructions are dropped. Adjacent text (STR_I, STR_T, ENTITY) in content is
joined into one string. Nesting is limited to :data:`~.wbxml.MAX_DEPTH` elements, and a
document whose public id is neither the vocabulary's nor "unknown" (0x01) is refused.
"""

from __future__ import annotations

from heliograph.wire.errors import DecodeError
from heliograph.wire.wap.encoding import ByteReader
from heliograph.wire.wap.wbxml import (
    CHARSET_CODECS,
    EXTENSION_TOKENS,
    MAX_DEPTH,
    TAG_ATTRIBUTES,
    TAG_CONTENT,
    Document,
    Element,
    GlobalToken,
    PublicId,
    Vocabulary,
)

__all__ = ["decode_wbxml"]

_GLOBALS = frozenset(GlobalToken)


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
        if token in EXTENSION_TOKENS:
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
        attributes = self.attributes() if token & TAG_ATTRIBUTES else ()
        content = self.content(depth) if token & TAG_CONTENT else ()
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
            elif token in EXTENSION_TOKENS:
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
    codec = CHARSET_CODECS.get(charset)
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
