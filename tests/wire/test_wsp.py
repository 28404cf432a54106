"""WSP values, content types, headers and the Push PDU (WAP-230-WSP)."""

from __future__ import annotations

import contextlib
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heliograph.wire.errors import DecodeError, EncodeError
from heliograph.wire.wap.content_types import (
    CONTENT_TYPES,
    ContentType,
    content_type_code,
    decode_content_type,
    encode_content_type,
)
from heliograph.wire.wap.encoding import (
    ByteReader,
    encode_integer_value,
    encode_long_integer,
    encode_quoted_string,
    encode_short_integer,
    encode_text_string,
    encode_uintvar,
    encode_value_length,
)
from heliograph.wire.wap.headers import (
    FIELD_NAMES,
    Header,
    HeaderField,
    decode_headers,
    encode_header,
    encode_headers,
)
from heliograph.wire.wap.wsp import PduType, PushPdu, decode_push, encode_push

VECTORS: dict[str, list[dict[str, Any]]] = tomllib.loads(
    (Path(__file__).parent.parent / "vectors" / "wsp.toml").read_text(encoding="utf-8")
)


def _hex(vector: dict[str, Any], key: str = "hex") -> bytes:
    return bytes.fromhex(vector[key].replace(" ", ""))


def _ids(vectors: list[dict[str, Any]]) -> list[str]:
    return [v["id"] for v in vectors]


def _content_type(vector: dict[str, Any]) -> ContentType:
    parameters = tuple((k, v) for k, v in vector.get("parameters", []))
    return ContentType(media_type=vector["media_type"], parameters=parameters)


def _header(vector: dict[str, Any]) -> Header:
    if "date" in vector:
        value: Any = datetime.fromisoformat(vector["date"])
    else:
        value = vector["text"] if "text" in vector else vector["integer"]
    return Header(name=vector["name"], value=value)


# --- uintvar and basic values (§8.1.2, §8.4.2.1-3) ---------------------------------------


@pytest.mark.parametrize("vector", VECTORS["uintvar"], ids=_ids(VECTORS["uintvar"]))
def test_uintvar_vectors(vector: dict[str, Any]) -> None:
    raw = _hex(vector)
    assert encode_uintvar(vector["value"]) == raw
    reader = ByteReader(raw)
    assert reader.uintvar() == vector["value"]
    assert reader.at_end()
    for cut in range(len(raw)):
        with pytest.raises(DecodeError):
            ByteReader(raw[:cut]).uintvar()


def test_uintvar_limits() -> None:
    with pytest.raises(EncodeError):
        encode_uintvar(2**32)
    with pytest.raises(EncodeError):
        encode_uintvar(-1)
    with pytest.raises(DecodeError):
        ByteReader(bytes.fromhex("9fffffff7f")).uintvar()  # 35 bits
    with pytest.raises(DecodeError):
        ByteReader(bytes.fromhex("808080808000")).uintvar()  # 6 octets


@given(st.integers(0, 2**32 - 1))
def test_property_uintvar_round_trip(value: int) -> None:
    raw = encode_uintvar(value)
    assert len(raw) <= 5
    assert all(b & 0x80 for b in raw[:-1]) and not raw[-1] & 0x80
    assert ByteReader(raw).uintvar() == value


def test_basic_value_encodings() -> None:
    assert encode_short_integer(0x2E) == b"\xae"
    assert encode_long_integer(0) == b"\x01\x00"
    assert encode_long_integer(0x010203) == b"\x03\x01\x02\x03"
    assert encode_integer_value(127) == b"\xff"
    assert encode_integer_value(128) == b"\x01\x80"
    assert encode_value_length(30) == b"\x1e"
    assert encode_value_length(31) == b"\x1f\x1f"
    assert encode_value_length(200) == b"\x1f\x81\x48"
    # §8.4.2.1: a Text-string starting with an octet >= 128 gets a Quote (0x7F).
    assert encode_text_string("é") == b"\x7f\xc3\xa9\x00"
    assert encode_quoted_string("<a>") == b'"<a>\x00'
    with pytest.raises(EncodeError):
        encode_text_string("a\x00b")
    with pytest.raises(EncodeError):
        encode_short_integer(128)
    with pytest.raises(EncodeError):
        encode_long_integer(1 << 240)


