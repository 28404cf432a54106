"""Alphabet choice and splitting into parts (TS 23.040 §9.2.3.24.1/.8, TS 23.038 §6.2.1)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heliograph.wire.errors import EncodeError, UnencodableCharacter
from heliograph.wire.gsm.gsm7 import ESC, decode_gsm7, header_septets
from heliograph.wire.gsm.parts import Encoding, SplitText, count_parts, split_binary, split_text
from heliograph.wire.gsm.udh import decode_udh

GSM_BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCZÄÖÑÜ§¿azäöñüà"
GSM_EXT = "^{}\\[~]|€\f"


def _check_limits(split: SplitText) -> None:
    """Every part fits 140 octets; GSM 7-bit parts fit 160 septets with their UDH."""
    for part in split.parts:
        if split.encoding == "gsm7":
            assert header_septets(len(part.udh)) + len(part.payload) <= 160
            assert part.payload[-1:] != bytes((ESC,)) or len(split.parts) == 1
        else:
            assert len(part.udh) + len(part.payload) <= 140


def _check_concatenation(split: SplitText, reference: int) -> None:
    total = len(split.parts)
    if total == 1:
        return
    for seq, part in enumerate(split.parts, start=1):
        concat = decode_udh(part.udh).concatenation
        assert concat is not None
        assert (concat.reference, concat.total, concat.seq) == (reference, total, seq)


# --- choice of encoding ------------------------------------------------------------------


def test_count_parts_ascii_is_gsm7() -> None:
    assert count_parts("Hello world") == ("gsm7", 1)


def test_count_parts_non_gsm_falls_back_to_ucs2() -> None:
    assert count_parts("Привет") == ("ucs2", 1)


def test_count_parts_empty_text_is_one_part() -> None:
    assert count_parts("") == ("gsm7", 1)
    split = split_text("", reference=0)
    assert [p.payload for p in split.parts] == [b""]


@pytest.mark.parametrize(
    ("length", "parts"),
    [(160, 1), (161, 2), (306, 2), (307, 3), (153 * 255, 255), (153 * 255 + 1, 256)],
)
def test_count_parts_gsm7_boundaries(length: int, parts: int) -> None:
    assert count_parts("a" * length) == ("gsm7", parts)


@pytest.mark.parametrize(("length", "parts"), [(160, 1), (161, 2), (304, 2), (305, 3)])
def test_count_parts_gsm7_ref16_boundaries(length: int, parts: int) -> None:
    assert count_parts("a" * length, ref16=True) == ("gsm7", parts)


@pytest.mark.parametrize(("length", "parts"), [(70, 1), (71, 2), (134, 2), (135, 3)])
def test_count_parts_ucs2_boundaries(length: int, parts: int) -> None:
    assert count_parts("ж" * length) == ("ucs2", parts)


@pytest.mark.parametrize(("length", "parts"), [(70, 1), (71, 2), (132, 2), (133, 3)])
def test_count_parts_ucs2_ref16_boundaries(length: int, parts: int) -> None:
    assert count_parts("ж" * length, ref16=True) == ("ucs2", parts)


@pytest.mark.parametrize(("length", "parts"), [(140, 1), (141, 2), (268, 2), (269, 3)])
def test_count_parts_latin1_boundaries(length: int, parts: int) -> None:
    assert count_parts("ä" * length, encoding="latin1") == ("latin1", parts)


def test_extension_characters_count_two_septets() -> None:
    assert count_parts("€" * 80) == ("gsm7", 1)
    assert count_parts("€" * 81) == ("gsm7", 2)


# --- never break an escape or a surrogate pair ---------------------------------------------


@pytest.mark.parametrize("prefix", [151, 152, 153, 154])
def test_split_never_breaks_escape_sequence(prefix: int) -> None:
    text = "a" * prefix + "€" + "b" * 20
    split = split_text(text, reference=9)
    assert "".join(p.text for p in split.parts) == text
    _check_limits(split)
    assert len(split.parts[0].payload) == {151: 153, 152: 152, 153: 153, 154: 153}[prefix]
    for part in split.parts:
        assert decode_gsm7(part.payload) == part.text


def test_split_escape_at_152_moves_to_next_part() -> None:
    split = split_text("a" * 152 + "€" + "b" * 10, reference=1)
    assert [len(p.payload) for p in split.parts] == [152, 12]
    assert split.parts[1].text.startswith("€")


def test_split_escape_count_matches_count_parts() -> None:
    # 152 + 2 = 154 septets fit one part of 160 but a cut at 153 would split the escape.
    text = "a" * 152 + "€" * 4 + "b" * 150
    assert count_parts(text) == ("gsm7", len(split_text(text, reference=1).parts))


@pytest.mark.parametrize("prefix", [65, 66, 67, 68])
def test_split_never_breaks_surrogate_pair(prefix: int) -> None:
    text = "ж" * prefix + "😀" + "ж" * 80
    split = split_text(text, reference=3)
    assert split.encoding == "ucs2"
    assert "".join(p.text for p in split.parts) == text
    assert count_parts(text) == ("ucs2", len(split.parts))
    _check_limits(split)
    for part in split.parts:
        assert part.payload.decode("utf-16-be") == part.text


def test_split_emoji_at_unit_66_moves_to_next_part() -> None:
    split = split_text("ж" * 66 + "😀" + "ж" * 10, reference=3)
    assert [len(p.payload) // 2 for p in split.parts] == [66, 12]


# --- UDH and DCS ---------------------------------------------------------------------------


def test_single_part_has_no_udh() -> None:
    for text in ("hi", "Привет", "a" * 160, "ж" * 70):
        (part,) = split_text(text, reference=5).parts
        assert part.udh == b""


def test_multipart_udh_concat_8bit() -> None:
    split = split_text("a" * 200, reference=0x42)
    assert [p.udh.hex() for p in split.parts] == ["050003420201", "050003420202"]
    assert [len(p.payload) for p in split.parts] == [153, 47]


def test_multipart_udh_concat_16bit() -> None:
    split = split_text("a" * 200, reference=0x1234, ref16=True)
    assert [p.udh.hex() for p in split.parts] == ["06080412340201", "06080412340202"]
    assert [len(p.payload) for p in split.parts] == [152, 48]


@pytest.mark.parametrize(
    ("text", "encoding", "klass", "dcs"),
    [
        ("hi", "auto", None, 0x00),
        ("hi", "auto", 0, 0x10),
        ("hi", "auto", 1, 0x11),
        ("ж", "auto", None, 0x08),
        ("ж", "auto", 0, 0x18),
        ("hé", "latin1", None, 0x03),
        ("hi", "binary", None, 0x04),
        ("hi", "binary", 2, 0x16),
    ],
)
def test_data_coding(text: str, encoding: Encoding, klass: int | None, dcs: int) -> None:
    split = split_text(text, reference=0, encoding=encoding, message_class=klass)
    assert split.data_coding == dcs


def test_latin1_with_message_class_is_an_error() -> None:
    with pytest.raises(EncodeError):
        split_text("hi", reference=0, encoding="latin1", message_class=0)


# --- errors --------------------------------------------------------------------------------


def test_forced_gsm7_names_character_and_position() -> None:
    with pytest.raises(UnencodableCharacter) as info:
        split_text("ab€cдe", reference=0, encoding="gsm7")
    assert (info.value.char, info.value.position) == ("д", 4)


def test_forced_latin1_names_character_and_position() -> None:
    with pytest.raises(UnencodableCharacter) as info:
        split_text("héllo €", reference=0, encoding="latin1")
    assert (info.value.char, info.value.position) == ("€", 6)


def test_lone_surrogate_is_unencodable() -> None:
    with pytest.raises(UnencodableCharacter) as info:
        split_text("ab\ud800", reference=0)
    assert info.value.position == 2


def test_too_many_parts_names_the_limit() -> None:
    with pytest.raises(EncodeError, match="limit of 3"):
        split_text("a" * 500, reference=0, max_parts=3)
    with pytest.raises(EncodeError, match="limit of 255"):
        split_text("a" * (153 * 255 + 1), reference=0)


def test_reference_out_of_range() -> None:
    with pytest.raises(EncodeError):
        split_text("hi", reference=256)
    split_text("hi", reference=65535, ref16=True)
    with pytest.raises(EncodeError):
        split_text("hi", reference=-1)


# --- transliteration -----------------------------------------------------------------------


def test_transliterate_avoids_ucs2() -> None:
    split = split_text("Привет, мир!", reference=0, transliterate=True)
    assert split.encoding == "gsm7"
    assert split.parts[0].text == "Privet, mir!"


def test_transliterate_forced_gsm7_keeps_gsm_accents() -> None:
    split = split_text("Zażółć é", reference=0, encoding="gsm7", transliterate=True)
    assert split.parts[0].text == "Zazolc é"


def test_transliterate_forced_latin1() -> None:
    split = split_text("Łódź €", reference=0, encoding="latin1", transliterate=True)
    assert split.parts[0].text == "Lódz EUR"


# --- binary --------------------------------------------------------------------------------


def test_split_binary_with_ports() -> None:
    ports = bytes.fromhex("05040b8423f0")
    data = bytes(range(256))
    split = split_binary(data, reference=0x10, udh_extra=ports)
    assert split.data_coding == 0x04
    assert [p.udh.hex() for p in split.parts] == [
        "0b0003100201" + "05040b8423f0",
        "0b0003100202" + "05040b8423f0",
    ]
    assert b"".join(p.payload for p in split.parts) == data
    assert all(len(p.udh) + len(p.payload) <= 140 for p in split.parts)
    assert len(split.parts[0].payload) == 128


def test_split_binary_single_part_keeps_ports_without_concat() -> None:
    ports = bytes.fromhex("05040b8423f0")
    split = split_binary(b"x" * 133, reference=0, udh_extra=ports)
    assert [p.udh.hex() for p in split.parts] == ["0605040b8423f0"]


# --- properties ----------------------------------------------------------------------------

gsm_text = st.text(alphabet=GSM_BASIC + GSM_EXT, max_size=700)
any_text = st.text(max_size=500)


@given(gsm_text, st.booleans())
def test_property_gsm7_join_and_limits(text: str, ref16: bool) -> None:
    split = split_text(text, reference=200, ref16=ref16)
    assert split.encoding == "gsm7"
    assert "".join(p.text for p in split.parts) == text
    assert b"".join(p.payload for p in split.parts).decode("latin-1").isascii()
    assert count_parts(text, ref16=ref16) == ("gsm7", len(split.parts))
    _check_limits(split)
    _check_concatenation(split, 200)


@given(any_text, st.booleans())
def test_property_any_text_join_and_limits(text: str, ref16: bool) -> None:
    split = split_text(text, reference=77, ref16=ref16)
    assert "".join(p.text for p in split.parts) == text
    assert count_parts(text, ref16=ref16) == (split.encoding, len(split.parts))
    _check_limits(split)
    _check_concatenation(split, 77)


@given(any_text)
def test_property_forced_ucs2(text: str) -> None:
    split = split_text(text, reference=1, encoding="ucs2")
    assert "".join(p.payload.decode("utf-16-be") for p in split.parts) == text
    assert count_parts(text, encoding="ucs2") == ("ucs2", len(split.parts))
    _check_limits(split)


@given(st.text(alphabet=st.characters(max_codepoint=0xFF), max_size=500))
def test_property_forced_latin1(text: str) -> None:
    split = split_text(text, reference=1, encoding="latin1")
    assert b"".join(p.payload for p in split.parts).decode("latin-1") == text
    assert count_parts(text, encoding="latin1") == ("latin1", len(split.parts))
    _check_limits(split)


@given(any_text)
def test_property_transliterate_always_gsm7(text: str) -> None:
    split = split_text(text, reference=1, transliterate=True, max_parts=255)
    assert split.encoding == "gsm7"
    _check_limits(split)


@given(st.binary(max_size=2000), st.booleans())
def test_property_split_binary(data: bytes, ref16: bool) -> None:
    split = split_binary(data, reference=3, ref16=ref16)
    assert b"".join(p.payload for p in split.parts) == data
    _check_limits(split)
    _check_concatenation(split, 3)


@given(gsm_text, st.booleans())
def test_property_gsm7_never_needs_more_parts_than_ucs2(text: str, ref16: bool) -> None:
    """Why ``auto`` needs no UCS-2 count when GSM 7-bit can carry the text."""
    _, gsm7_parts = count_parts(text, encoding="gsm7", ref16=ref16)
    _, ucs2_parts = count_parts(text, encoding="ucs2", ref16=ref16)
    assert gsm7_parts <= ucs2_parts


@given(
    st.text(
        alphabet=st.one_of(st.characters(blacklist_categories=()), st.sampled_from("\ud800€")),
        max_size=300,
    ),
    st.sampled_from(["auto", "gsm7", "latin1", "ucs2", "binary"]),
    st.booleans(),
)
def test_property_only_documented_errors(text: str, encoding: Encoding, translit: bool) -> None:
    """Arbitrary text, lone surrogates included, raises nothing but EncodeError."""
    try:
        split = split_text(text, reference=1, encoding=encoding, transliterate=translit)
    except EncodeError:
        return
    _check_limits(split)
