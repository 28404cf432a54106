"""WBXML writer and reader (WAP-192-WBXML)."""

from __future__ import annotations

import contextlib
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heliograph.wire.errors import DecodeError, EncodeError
from heliograph.wire.wap.wbxml import (
    MAX_DEPTH,
    Document,
    Element,
    GlobalToken,
    PublicId,
    Vocabulary,
)
from heliograph.wire.wap.wbxml_reader import decode_wbxml
from heliograph.wire.wap.wbxml_writer import encode_wbxml

VECTORS: dict[str, list[dict[str, Any]]] = tomllib.loads(
    (Path(__file__).parent.parent / "vectors" / "wbxml.toml").read_text(encoding="utf-8")
)

#: The token tables WAP-192 §8 declares for its two examples.
VOCABULARIES = {
    "example1": Vocabulary(
        name="WAP-192 example 1",
        public_id=PublicId.UNKNOWN,
        public_id_text="",
        tags={(0, 0x05): "BR", (0, 0x06): "CARD", (0, 0x07): "XYZ"},
        attribute_starts={},
    ),
    "example2": Vocabulary(
        name="WAP-192 example 2",
        public_id=PublicId.UNKNOWN,
        public_id_text="",
        tags={(0, 0x05): "CARD", (0, 0x06): "INPUT", (0, 0x07): "XYZ", (0, 0x08): "DO"},
        attribute_starts={
            (0, 0x05): ("STYLE", "LIST"),
            (0, 0x06): ("TYPE", ""),
            (0, 0x07): ("TYPE", "TEXT"),
            (0, 0x08): ("URL", "http://"),
            (0, 0x09): ("NAME", ""),
            (0, 0x0A): ("KEY", ""),
        },
        attribute_values={(0, 0x85): ".org", (0, 0x86): "ACCEPT"},
    ),
}

#: Two code pages, to exercise SWITCH_PAGE in both the tag and the attribute state.
TWO_PAGES = Vocabulary(
    name="two pages",
    public_id=0x7F00,
    public_id_text="-//HELIOGRAPH//DTD TEST//EN",
    tags={(0, 0x05): "a", (0, 0x06): "b", (1, 0x05): "c", (1, 0x3F): "d"},
    attribute_starts={
        (0, 0x05): ("x", ""),
        (0, 0x06): ("x", "http://"),
        (1, 0x05): ("y", ""),
        (1, 0x06): ("y", "on"),
        (0, 0x7F): ("z", ""),
    },
    attribute_values={(0, 0x85): ".com", (1, 0x85): ".net", (0, 0xFF): "ON"},
)


def _hex(value: str) -> bytes:
    return bytes.fromhex(value.replace(" ", ""))


def _canonical(node: Element | ET.Element) -> tuple[Any, ...]:
    """(tag, attributes, content) with adjacent text merged, for comparing with XML."""
    if isinstance(node, ET.Element):
        content: list[Any] = [node.text] if node.text else []
        for child in node:
            content.append(_canonical(child))
            if child.tail:
                content.append(child.tail)
        return node.tag, tuple(node.attrib.items()), tuple(content)
    items = tuple(_canonical(c) if isinstance(c, Element) else c for c in node.content)
    return node.tag, node.attributes, items


@pytest.mark.parametrize("vector", VECTORS["document"], ids=[v["id"] for v in VECTORS["document"]])
def test_wap192_examples(vector: dict[str, Any]) -> None:
    raw = _hex(vector["hex"])
    vocabulary = VOCABULARIES[vector["vocabulary"]]
    document = decode_wbxml(raw, vocabulary)
    assert _canonical(document.root) == _canonical(ET.fromstring(vector["xml"]))
    if not vector.get("decode_only"):
        table = tuple(vector.get("string_table", ()))
        assert encode_wbxml(document, vocabulary, string_table=table) == raw


