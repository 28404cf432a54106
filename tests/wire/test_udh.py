"""User data header parse and build (TS 23.040 §9.2.3.24)."""

from __future__ import annotations

import contextlib
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heliograph.wire.errors import DecodeError, EncodeError
from heliograph.wire.gsm.udh import (
    IEI,
    ApplicationPorts,
    Concatenation,
    application_port_ie,
    concatenation_ie,
    decode_udh,
    encode_ie,
    encode_udh,
    national_locking_shift_ie,
    national_single_shift_ie,
    split_user_data,
)

VECTORS: list[dict[str, Any]] = tomllib.loads(
    (Path(__file__).parent.parent / "vectors" / "udh.toml").read_text(encoding="utf-8")
)["vector"]
GOOD = [v for v in VECTORS if not v.get("error")]
BAD = [v for v in VECTORS if v.get("error")]


@pytest.mark.parametrize("vector", GOOD, ids=[v["id"] for v in GOOD])
def test_udh_vector_decode(vector: dict[str, Any]) -> None:
    raw = bytes.fromhex(vector["udh"])
    header = decode_udh(raw)
    assert header.raw == raw
    concat = Concatenation(**vector["concat"]) if "concat" in vector else None
    assert header.concatenation == concat  # None also when the element is to be ignored
    assert header.ports == (ApplicationPorts(**vector["ports"]) if "ports" in vector else None)
    assert header.single_shift == vector.get("single_shift")
    assert header.locking_shift == vector.get("locking_shift")


@pytest.mark.parametrize("vector", GOOD, ids=[v["id"] for v in GOOD])
def test_udh_vector_rebuilt_from_elements(vector: dict[str, Any]) -> None:
    raw = bytes.fromhex(vector["udh"])
    header = decode_udh(raw)
    rebuilt = encode_udh(b"".join(encode_ie(e.iei, e.data) for e in header.elements))
    assert rebuilt == raw


@pytest.mark.parametrize("vector", BAD, ids=[v["id"] for v in BAD])
def test_udh_vector_malformed(vector: dict[str, Any]) -> None:
    with pytest.raises(DecodeError):
        decode_udh(bytes.fromhex(vector["udh"]))


@pytest.mark.parametrize("vector", GOOD, ids=[v["id"] for v in GOOD])
def test_udh_split_at_every_offset(vector: dict[str, Any]) -> None:
    """Any truncation of a header is a DecodeError; trailing body octets are not read."""
    raw = bytes.fromhex(vector["udh"])
    for cut in range(len(raw)):
        with pytest.raises(DecodeError):
            decode_udh(raw[:cut])
    header, body = split_user_data(raw + b"body")
    assert header.raw == raw
    assert body == b"body"


def test_build_concatenation_8bit_and_16bit() -> None:
    assert concatenation_ie(0xCC, 2, 1).hex() == "0003cc0201"
    assert concatenation_ie(0xBEEF, 3, 2, ref16=True).hex() == "0804beef0302"


@pytest.mark.parametrize(
    ("reference", "total", "seq", "ref16"),
    [(256, 2, 1, False), (-1, 2, 1, False), (65536, 2, 1, True), (1, 2, 3, False),
     (1, 2, 0, False), (1, 256, 1, False), (1, 0, 0, False)],
)  # fmt: skip
def test_build_concatenation_rejects_bad_values(
    reference: int, total: int, seq: int, ref16: bool
) -> None:
    with pytest.raises(EncodeError):
        concatenation_ie(reference, total, seq, ref16=ref16)


def test_build_ports() -> None:
    assert application_port_ie(2948, 9200).hex() == "05040b8423f0"
    assert application_port_ie(0xF5, 0xF0, wide=False).hex() == "0402f5f0"
    with pytest.raises(EncodeError):
        application_port_ie(300, 0, wide=False)
    with pytest.raises(EncodeError):
        application_port_ie(70000, 0)


def test_build_national_language_ies() -> None:
    assert national_single_shift_ie(1).hex() == "240101"
    assert national_locking_shift_ie(13).hex() == "25010d"


def test_encode_udh_limits() -> None:
    assert encode_udh(b"").hex() == "00"
    with pytest.raises(EncodeError):
        encode_udh(b"\x00" * 140)


def test_last_occurrence_of_an_element_applies() -> None:
    header = decode_udh(bytes.fromhex("0a0003010201" + "0003020202"))
    assert header.concatenation == Concatenation(reference=2, total=2, seq=2, ref16=False)


def test_iei_values() -> None:
    # TS 23.040 §9.2.3.24 table: the identifiers Heliograph builds.
    assert (IEI.CONCAT_8BIT, IEI.APPLICATION_PORT_8BIT, IEI.APPLICATION_PORT_16BIT) == (0, 4, 5)
    assert (IEI.CONCAT_16BIT, IEI.NATIONAL_LANGUAGE_SINGLE_SHIFT) == (8, 0x24)
    assert IEI.NATIONAL_LANGUAGE_LOCKING_SHIFT == 0x25


elements = st.lists(
    st.tuples(st.integers(0x26, 0xFF), st.binary(max_size=10)).map(lambda t: encode_ie(*t)),
    max_size=8,
)


@given(elements)
def test_property_udh_round_trip(ies: list[bytes]) -> None:
    raw = encode_udh(b"".join(ies))
    header = decode_udh(raw)
    assert header.raw == raw
    assert [encode_ie(e.iei, e.data) for e in header.elements] == ies


@given(st.binary(max_size=160))
def test_property_decode_raises_only_decode_error(data: bytes) -> None:
    with contextlib.suppress(DecodeError):
        header = decode_udh(data)
        assert len(header.raw) == data[0] + 1
        _ = (header.concatenation, header.ports, header.single_shift, header.locking_shift)
