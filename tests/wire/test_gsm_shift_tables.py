"""National language shift tables (TS 23.038 Annex A) and their UDH IEs (TS 23.040
§9.2.3.24.15/.16), and the choice of table combination when splitting."""

from __future__ import annotations

import tomllib
import unicodedata
from itertools import product
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heliograph.wire.errors import UnencodableCharacter
from heliograph.wire.gsm.gsm7 import decode_gsm7, encode_gsm7, gsm7_alphabet, header_septets
from heliograph.wire.gsm.parts import count_parts, split_text
from heliograph.wire.gsm.shift_tables import (
    LOCKING_SHIFT_TABLES,
    SINGLE_SHIFT_TABLES,
    UNDEFINED,
    NationalLanguage,
)
from heliograph.wire.gsm.udh import decode_udh

VECTORS: list[dict[str, Any]] = [
    v
    for v in tomllib.loads(
        (Path(__file__).parent.parent / "vectors" / "gsm7.toml").read_text(encoding="utf-8")
    )["vector"]
    if "locking" in v or "single" in v
]
COMBOS = list(product([0, *LOCKING_SHIFT_TABLES], [0, *SINGLE_SHIFT_TABLES]))
ALL_LANGUAGES = frozenset(NationalLanguage)


@pytest.mark.parametrize("vector", VECTORS, ids=[v["id"] for v in VECTORS])
def test_shift_table_vector_encode(vector: dict[str, Any]) -> None:
    tables = {"locking": vector.get("locking", 0), "single": vector.get("single", 0)}
    assert encode_gsm7(vector["text"], **tables).hex() == vector["septets"]


@pytest.mark.parametrize("vector", VECTORS, ids=[v["id"] for v in VECTORS])
def test_shift_table_vector_decode(vector: dict[str, Any]) -> None:
    tables = {"locking": vector.get("locking", 0), "single": vector.get("single", 0)}
    assert decode_gsm7(bytes.fromhex(vector["septets"]), **tables) == vector["text"]


def test_every_language_has_its_tables() -> None:
    # TS 23.038 §6.2.1.2.4: 13 languages; Spanish has no locking shift table (A.3.2 void).
    assert set(SINGLE_SHIFT_TABLES) == set(NationalLanguage)
    assert set(LOCKING_SHIFT_TABLES) == set(NationalLanguage) - {NationalLanguage.SPANISH}


@pytest.mark.parametrize("language", sorted(LOCKING_SHIFT_TABLES))
def test_locking_table_fixed_cells(language: int) -> None:
    """Every locking table keeps LF, CR, ESC, space, digits and a-z where the default has them."""
    table = LOCKING_SHIFT_TABLES[language]
    assert len(table) == 128
    assert (table[0x0A], table[0x0D], table[0x1B], table[0x20]) == ("\n", "\r", "\x1b", " ")
    assert table[0x30:0x3A] == "0123456789"
    assert table[0x61:0x7B] == "abcdefghijklmnopqrstuvwxyz"
    defined = [c for c in table if c not in (UNDEFINED, "\x1b")]
    assert len(defined) == len(set(defined)), "a character appears twice"


@pytest.mark.parametrize(
    ("language", "count"),
    [(1, 127), (3, 127), (4, 114), (5, 120), (6, 127), (7, 120), (8, 120), (9, 116),
     (10, 110), (11, 102), (12, 120), (13, 127)],
)  # fmt: skip
def test_locking_table_defined_cells(language: int, count: int) -> None:
    table = LOCKING_SHIFT_TABLES[language]
    assert sum(c not in (UNDEFINED, "\x1b") for c in table) == count


@pytest.mark.parametrize(
    ("language", "script"),
    [(4, "BENGALI"), (5, "GUJARATI"), (6, "DEVANAGARI"), (7, "KANNADA"), (8, "MALAYALAM"),
     (9, "ORIYA"), (10, "GURMUKHI"), (11, "TAMIL"), (12, "TELUGU"), (13, "ARABIC")],
)  # fmt: skip
def test_indian_and_urdu_tables_are_in_their_script(language: int, script: str) -> None:
    table = LOCKING_SHIFT_TABLES[language]
    for code, char in enumerate(table):
        if char in (UNDEFINED, "\x1b") or char.isascii():
            continue
        assert unicodedata.name(char).startswith(script), (hex(code), unicodedata.name(char))