@pytest.mark.parametrize("vector", VECTORS["document"], ids=[v["id"] for v in VECTORS["document"]])
def test_split_at_every_offset(vector: dict[str, Any]) -> None:
    raw = _hex(vector["hex"])
    vocabulary = VOCABULARIES[vector["vocabulary"]]
    for cut in range(len(raw)):
        with pytest.raises(DecodeError):
            decode_wbxml(raw[:cut], vocabulary)
    with pytest.raises(DecodeError):
        decode_wbxml(raw + b"\x01", vocabulary)


def test_global_token_values() -> None:
    # WAP-192 §7.1 Table 4.
    assert (GlobalToken.SWITCH_PAGE, GlobalToken.END, GlobalToken.STR_I) == (0, 1, 3)
    assert (GlobalToken.STR_T, GlobalToken.OPAQUE, GlobalToken.LITERAL_AC) == (0x83, 0xC3, 0xC4)
    assert (PublicId.SI_1_0, PublicId.SL_1_0) == (5, 6)


def test_code_pages_are_switched_per_state() -> None:
    root = Element(
        tag="a",
        attributes=(("y", "one.net"), ("x", "http://a.com")),
        content=(Element(tag="c", attributes=(("z", b"\x01"),)), Element(tag="b")),
    )
    raw = encode_wbxml(Document(root=root, public_id=0x7F00, version=3), TWO_PAGES)
    # a(AC) | SWITCH attr→1 y="on" "e" .net | SWITCH attr→0 x="http://" "a" .com | END
    # SWITCH tag→1 c(A) z OPAQUE(1) END | SWITCH tag→0 b | END
    assert raw == _hex(
        "03 81fe00 6a 00 c5 0001 06 036500 85 0000 06 036100 85 01"
        " 0001 85 7f c3 01 01 01 0000 06 01"
    )
    assert decode_wbxml(raw, TWO_PAGES).root == root


def test_string_table_for_repeated_strings_and_literals() -> None:
    root = Element(
        tag="a",
        content=(
            Element(tag="unknown", attributes=(("w", "repeat"),), content=("repeat",)),
            "repeat",
        ),
    )
    document = Document(root=root, public_id="-//HELIOGRAPH//DTD TEST//EN")
    raw = encode_wbxml(document, TWO_PAGES, string_table=True)
    table = b"-//HELIOGRAPH//DTD TEST//EN\x00unknown\x00w\x00repeat\x00"
    assert raw.startswith(b"\x02\x00\x00\x6a" + bytes((len(table),)) + table)
    assert raw.count(b"repeat") == 1
    # LITERAL_AC for <unknown>, LITERAL for w, STR_T for the repeated text.
    assert raw[5 + len(table) :] == _hex("45 c4 1c 04 24 83 26 01 83 26 01 83 26 01")
    assert decode_wbxml(raw, TWO_PAGES) == Document(
        root=root, public_id="-//HELIOGRAPH//DTD TEST//EN", version=2, charset=106
    )


def test_processing_instructions_and_entities_are_read() -> None:
    # PI before the root and in content is dropped; ENTITY becomes its character.
    raw = _hex("03 01 6a 00 43 05 03 7800 01 45 02 81 20 43 05 01 01")
    assert decode_wbxml(raw, TWO_PAGES).root == Element(tag="a", content=("\u00a0",))


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("45 40 01", "EXT_I_0 has no meaning here"),
        ("45 c0 01", "EXT_0 in content"),
        ("07", "unknown tag token"),
        ("85 33 01", "unknown attribute start"),
        ("85 05 99 01", "unknown attribute value"),
        ("85 01", "empty attribute list"),
        ("85 85 01", "value before any attribute"),
        ("45 83 00 01", "STR_T with an empty string table"),
        ("45 03 ff00 01", "STR_I not UTF-8"),
        ("45 02 80 00 01", "ENTITY 0"),
        ("85 05 c3 01 01 03 7800 01", "OPAQUE mixed with text in one attribute"),
        ("01", "END where a tag was expected"),
    ],
)
def test_malformed_bodies(body: str, reason: str) -> None:
    with pytest.raises(DecodeError):
        decode_wbxml(_hex("03 81fe00 6a 00") + _hex(body), TWO_PAGES)


