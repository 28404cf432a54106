"""Data coding scheme byte ↔ fields (TS 23.038 §4; SMPP 3.4 §5.2.19)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heliograph.wire.errors import EncodeError
from heliograph.wire.gsm.dcs import (
    Alphabet,
    CodingGroup,
    DataCoding,
    IndicationType,
    MessageClass,
    MessageWaiting,
    decode_dcs,
    encode_data_coding,
    encode_dcs,
)

VECTORS: list[dict[str, Any]] = tomllib.loads(
    (Path(__file__).parent.parent / "vectors" / "dcs.toml").read_text(encoding="utf-8")
)["vector"]


def _expected(vector: dict[str, Any]) -> DataCoding:
    klass = vector.get("message_class")
    waiting = vector.get("waiting")
    return DataCoding(
        alphabet=Alphabet(vector["alphabet"]),
        message_class=None if klass is None else MessageClass(klass),
        compressed=vector.get("compressed", False),
        group=CodingGroup[vector["group"]],
        waiting=None
        if waiting is None
        else MessageWaiting(kind=IndicationType(waiting["kind"]), active=waiting["active"]),
    )


@pytest.mark.parametrize("vector", VECTORS, ids=[v["id"] for v in VECTORS])
def test_dcs_vector_decode(vector: dict[str, Any]) -> None:
    assert decode_dcs(vector["dcs"], smpp=vector.get("smpp", True)) == _expected(vector)


@pytest.mark.parametrize(
    "vector", [v for v in VECTORS if v.get("canonical", True)], ids=lambda v: v["id"]
)
def test_dcs_vector_encode(vector: dict[str, Any]) -> None:
    assert encode_data_coding(_expected(vector)) == vector["dcs"]


@pytest.mark.parametrize(
    ("alphabet", "klass", "compressed", "dcs"),
    [
        (Alphabet.GSM7, None, False, 0x00),
        (Alphabet.BINARY, None, False, 0x04),
        (Alphabet.UCS2, None, False, 0x08),
        (Alphabet.LATIN1, None, False, 0x03),
        (Alphabet.IA5, None, False, 0x01),
        (Alphabet.GSM7, 0, False, 0x10),
        (Alphabet.BINARY, 1, False, 0x15),
        (Alphabet.UCS2, 3, False, 0x1B),
        (Alphabet.GSM7, None, True, 0x20),
        (Alphabet.UCS2, 2, True, 0x3A),
    ],
)
def test_encode_dcs(alphabet: Alphabet, klass: int | None, compressed: bool, dcs: int) -> None:
    assert encode_dcs(alphabet, message_class=klass, compressed=compressed) == dcs


def test_encode_dcs_rejects_class_without_ts23038_alphabet() -> None:
    with pytest.raises(EncodeError):
        encode_dcs(Alphabet.LATIN1, message_class=0)
    with pytest.raises(EncodeError):
        encode_dcs(Alphabet.GSM7, message_class=4)


def test_encode_reserved_is_an_error() -> None:
    with pytest.raises(EncodeError):
        encode_data_coding(decode_dcs(0x9F))


def test_decode_rejects_non_octet() -> None:
    with pytest.raises(ValueError):
        decode_dcs(256)


@pytest.mark.parametrize("smpp", [True, False])
def test_every_byte_decodes_and_re_encodes_to_the_same_meaning(smpp: bool) -> None:
    for dcs in range(256):
        coding = decode_dcs(dcs, smpp=smpp)
        if coding.group is CodingGroup.RESERVED:
            assert coding.alphabet is Alphabet.GSM7
            continue
        again = encode_data_coding(coding)
        assert decode_dcs(again, smpp=smpp) == coding, hex(dcs)


@given(
    st.sampled_from([Alphabet.GSM7, Alphabet.BINARY, Alphabet.UCS2]),
    st.one_of(st.none(), st.sampled_from(MessageClass)),
    st.booleans(),
    st.sampled_from([CodingGroup.GENERAL, CodingGroup.AUTO_DELETE]),
)
def test_property_general_groups_round_trip(
    alphabet: Alphabet, klass: MessageClass | None, compressed: bool, group: CodingGroup
) -> None:
    coding = DataCoding(alphabet=alphabet, message_class=klass, compressed=compressed, group=group)
    assert decode_dcs(encode_data_coding(coding)) == coding