@pytest.mark.parametrize(
    ("language", "code", "name"),
    [
        (7, 0x24, "KANNADA LETTER DDA"),
        (7, 0x3D, "KANNADA LETTER PA"),
        (4, 0x7E, "BENGALI LETTER RA WITH MIDDLE DIAGONAL"),
        (6, 0x60, "DEVANAGARI OM"),
        (10, 0x7B, "GURMUKHI TIPPI"),
        (11, 0x7F, "TAMIL RUPEE SIGN"),
        (13, 0x00, "ARABIC LETTER ALEF"),
        (13, 0x7F, "ARABIC LETTER SUPERSCRIPT ALEF"),
        (3, 0x15, "INFINITY"),
        (1, 0x07, "LATIN SMALL LETTER DOTLESS I"),
    ],
)
def test_locking_table_cells(language: int, code: int, name: str) -> None:
    assert unicodedata.name(LOCKING_SHIFT_TABLES[language][code]) == name


@pytest.mark.parametrize(
    ("language", "code", "name"),
    [
        (11, 0x24, "TAMIL DIGIT EIGHT"),
        (12, 0x22, "TELUGU DIGIT SIX"),
        (12, 0x23, "TELUGU DIGIT SEVEN"),
        (4, 0x19, "BENGALI DIGIT ZERO"),
        (6, 0x19, "DEVANAGARI DANDA"),
        (13, 0x19, "ARABIC NUMBER SIGN"),
        (13, 0x3F, "ARABIC FULL STOP"),
        (3, 0x12, "GREEK CAPITAL LETTER PHI"),
        (2, 0x09, "LATIN SMALL LETTER C WITH CEDILLA"),
        (1, 0x49, "LATIN CAPITAL LETTER I WITH DOT ABOVE"),
    ],
)
def test_single_shift_table_cells(language: int, code: int, name: str) -> None:
    assert unicodedata.name(SINGLE_SHIFT_TABLES[language][code]) == name


@pytest.mark.parametrize("language", range(4, 14))
def test_indian_single_shift_tables_share_latin_part(language: int) -> None:
    table = SINGLE_SHIFT_TABLES[language]
    assert "".join(table[c] for c in range(0x41, 0x5B)) == "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    assert (table[0x00], table[0x0A], table[0x28], table[0x29], table[0x65]) == (
        "@", "\f", "{", "}", "€",
    )  # fmt: skip
    assert 0x1B not in table and 0x0D not in table


@pytest.mark.parametrize(("locking", "single"), COMBOS)
def test_every_table_combination_round_trips(locking: int, single: int) -> None:
    alphabet = gsm7_alphabet(locking, single)
    text = "".join(sorted(alphabet.charset))
    septets = encode_gsm7(text, locking=locking, single=single)
    assert decode_gsm7(septets, locking=locking, single=single) == text
    assert len(septets) == len(alphabet.basic) + 2 * len(alphabet.extended)
    for char in set(alphabet.shift.values()) - alphabet.basic:
        first = min(code for code, c in alphabet.shift.items() if c == char)  # ¡ and * twice
        assert encode_gsm7(char, locking=locking, single=single) == bytes((0x1B, first))


# --- choosing tables when splitting ------------------------------------------------------


def test_turkish_text_uses_locking_shift_when_allowed() -> None:
    text = "Şişli'de ılık bir gün"
    assert count_parts(text) == ("ucs2", 1)
    split = split_text(text, reference=0, languages=frozenset({1}))
    assert (split.encoding, split.locking_shift, split.single_shift) == ("gsm7", 1, None)
    (part,) = split.parts
    assert part.udh.hex() == "03250101"
    assert decode_gsm7(part.payload, locking=1) == text


def test_spanish_uses_single_shift() -> None:
    split = split_text("Canción", reference=0, languages=frozenset({2}))
    assert (split.locking_shift, split.single_shift) == (None, 2)
    assert split.parts[0].udh.hex() == "03240102"


