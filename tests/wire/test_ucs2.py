"""UCS-2 / UTF-16BE and Latin-1 user data (TS 23.038 §6.2.3; SMPP 3.4 §5.2.19)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heliograph.wire.errors import DecodeError, UnencodableCharacter
from heliograph.wire.gsm.latin1 import decode_latin1, encode_latin1
from heliograph.wire.gsm.ucs2 import decode_ucs2, encode_ucs2, is_split_point, ucs2_length

_DATA = tomllib.loads(
    (Path(__file__).parent.parent / "vectors" / "text.toml").read_text(encoding="utf-8")
)
UCS2: list[dict[str, Any]] = _DATA["ucs2"]
LATIN1: list[dict[str, Any]] = _DATA["latin1"]


@pytest.mark.parametrize("vector", UCS2, ids=[v["id"] for v in UCS2])
def test_ucs2_vector(vector: dict[str, Any]) -> None:
    assert encode_ucs2(vector["text"]).hex() == vector["hex"]
    assert decode_ucs2(bytes.fromhex(vector["hex"])) == vector["text"]
    assert ucs2_length(vector["text"]) == len(vector["hex"]) // 4


@pytest.mark.parametrize("vector", LATIN1, ids=[v["id"] for v in LATIN1])
def test_latin1_vector(vector: dict[str, Any]) -> None:
    assert encode_latin1(vector["text"]).hex() == vector["hex"]
    assert decode_latin1(bytes.fromhex(vector["hex"])) == vector["text"]


def test_ucs2_split_points_never_inside_a_pair() -> None:
    data = encode_ucs2("a😀b")
    assert [is_split_point(data, i) for i in range(len(data) + 1)] == [
        True, False, True, False, False, False, True, False, True,
    ]  # fmt: skip


def test_ucs2_decode_split_at_every_legal_offset() -> None:
    text = "ж😀x€😀"
    data = encode_ucs2(text)
    for cut in range(len(data) + 1):
        if is_split_point(data, cut):
            assert decode_ucs2(data[:cut]) + decode_ucs2(data[cut:]) == text


def test_ucs2_decode_cut_pair_gives_replacement_not_error() -> None:
    data = encode_ucs2("😀")
    assert decode_ucs2(data[:2]) == "\ufffd"
    assert decode_ucs2(data[2:]) == "\ufffd"


def test_ucs2_decode_odd_length_is_decode_error() -> None:
    with pytest.raises(DecodeError):
        decode_ucs2(b"\x00a\x00")


def test_ucs2_lone_surrogate_is_unencodable() -> None:
    with pytest.raises(UnencodableCharacter) as info:
        encode_ucs2("ab\udc00")
    assert info.value.position == 2


def test_latin1_names_first_unencodable_character() -> None:
    with pytest.raises(UnencodableCharacter) as info:
        encode_latin1("abc€d")
    assert (info.value.char, info.value.position) == ("€", 3)


@given(st.text())
def test_property_ucs2_round_trip(text: str) -> None:
    data = encode_ucs2(text)
    assert decode_ucs2(data) == text
    assert len(data) == 2 * ucs2_length(text)


@given(st.binary())
def test_property_ucs2_decode_raises_only_decode_error(data: bytes) -> None:
    try:
        decode_ucs2(data)
    except DecodeError:
        assert len(data) % 2


@given(st.text(alphabet=st.characters(max_codepoint=0xFF)))
def test_property_latin1_round_trip(text: str) -> None:
    assert decode_latin1(encode_latin1(text)) == text
