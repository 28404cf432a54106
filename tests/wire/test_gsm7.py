"""GSM 7-bit default alphabet, extension table and septet packing (TS 23.038 §6.2.1, §6.1.2.1.1;
TS 23.040 §9.2.3.24 fill bits)."""

from __future__ import annotations

import contextlib
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heliograph.wire.errors import DecodeError, UnencodableCharacter
from heliograph.wire.gsm.gsm7 import (
    DEFAULT_ALPHABET,
    DEFAULT_EXTENSION,
    decode_gsm7,
    encode_gsm7,
    fill_bits,
    header_septets,
    pack_septets,
    septet_length,
    unpack_septets,
)

VECTORS: list[dict[str, Any]] = tomllib.loads(
    (Path(__file__).parent.parent / "vectors" / "gsm7.toml").read_text(encoding="utf-8")
)["vector"]
DEFAULT_VECTORS = [v for v in VECTORS if "locking" not in v and "single" not in v]
PACKED_VECTORS = [v for v in VECTORS if "packed" in v]

GSM_CHARS = "".join(c for c in DEFAULT_ALPHABET if c != "\x1b") + "".join(
    DEFAULT_EXTENSION.values()
)


def _ids(vectors: list[dict[str, Any]]) -> list[str]:
    return [v["id"] for v in vectors]


@pytest.mark.parametrize("vector", DEFAULT_VECTORS, ids=_ids(DEFAULT_VECTORS))
def test_gsm7_vector_encode(vector: dict[str, Any]) -> None:
    assert encode_gsm7(vector["text"]).hex() == vector["septets"]


@pytest.mark.parametrize("vector", DEFAULT_VECTORS, ids=_ids(DEFAULT_VECTORS))
def test_gsm7_vector_decode(vector: dict[str, Any]) -> None:
    assert decode_gsm7(bytes.fromhex(vector["septets"])) == vector["text"]


@pytest.mark.parametrize("vector", PACKED_VECTORS, ids=_ids(PACKED_VECTORS))
def test_gsm7_vector_pack(vector: dict[str, Any]) -> None:
    septets = bytes.fromhex(vector["septets"])
    assert pack_septets(septets, fill=vector.get("fill", 0)).hex() == vector["packed"]


@pytest.mark.parametrize("vector", PACKED_VECTORS, ids=_ids(PACKED_VECTORS))
def test_gsm7_vector_unpack(vector: dict[str, Any]) -> None:
    septets = bytes.fromhex(vector["septets"])
    packed = bytes.fromhex(vector["packed"])
    fill = vector.get("fill", 0)
    assert unpack_septets(packed, count=len(septets), fill=fill) == septets


@pytest.mark.parametrize("vector", PACKED_VECTORS, ids=_ids(PACKED_VECTORS))
def test_gsm7_unpack_split_at_every_offset(vector: dict[str, Any]) -> None:
    """Unpacking any prefix of the octets yields a prefix of the septets."""
    septets = bytes.fromhex(vector["septets"])
    packed = bytes.fromhex(vector["packed"])
    fill = vector.get("fill", 0)
    for cut in range(len(packed) + 1):
        head = unpack_septets(packed[:cut], fill=fill)
        assert septets.startswith(head[: len(septets)])
        assert len(head) == max(0, (cut * 8 - fill) // 7)


def test_gsm7_every_default_character_is_one_septet() -> None:
    for code, char in enumerate(DEFAULT_ALPHABET):
        if code == 0x1B:
            continue
        assert encode_gsm7(char) == bytes((code,)), hex(code)
        assert septet_length(char) == 1


def test_gsm7_every_extension_character_is_two_septets() -> None:
    for code, char in DEFAULT_EXTENSION.items():
        assert encode_gsm7(char) == bytes((0x1B, code))
        assert septet_length(char) == 2


@pytest.mark.parametrize("char", ["ç", "`", "\x1b", "\t", "ı", "Ş", "д", "😀", "\x00"])
def test_gsm7_rejects_characters_not_in_the_alphabet(char: str) -> None:
    assert septet_length("ab" + char) is None
    with pytest.raises(UnencodableCharacter) as info:
        encode_gsm7("ab" + char)
    assert (info.value.char, info.value.position) == (char, 2)


def test_gsm7_decode_escape_to_undefined_code_shows_default_character() -> None:
    # TS 23.038 §6.2.1.1: a code not in the extension table shows the default character.
    assert decode_gsm7(b"\x1bA") == "A"
    assert decode_gsm7(b"\x1b\x00") == "@"


def test_gsm7_decode_reserved_escapes_are_spaces() -> None:
    assert decode_gsm7(b"\x1b\x1b") == " "  # reserved for a further extension table
    assert decode_gsm7(b"ab\x1b") == "ab "  # a lone ESC at the end
    assert decode_gsm7(b"\x1b\x0d") == "\r"  # CR2 is not a character: shows 0x0D


def test_gsm7_decode_rejects_octets_above_0x7f() -> None:
    with pytest.raises(DecodeError):
        decode_gsm7(b"ab\x80")


def test_gsm7_decode_split_at_every_offset() -> None:
    text = "a€b{c}\fé|"
    septets = encode_gsm7(text)
    for cut in range(len(septets) + 1):
        if cut and septets[cut - 1] == 0x1B and cut < len(septets):
            continue  # inside an escape sequence: not a legal split point
        assert decode_gsm7(septets[:cut]) + decode_gsm7(septets[cut:]) == text


@pytest.mark.parametrize(
    ("udh_octets", "fill", "septets"),
    [(0, 0, 0), (1, 6, 2), (6, 1, 7), (7, 0, 8), (9, 5, 11), (12, 2, 14), (13, 1, 15)],
)
def test_fill_bits_after_udh(udh_octets: int, fill: int, septets: int) -> None:
    assert fill_bits(udh_octets) == fill
    assert header_septets(udh_octets) == septets
    assert (udh_octets * 8 + fill) == septets * 7


def test_unpack_count_beyond_data_is_decode_error() -> None:
    with pytest.raises(DecodeError):
        unpack_septets(b"\xe8\x32", count=3)


def test_pack_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        pack_septets(b"\x80")
    with pytest.raises(ValueError):
        pack_septets(b"a", fill=7)


@given(st.text(alphabet=GSM_CHARS))
def test_property_gsm7_round_trip(text: str) -> None:
    septets = encode_gsm7(text)
    assert decode_gsm7(septets) == text
    assert len(septets) == septet_length(text)


@given(st.binary().map(lambda b: bytes(x & 0x7F for x in b)), st.integers(0, 6))
def test_property_pack_round_trip(septets: bytes, fill: int) -> None:
    packed = pack_septets(septets, fill=fill)
    assert len(packed) == (fill + 7 * len(septets) + 7) // 8
    assert unpack_septets(packed, count=len(septets), fill=fill) == septets


@given(st.binary())
def test_property_decode_never_raises_other_errors(data: bytes) -> None:
    with contextlib.suppress(DecodeError):
        decode_gsm7(data)