def test_header_errors() -> None:
    with pytest.raises(DecodeError):
        decode_wbxml(_hex("03 05 6a 00 05"), TWO_PAGES)  # SI public id, not ours
    with pytest.raises(DecodeError):
        decode_wbxml(_hex("03 81fe00 8768 00 05"), TWO_PAGES)  # UTF-16 (1000)
    with pytest.raises(DecodeError):
        decode_wbxml(_hex("03 00 05 6a 02 6100 05"), TWO_PAGES)  # public id index 5 > table


def test_depth_limit() -> None:
    deep = Element(tag="a")
    for _ in range(MAX_DEPTH):
        deep = Element(tag="a", content=(deep,))
    with pytest.raises(EncodeError):
        encode_wbxml(Document(root=deep, public_id=0x7F00), TWO_PAGES)
    raw = _hex("03 81fe00 6a 00") + b"\x45" * (MAX_DEPTH + 1) + b"\x01" * (MAX_DEPTH + 1)
    with pytest.raises(DecodeError):
        decode_wbxml(raw, TWO_PAGES)


def test_writer_errors() -> None:
    with pytest.raises(EncodeError):
        encode_wbxml(Document(root=Element(tag="a"), public_id=1, charset=1000), TWO_PAGES)
    with pytest.raises(EncodeError):
        encode_wbxml(Document(root=Element(tag="a", content=("\x00",)), public_id=1), TWO_PAGES)
    latin = Document(root=Element(tag="a", content=("☀",)), public_id=1, charset=4)
    with pytest.raises(EncodeError):
        encode_wbxml(latin, TWO_PAGES)


def test_version_0_has_no_charset() -> None:
    document = Document(root=Element(tag="a", content=("é",)), public_id=1, version=0, charset=0)
    raw = encode_wbxml(document, TWO_PAGES)
    assert raw == _hex("00 01 00 45 03 c3a900 01")
    assert decode_wbxml(raw, TWO_PAGES) == document


texts = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1
) | st.sampled_from(["on.net", "http://x.com", "ON", ".com.net"])
values = st.one_of(texts, st.just(""), st.binary(max_size=8))


def _normalized(items: list[Element | str | bytes]) -> tuple[Element | str | bytes, ...]:
    out: list[Element | str | bytes] = []
    for item in items:
        if isinstance(item, str) and out and isinstance(out[-1], str):
            continue
        out.append(item)
    return tuple(out)


elements = st.recursive(
    st.builds(
        Element,
        tag=st.sampled_from(["a", "b", "c", "d", "lit"]),
        attributes=st.lists(
            st.tuples(st.sampled_from(["x", "y", "z", "w"]), values), max_size=3
        ).map(tuple),
    ),
    lambda children: st.builds(
        Element,
        tag=st.sampled_from(["a", "b", "c", "d", "lit"]),
        attributes=st.lists(
            st.tuples(st.sampled_from(["x", "y", "z", "w"]), values), max_size=3
        ).map(tuple),
        content=st.lists(children | texts | st.binary(max_size=4), max_size=4).map(_normalized),
    ),
    max_leaves=12,
)


@given(elements, st.booleans(), st.sampled_from([1, 2, 3]))
def test_property_round_trip(root: Element, table: bool, version: int) -> None:
    document = Document(root=root, public_id=0x7F00, version=version)
    raw = encode_wbxml(document, TWO_PAGES, string_table=table)
    assert decode_wbxml(raw, TWO_PAGES) == document
    for cut in range(len(raw)):
        with pytest.raises(DecodeError):
            decode_wbxml(raw[:cut], TWO_PAGES)


@given(st.binary(max_size=64))
def test_property_decode_raises_only_decode_error(data: bytes) -> None:
    with contextlib.suppress(DecodeError):
        decode_wbxml(b"\x03\x01\x6a\x00" + data, TWO_PAGES)
    with contextlib.suppress(DecodeError):
        decode_wbxml(data, TWO_PAGES)