@given(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")))
def test_property_text_string_round_trip(text: str) -> None:
    reader = ByteReader(encode_text_string(text) + b"rest")
    assert reader.text_string() == text
    assert reader.rest() == b"rest"


@given(st.integers(0, 2**64))
def test_property_integer_value_round_trip(value: int) -> None:
    assert ByteReader(encode_integer_value(value)).integer_value() == value


@given(st.integers(0, 2**32 - 1))
def test_property_value_length_round_trip(value: int) -> None:
    reader = ByteReader(encode_value_length(value))
    assert reader.value_length() == value
    assert reader.at_end()


def test_text_that_is_not_utf8_reads_as_latin1() -> None:
    assert ByteReader(b"caf\xe9\x00").text_string() == "café"


# --- content types (§8.4.2.24) ------------------------------------------------------------


@pytest.mark.parametrize("vector", VECTORS["content_type"], ids=_ids(VECTORS["content_type"]))
def test_content_type_vectors(vector: dict[str, Any]) -> None:
    raw = _hex(vector)
    assert encode_content_type(_content_type(vector)) == raw
    assert decode_content_type(raw) == _content_type(vector)
    for cut in range(len(raw)):
        with pytest.raises(DecodeError):
            decode_content_type(raw[:cut])


def test_well_known_content_type_codes() -> None:
    # WSP Table 40: the codes named by the architecture (SI 0xAE, SL 0xB0, MMS 0xBE).
    assert content_type_code("application/vnd.wap.sic") == 0x2E
    assert content_type_code("APPLICATION/VND.WAP.SLC") == 0x30
    assert content_type_code("application/vnd.wap.mms-message") == 0x3E
    assert content_type_code("application/vnd.wap.multipart.related") == 0x33
    assert content_type_code("application/vnd.wap.multipart.mixed") == 0x23
    assert content_type_code("text/x-vCard") == 0x07
    assert content_type_code("image/x-unknown") is None
    assert len(CONTENT_TYPES) == 0x53
    assert sorted(CONTENT_TYPES) == list(range(0x53))


def test_content_type_parameter_decoding() -> None:
    # Encoding version 1.4 tokens (Table 38: 0x17 Name, 0x19 Start) are read as well.
    raw = bytes.fromhex("0d 9e 97 612e6a706700 99 3c613e00")
    assert decode_content_type(raw) == ContentType(
        media_type="image/jpeg", parameters=(("name", "a.jpg"), ("start", "<a>"))
    )
    # Any-charset (§8.4.2.8) and an unknown MIBenum.
    assert decode_content_type(bytes.fromhex("03 83 81 80")).parameter("charset") == "*"
    assert decode_content_type(bytes.fromhex("05 83 81 020107")).parameter("charset") == "263"
    # Q-value (§8.4.2.1): 1-100 are 0.00-0.99.
    assert decode_content_type(bytes.fromhex("03 83 80 33")).parameter("q") == "0.50"


def test_content_type_errors() -> None:
    with pytest.raises(EncodeError):
        encode_content_type(ContentType(media_type="text/plain", parameters=(("charset", "x"),)))
    with pytest.raises(DecodeError):
        decode_content_type(bytes.fromhex("02 83 f0"))  # unknown well-known parameter
    with pytest.raises(DecodeError):
        decode_content_type(bytes.fromhex("ae 00"))  # trailing octet


media_types = st.one_of(
    st.sampled_from(sorted(CONTENT_TYPES.values())),
    st.from_regex(r"\A[a-z]{1,8}/[a-z0-9.+-]{1,20}\Z"),
)
parameters = st.lists(
    st.one_of(
        st.tuples(st.just("charset"), st.sampled_from(["utf-8", "us-ascii", "iso-8859-1"])),
        st.tuples(
            st.sampled_from(["name", "filename", "start", "comment"]), st.text("abc<>.", min_size=1)
        ),
        st.tuples(st.just("type"), media_types),
        st.tuples(st.from_regex(r"\Ax-[a-z]{1,6}\Z"), st.from_regex(r"\A[a-z]{1,6}\Z")),
    ),
    max_size=4,
)


@given(media_types, parameters)
def test_property_content_type_round_trip(media: str, params: list[tuple[str, str]]) -> None:
    content_type = ContentType(media_type=media, parameters=tuple(params))
    raw = encode_content_type(content_type)
    decoded = decode_content_type(raw)
    assert decoded.media_type.lower() == media.lower()
    assert decoded.parameters == content_type.parameters
    for cut in range(len(raw)):
        with pytest.raises(DecodeError):
            decode_content_type(raw[:cut])


# --- headers (§8.4.2.6, Table 39) ---------------------------------------------------------


@pytest.mark.parametrize("vector", VECTORS["header"], ids=_ids(VECTORS["header"]))
def test_header_vectors(vector: dict[str, Any]) -> None:
    raw = _hex(vector)
    header = _header(vector)
    assert encode_header(header) == raw
    assert decode_headers(raw) == (header,)
    for cut in range(1, len(raw)):
        with pytest.raises(DecodeError):
            decode_headers(raw[:cut])


def test_header_field_table() -> None:
    # WSP Table 39 spot checks and HTTP spellings.
    assert HeaderField.CONTENT_LOCATION == 0x0E
    assert HeaderField.X_WAP_APPLICATION_ID == 0x2F
    assert HeaderField.CONTENT_ID == 0x40
    assert FIELD_NAMES[0x2F] == "X-Wap-Application-Id"
    assert FIELD_NAMES[0x13] == "ETag"
    assert len(FIELD_NAMES) == 0x48


def test_uninterpreted_header_kept_verbatim() -> None:
    # Cache-Control (0x08) with no-cache (0x80): kept as its encoded value.
    raw = bytes.fromhex("88 80 c5 05 81 02 03 04 05")
    headers = decode_headers(raw)
    assert headers == (
        Header(name="Cache-Control", value=b"\x80"),
        Header(name="Content-Disposition", value=bytes.fromhex("0581 02030405")),
    )
    assert encode_headers(headers) == raw.replace(b"\xc5", b"\xae")


def test_header_errors() -> None:
    with pytest.raises(EncodeError):
        encode_header(Header(name="Content-Length", value="ten"))
    with pytest.raises(EncodeError):
        encode_header(Header(name="X-Custom", value=3))
    with pytest.raises(DecodeError):
        decode_headers(bytes.fromhex("7f 02"))  # code page shift
    with pytest.raises(DecodeError):
        decode_headers(bytes.fromhex("c9 00"))  # 0x49 is not in Table 39


headers = st.one_of(
    st.builds(
        Header,
        name=st.sampled_from(["Content-Location", "X-Wap-Initiator-URI", "Content-ID"]),
        value=st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")),
    ),
    st.builds(
        Header,
        name=st.sampled_from(["Content-Length", "X-Wap-Application-Id"]),
        value=st.integers(0, 2**40),
    ),
    st.builds(
        Header,
        name=st.sampled_from(["Date", "Expires"]),
        value=st.datetimes(
            min_value=datetime(1970, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
        ).map(lambda d: d.replace(microsecond=0)),
    ),
    st.builds(
        Header,
        name=st.from_regex(r"\AX-[A-Za-z]{1,10}\Z"),
        value=st.from_regex(r"\A[ -~]{0,20}\Z"),
    ),
)


@given(st.lists(headers, max_size=5))
def test_property_headers_round_trip(values: list[Header]) -> None:
    # Content-ID text starting with '"' would read back as a Quoted-string without it.
    values = [h for h in values if not (isinstance(h.value, str) and h.value.startswith('"'))]
    raw = encode_headers(values)
    assert decode_headers(raw) == tuple(values)


# --- the Push PDU (§8.2.4.1) --------------------------------------------------------------


@pytest.mark.parametrize("vector", VECTORS["push"], ids=_ids(VECTORS["push"]))
def test_push_vectors(vector: dict[str, Any]) -> None:
    raw = _hex(vector)
    headers = ()
    if "application_id" in vector:
        headers = (Header(name="X-Wap-Application-Id", value=vector["application_id"]),)
    pdu = PushPdu(
        transaction_id=vector["transaction_id"],
        content_type=_content_type(vector),
        headers=headers,
        data=_hex(vector, "data"),
    )
    assert encode_push(pdu) == raw
    assert decode_push(raw) == pdu


@pytest.mark.parametrize("vector", VECTORS["push"], ids=_ids(VECTORS["push"]))
def test_push_split_at_every_offset(vector: dict[str, Any]) -> None:
    """A cut inside the header section is a DecodeError; a cut in the data shortens it."""
    raw = _hex(vector)
    body_start = len(raw) - len(_hex(vector, "data"))
    for cut in range(len(raw)):
        if cut < body_start:
            with pytest.raises(DecodeError):
                decode_push(raw[:cut])
        else:
            assert decode_push(raw[:cut]).data == raw[body_start:cut]


@pytest.mark.parametrize("vector", VECTORS["malformed"], ids=_ids(VECTORS["malformed"]))
def test_push_malformed(vector: dict[str, Any]) -> None:
    with pytest.raises(DecodeError):
        decode_push(_hex(vector))


def test_push_connection_mode_and_confirmed() -> None:
    pdu = PushPdu(
        transaction_id=None,
        pdu_type=PduType.CONFIRMED_PUSH,
        content_type=ContentType(media_type="text/plain"),
        data=b"hi",
    )
    raw = encode_push(pdu)
    assert raw == bytes.fromhex("07 01 83") + b"hi"
    assert decode_push(raw, connectionless=False) == pdu
    with pytest.raises(EncodeError):
        encode_push(PushPdu(transaction_id=256, content_type=pdu.content_type, data=b""))
    with pytest.raises(EncodeError):
        encode_push(PushPdu(pdu_type=PduType.GET, content_type=pdu.content_type, data=b""))


@given(st.lists(headers, max_size=4), st.binary(max_size=300), st.integers(0, 255), media_types)
def test_property_push_round_trip(values: list[Header], data: bytes, tid: int, media: str) -> None:
    values = [h for h in values if not (isinstance(h.value, str) and h.value.startswith('"'))]
    pdu = PushPdu(
        transaction_id=tid,
        content_type=ContentType(media_type=media),
        headers=tuple(values),
        data=data,
    )
    decoded = decode_push(encode_push(pdu))
    assert decoded.headers == pdu.headers
    assert decoded.data == data
    assert decoded.content_type.media_type.lower() == media.lower()


@given(st.binary(max_size=200))
def test_property_decode_raises_only_decode_error(data: bytes) -> None:
    with contextlib.suppress(DecodeError):
        decode_push(data)
    with contextlib.suppress(DecodeError):
        decode_headers(data)
    with contextlib.suppress(DecodeError):
        decode_content_type(data)


# --- purity (STYLE.md §7 rule 1) -----------------------------------------------------------


def test_wap_modules_are_pure() -> None:
    import ast

    import heliograph.wire.wap as package

    forbidden = {"asyncio", "socket", "time", "random", "logging", "os", "sqlite3", "threading"}
    modules = sorted(Path(package.__file__).parent.glob("*.py"))
    assert len(modules) >= 4
    for module in modules:
        source = module.read_text(encoding="utf-8")
        assert source.startswith('"""'), f"{module.name}: module docstring"
        for node in ast.walk(ast.parse(source)):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            assert not {n.split(".")[0] for n in names} & forbidden, module.name