def test_languages_not_needed_are_not_signalled() -> None:
    split = split_text("plain text", reference=0, languages=ALL_LANGUAGES)
    assert (split.locking_shift, split.single_shift) == (None, None)
    assert split.parts[0].udh == b""


def test_hindi_with_latin_capitals_uses_both_tables() -> None:
    split = split_text("नमस्ते OK", reference=0, languages=frozenset({6}))
    assert (split.locking_shift, split.single_shift) == (6, 6)
    assert split.parts[0].udh.hex() == "06240106250106"


@pytest.mark.parametrize(("length", "parts"), [(155, 1), (156, 2), (298, 2), (299, 3)])
def test_one_shift_ie_capacity(length: int, parts: int) -> None:
    # One 3-octet IE: 160 - ceil(4*8/7) = 155 alone; with concat 8-bit 160 - ceil(9*8/7) = 149.
    text = "ş" * length
    assert count_parts(text, languages=frozenset({1})) == ("gsm7", parts)
    split = split_text(text, reference=1, languages=frozenset({1}))
    assert len(split.parts) == parts
    assert split.locking_shift == 1


@pytest.mark.parametrize(("length", "parts"), [(152, 1), (153, 2), (292, 2), (293, 3)])
def test_two_shift_ies_capacity(length: int, parts: int) -> None:
    # Two IEs: 160 - ceil(7*8/7) = 152 alone; with concat 8-bit 160 - ceil(12*8/7) = 146.
    text = "न" * (length - 2) + "A"  # "A" is in the Hindi single shift table: two septets
    languages = frozenset({6})
    split = split_text(text, reference=1, languages=languages)
    assert (split.locking_shift, split.single_shift) == (6, 6)
    assert len(split.parts) == parts
    assert count_parts(text, languages=languages) == ("gsm7", parts)


def test_fewest_parts_wins_over_fewer_ies() -> None:
    # 100 euro signs: default alphabet needs 200 septets (2 parts); Turkish locking has € as
    # one septet, so 100 septets + IE fit one part.
    text = "€" * 100
    assert count_parts(text) == ("gsm7", 2)
    split = split_text(text, reference=0, languages=frozenset({1}))
    assert (len(split.parts), split.locking_shift) == (1, 1)


def test_forced_gsm7_without_fitting_tables_names_character() -> None:
    with pytest.raises(UnencodableCharacter) as info:
        split_text("ş and ж", reference=0, encoding="gsm7", languages=frozenset({1}))
    assert (info.value.char, info.value.position) == ("ж", 6)


# --- properties --------------------------------------------------------------------------

_SOME_CHARS = "".join(
    sorted(
        set(gsm7_alphabet(1, 1).charset)
        | set(gsm7_alphabet(6, 6).charset)
        | set(gsm7_alphabet(3, 2).charset)
    )
)


@given(st.text(alphabet=_SOME_CHARS, max_size=600), st.booleans())
def test_property_split_with_languages(text: str, ref16: bool) -> None:
    split = split_text(text, reference=9, languages=ALL_LANGUAGES, ref16=ref16)
    assert "".join(p.text for p in split.parts) == text
    assert count_parts(text, languages=ALL_LANGUAGES, ref16=ref16) == (
        split.encoding,
        len(split.parts),
    )
    for part in split.parts:
        if split.encoding == "gsm7":
            assert header_septets(len(part.udh)) + len(part.payload) <= 160
            header = decode_udh(part.udh) if part.udh else None
            locking = (header.locking_shift if header else None) or 0
            single = (header.single_shift if header else None) or 0
            assert (locking or None, single or None) == (split.locking_shift, split.single_shift)
            assert decode_gsm7(part.payload, locking=locking, single=single) == part.text
        else:
            assert len(part.udh) + len(part.payload) <= 140


@given(st.sampled_from(COMBOS), st.data())
def test_property_combination_round_trip(combo: tuple[int, int], data: st.DataObject) -> None:
    locking, single = combo
    alphabet = gsm7_alphabet(locking, single)
    text = data.draw(st.text(alphabet="".join(sorted(alphabet.charset)), max_size=200))
    septets = encode_gsm7(text, locking=locking, single=single)
    assert decode_gsm7(septets, locking=locking, single=single) == text
