"""MMS encapsulation (OMA-MMS-ENC): header values, PDUs and multipart bodies.

Wireshark's tshark is the independent decoder: each PDU goes in an HTTP message with
Content-Type application/vnd.wap.mms-message (as between handset and MMS Proxy-Relay),
in a pcap of exported PDUs written here, and tshark's MMSE dissector must decode it
without a malformed-packet or warning expert item. Those tests skip, with the reason
shown, when tshark is not installed.
"""

from __future__ import annotations

import contextlib
import shutil
import struct
import subprocess
import tomllib
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heliograph.wire.errors import DecodeError, EncodeError
from heliograph.wire.mms import pdus
from heliograph.wire.mms.headers import MmsField, encode_field, read_field
from heliograph.wire.mms.multipart import Part, decode_multipart, encode_multipart
from heliograph.wire.mms.pdus import (
    AcknowledgeInd,
    DeliveryInd,
    NotificationInd,
    NotifyRespInd,
    RetrieveConf,
    SendConf,
    SendReq,
    decode_pdu,
    encode_pdu,
    phone_address,
)
from heliograph.wire.mms.values import (
    ContentClass,
    MessageClass,
    MessageType,
    Priority,
    ResponseStatus,
    RetrieveStatus,
    SenderVisibility,
    Status,
)
from heliograph.wire.wap.content_types import ContentType
from heliograph.wire.wap.encoding import ByteReader
from heliograph.wire.wap.headers import Header

VECTORS: dict[str, list[dict[str, Any]]] = tomllib.loads(
    (Path(__file__).parent.parent / "vectors" / "mms.toml").read_text(encoding="utf-8")
)
TSHARK = shutil.which("tshark")
needs_tshark = pytest.mark.skipif(
    TSHARK is None, reason="tshark not installed (apt-get install tshark)"
)
#: A 1x1 GIF89a, so the image part is a real image to tshark as well.
GIF = bytes.fromhex(
    "47494638396101000100800000000000ffffff21f90401000000002c000000000100010000020144003b"
)
RELATED = ContentType(
    media_type="application/vnd.wap.multipart.related",
    parameters=(("type", "application/smil"), ("start", "<smil>")),
)
SMIL = (
    b'<smil><head><layout><region id="Image" top="0" left="0" height="50%" width="100%"/>'
    b'<region id="Text" top="50%" left="0" height="50%" width="100%"/></layout></head>'
    b'<body><par dur="5000ms"><img src="smiley.gif" region="Image"/>'
    b'<text src="text.txt" region="Text"/></par></body></smil>'
)
PARTS = (
    Part(
        content_type=ContentType(media_type="application/smil"),
        headers=(
            Header(name="Content-ID", value="<smil>"),
            Header(name="Content-Location", value="smil.xml"),
        ),
        data=SMIL,
    ),
    Part(
        content_type=ContentType(media_type="image/gif", parameters=(("name", "smiley.gif"),)),
        headers=(
            Header(name="Content-ID", value="<smiley.gif>"),
            Header(name="Content-Location", value="smiley.gif"),
        ),
        data=GIF,
    ),
    Part(
        content_type=ContentType(media_type="text/plain", parameters=(("charset", "utf-8"),)),
        headers=(Header(name="Content-Location", value="text.txt"),),
        data=b"Have a nice day",
    ),
)


def _hex(value: str) -> bytes:
    return bytes.fromhex("".join(value.split()))


_ENUMS = {
    "message_class": MessageClass,
    "priority": Priority,
    "response_status": ResponseStatus,
    "retrieve_status": RetrieveStatus,
    "status": Status,
    "content_class": ContentClass,
    "sender_visibility": SenderVisibility,
}


def _content_type(table: dict[str, Any]) -> ContentType:
    parameters = tuple((k, v) for k, v in table.get("parameters", []))
    return ContentType(media_type=table["content_type"], parameters=parameters)


def _pdu(vector: dict[str, Any]) -> pdus.MmsPdu:
    values: dict[str, Any] = {}
    for key, value in vector.items():
        if key in ("id", "source", "type", "hex", "decode_only", "tshark", "parameters"):
            continue
        if key.endswith("_seconds"):
            values[key.removesuffix("_seconds")] = timedelta(seconds=value)
        elif key in ("date", "expiry", "delivery_time"):
            values[key] = datetime.fromisoformat(value)
        elif key in _ENUMS:
            values[key] = _ENUMS[key][value]
        elif key == "content_type":
            values[key] = _content_type(vector)
        elif key == "parts":
            values[key] = tuple(
                Part(
                    content_type=_content_type(p),
                    headers=tuple(Header(name=n, value=v) for n, v in p.get("headers", [])),
                    data=bytes.fromhex(p["data"]),
                )
                for p in value
            )
        elif key == "body":
            values[key] = bytes.fromhex(value)
        elif isinstance(value, list):  # to, cc, bcc, version
            values[key] = tuple(value)
        else:
            values[key] = value
    pdu: pdus.MmsPdu = getattr(pdus, vector["type"])(**values)
    return pdu


# --- tshark --------------------------------------------------------------------------------


def tshark_packets(payloads: list[bytes], tmp_path: Path) -> list[ET.Element]:
    """tshark's PDML for each payload, handed to its HTTP dissector (exported PDU pcap)."""
    assert TSHARK is not None
    tag = struct.pack(">HH", 12, 4) + b"http" + b"\0\0\0\0"
    pcap = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 252))
    for seconds, payload in enumerate(payloads, 1):
        record = tag + payload
        pcap += struct.pack("<IIII", seconds, 0, len(record), len(record)) + record
    path = tmp_path / "capture.pcap"
    path.write_bytes(bytes(pcap))
    result = subprocess.run(
        [TSHARK, "-n", "-r", str(path), "-T", "pdml"], capture_output=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    return ET.fromstring(result.stdout).findall("packet")


def http_message(pdu: bytes, *, request: bool) -> bytes:
    start = b"POST /mms HTTP/1.1\r\nHost: mmsc\r\n" if request else b"HTTP/1.1 200 OK\r\n"
    return (
        start
        + b"Content-Type: application/vnd.wap.mms-message\r\n"
        + b"Content-Length: %d\r\n\r\n" % len(pdu)
        + pdu
    )


def shown(packet: ET.Element, name: str) -> list[str]:
    return [f.get("show", "") for f in packet.iter("field") if f.get("name") == name]


def assert_well_formed(packet: ET.Element) -> None:
    malformed = [p.get("showname") for p in packet.iter() if p.get("name") == "_ws.malformed"]
    assert not malformed, malformed
    severities = shown(packet, "_ws.expert.severity")
    assert not [s for s in severities if s not in ("2097152", "4194304")], (
        severities,
        shown(packet, "_ws.expert.message"),
    )


# --- vectors -------------------------------------------------------------------------------

PDU_VECTORS = VECTORS["pdu"]


@pytest.mark.parametrize("vector", PDU_VECTORS, ids=[v["id"] for v in PDU_VECTORS])
def test_pdu_vectors(vector: dict[str, Any]) -> None:
    raw = _hex(vector["hex"])
    assert decode_pdu(raw) == _pdu(vector)
    if not vector.get("decode_only"):
        assert encode_pdu(_pdu(vector)) == raw


ENCODABLE = [v for v in PDU_VECTORS if not v.get("decode_only")]


@pytest.mark.parametrize("vector", ENCODABLE, ids=[v["id"] for v in ENCODABLE])
def test_pdu_split_at_every_offset(vector: dict[str, Any]) -> None:
    """A prefix either fails to decode or is a whole PDU ending on a field boundary."""
    raw = _hex(vector["hex"])
    for cut in range(len(raw)):
        try:
            pdu = decode_pdu(raw[:cut])
        except DecodeError:
            continue
        assert not vector.get("decode_only")
        assert encode_pdu(pdu) == raw[:cut]


@pytest.mark.parametrize(
    "vector", VECTORS["malformed"], ids=[v["id"] for v in VECTORS["malformed"]]
)
def test_malformed_pdus(vector: dict[str, Any]) -> None:
    with pytest.raises(DecodeError):
        decode_pdu(_hex(vector["hex"]))


@needs_tshark
def test_tshark_decodes_pdu_vectors(tmp_path: Path) -> None:
    vectors = [v for v in PDU_VECTORS if v.get("tshark")]
    requests = {"SendReq", "NotifyRespInd", "AcknowledgeInd"}
    messages = [http_message(_hex(v["hex"]), request=v["type"] in requests) for v in vectors]
    packets = tshark_packets(messages, tmp_path)
    assert len(packets) == len(vectors)
    for vector, packet in zip(vectors, packets, strict=True):
        assert_well_formed(packet)
        pdu = _pdu(vector)
        assert shown(packet, "mmse.message_type") == [f"0x{pdu.message_type:02x}"]
        if getattr(pdu, "transaction_id", None):
            assert shown(packet, "mmse.transaction_id") == [pdu.transaction_id]
        major, minor = pdu.version
        assert shown(packet, "mmse.mms_version") == [f"{major}.{minor}"]
        if isinstance(pdu, NotificationInd):
            assert shown(packet, "mmse.content_location") == [pdu.content_location]
            assert shown(packet, "mmse.message_size") == [str(pdu.message_size)]
        if isinstance(pdu, DeliveryInd):
            assert shown(packet, "mmse.to") == [pdu.to]
            assert shown(packet, "mmse.status") == [f"0x{pdu.status:02x}"]


# --- header values (§7.2, §7.3) ------------------------------------------------------------


def _field(raw: bytes) -> tuple[MmsField | str, Any]:
    reader = ByteReader(raw)
    field = read_field(reader)
    assert reader.at_end()
    return field


@pytest.mark.parametrize(
    ("field", "value", "octets"),
    [
        (MmsField.MMS_VERSION, (1, 0), "8d90"),
        (MmsField.MMS_VERSION, (1, 3), "8d93"),
        (MmsField.MESSAGE_TYPE, MessageType.M_RETRIEVE_CONF, "8c84"),
        (MmsField.FROM, None, "890181"),
        (MmsField.FROM, "a@b", "89 05 80 61406200"),
        (MmsField.EXPIRY, timedelta(hours=1), "88048102 0e10"),
        (MmsField.DELIVERY_TIME, datetime(1970, 1, 1, 0, 1, tzinfo=UTC), "87038001 3c"),
        (MmsField.MESSAGE_CLASS, "custom", "8a637573746f6d00"),
        (MmsField.SUBJECT, "é", "96 05 ea 7f c3a9 00"),  # Text-string keeps its Quote
        (MmsField.DELIVERY_REPORT, False, "8681"),
        (MmsField.MESSAGE_SIZE, 0, "8e0100"),
    ],
)
def test_field_encodings(field: MmsField, value: Any, octets: str) -> None:
    raw = _hex(octets)
    assert encode_field(field, value) == raw
    assert _field(raw) == (field, value)


def test_field_reading_variants() -> None:
    # §7.3.34: a version as text; minor 15 means none.
    assert _field(b"\x8d1.2\x00") == (MmsField.MMS_VERSION, (1, 2))
    assert _field(b"\x8d\x9f") == (MmsField.MMS_VERSION, (1, 0))
    # §7.2.9: Encoded-string-value in ISO-8859-1 and in UTF-16 (MIBenum 1015, with BOM).
    assert _field(_hex("96 03 84 e9 00")) == (MmsField.SUBJECT, "é")
    utf16 = "é".encode("utf-16") + b"\x00\x00"
    assert _field(_hex("96") + bytes((len(utf16) + 3,)) + _hex("02 03f7") + utf16) == (
        MmsField.SUBJECT,
        "é",
    )
    # Relative time as a Short-integer Integer-value.
    assert _field(_hex("88 02 81 85")) == (MmsField.EXPIRY, timedelta(seconds=5))
    # Application header: name and value as text.
    assert _field(b"X-Extra\x00yes\x00") == ("X-Extra", "yes")
    # A field not interpreted here keeps its encoded value.
    assert _field(_hex("a4 03 80 8a 00")) == (MmsField.MM_FLAGS, _hex("03 80 8a 00"))


def test_field_errors() -> None:
    with pytest.raises(EncodeError):
        encode_field(MmsField.MESSAGE_SIZE, "big")
    with pytest.raises(EncodeError):
        encode_field(MmsField.MMS_VERSION, (8, 0))
    with pytest.raises(EncodeError):
        encode_field(MmsField.EXPIRY, timedelta(seconds=-1))
    with pytest.raises(EncodeError):
        encode_field(MmsField.PRIORITY, 5)
    with pytest.raises(DecodeError):
        _field(_hex("88 02 82 85"))  # neither absolute nor relative
    with pytest.raises(DecodeError):
        _field(_hex("89 01 82"))  # From token
    with pytest.raises(DecodeError):
        _field(_hex("96 03 8f 61 00"))  # charset 15 is not registered here
    with pytest.raises(DecodeError):
        _field(_hex("8d 78 00"))  # version text "x"


def test_phone_address() -> None:
    assert phone_address("+447700900123") == "+447700900123/TYPE=PLMN"


def test_enum_tables() -> None:
    # §7.3.30, §7.3.48, §7.3.54 spot checks.
    assert MessageType.M_NOTIFICATION_IND == 0x82
    assert MessageType.M_DELIVERY_IND == 0x86
    assert ResponseStatus.ERROR_PERMANENT_LACK_OF_PREPAID == 235
    assert RetrieveStatus.ERROR_PERMANENT_CONTENT_UNSUPPORTED == 227
    assert Status.UNREACHABLE == 135
    assert MmsField.CONTENT_TYPE == 0x04 and MmsField.CANCEL_STATUS == 0x3F


# --- multipart (WAP-230 §8.5) --------------------------------------------------------------


def test_multipart_round_trip_and_accessors() -> None:
    raw = encode_multipart(PARTS)
    assert raw[0] == 3
    parts = decode_multipart(raw)
    assert parts == PARTS
    assert parts[0].content_id == "<smil>"
    assert parts[1].content_location == "smiley.gif"
    assert parts[2].content_id is None
    for cut in range(len(raw)):
        with pytest.raises(DecodeError):
            decode_multipart(raw[:cut])
    with pytest.raises(DecodeError):
        decode_multipart(raw + b"\x00")
    with pytest.raises(DecodeError):
        decode_multipart(_hex("8f7f 01 01 83"))  # far more entries than octets


def test_body_and_parts_rules() -> None:
    with pytest.raises(EncodeError):
        encode_pdu(SendReq(transaction_id="x", content_type=RELATED, body=b"raw"))
    with pytest.raises(EncodeError):
        encode_pdu(
            SendReq(
                transaction_id="x", content_type=ContentType(media_type="text/plain"), parts=PARTS
            )
        )


@needs_tshark
def test_tshark_decodes_a_picture_mms(tmp_path: Path) -> None:
    date = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    retrieve = RetrieveConf(
        transaction_id="heliograph-42",
        message_id="m-42",
        date=date,
        from_address=phone_address("+447700900123"),
        to=(phone_address("+447700900456"),),
        subject="Smiley",
        message_class=MessageClass.PERSONAL,
        priority=Priority.NORMAL,
        content_type=RELATED,
        parts=PARTS,
    )
    send = SendReq(
        transaction_id="s-1",
        to=(phone_address("+447700900456"), "someone@example.com"),
        subject="Smiley",
        expiry=timedelta(days=2),
        delivery_report=True,
        read_report=False,
        sender_visibility=SenderVisibility.SHOW,
        content_type=RELATED,
        parts=PARTS,
    )
    packets = tshark_packets(
        [
            http_message(encode_pdu(retrieve), request=False),
            http_message(encode_pdu(send), request=True),
        ],
        tmp_path,
    )
    for packet in packets:
        assert_well_formed(packet)
        assert shown(packet, "wsp.header.content_type")[0] == RELATED.media_type
        assert shown(packet, "wsp.parameter.upart.type") == ["application/smil"]
        assert shown(packet, "wsp.parameter.start") == ["<smil>"]
        assert shown(packet, "wsp.header.content_type")[1:] == [
            "application/smil",
            "image/gif",
            "text/plain",
        ]
        assert shown(packet, "wsp.header.content_location") == [
            "smil.xml",
            "smiley.gif",
            "text.txt",
        ]
        assert shown(packet, "mmse.subject") == ["Smiley"]
    retrieved, sent = packets
    assert shown(retrieved, "mmse.message_type") == ["0x84"]
    assert shown(retrieved, "mmse.from") == ["+447700900123/TYPE=PLMN"]
    assert shown(retrieved, "mmse.message_id") == ["m-42"]
    assert shown(sent, "mmse.message_type") == ["0x80"]
    assert shown(sent, "mmse.to") == ["+447700900456/TYPE=PLMN", "someone@example.com"]
    assert shown(sent, "mmse.from") == ["<insert address>"]


# --- properties ----------------------------------------------------------------------------

texts = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30
)
ids = st.from_regex(r"\A[A-Za-z0-9.@-]{1,20}\Z")
addresses = st.one_of(
    st.from_regex(r"\A\+[1-9][0-9]{6,14}\Z").map(phone_address),
    st.from_regex(r"\A[a-z]{1,8}@[a-z]{1,8}\.com\Z"),
)
dates = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=0))
times = st.one_of(dates, st.integers(0, 2**31).map(lambda s: timedelta(seconds=s)))
parts = st.lists(
    st.builds(
        Part,
        content_type=st.sampled_from(
            [
                ContentType(media_type="text/plain", parameters=(("charset", "utf-8"),)),
                ContentType(media_type="image/jpeg", parameters=(("name", "a.jpg"),)),
                ContentType(media_type="application/smil"),
                ContentType(media_type="audio/amr"),
            ]
        ),
        headers=st.lists(
            st.builds(
                Header,
                name=st.sampled_from(["Content-ID", "Content-Location"]),
                value=ids.map(lambda s: f"<{s}>"),
            ),
            max_size=2,
        ).map(tuple),
        data=st.binary(max_size=200),
    ),
    max_size=4,
).map(tuple)
maybe = st.none

pdu_strategy = st.one_of(
    st.builds(
        SendReq,
        transaction_id=ids,
        content_type=st.just(RELATED),
        parts=parts,
        to=st.lists(addresses, max_size=3).map(tuple),
        cc=st.lists(addresses, max_size=2).map(tuple),
        bcc=st.lists(addresses, max_size=2).map(tuple),
        from_address=maybe() | addresses,
        subject=maybe() | texts,
        date=maybe() | dates,
        message_class=maybe() | st.sampled_from(MessageClass) | st.from_regex(r"\A[a-z]{1,8}\Z"),
        expiry=maybe() | times,
        delivery_time=maybe() | times,
        priority=maybe() | st.sampled_from(Priority),
        sender_visibility=maybe() | st.sampled_from(SenderVisibility),
        delivery_report=maybe() | st.booleans(),
        read_report=maybe() | st.booleans(),
        version=st.tuples(st.integers(1, 7), st.integers(0, 14)),
    ),
    st.builds(
        SendConf,
        transaction_id=ids,
        response_status=st.sampled_from(ResponseStatus),
        response_text=maybe() | texts,
        message_id=maybe() | ids,
    ),
    st.builds(
        NotificationInd,
        transaction_id=ids,
        content_location=ids.map(lambda s: f"http://h/{s}"),
        message_size=st.integers(0, 2**40),
        expiry=times,
        message_class=st.sampled_from(MessageClass),
        from_address=maybe() | addresses,
        subject=maybe() | texts,
        delivery_report=maybe() | st.booleans(),
        priority=maybe() | st.sampled_from(Priority),
        content_class=maybe() | st.sampled_from(ContentClass),
    ),
    st.builds(NotifyRespInd, transaction_id=ids, status=st.sampled_from(Status)),
    st.builds(AcknowledgeInd, transaction_id=ids, report_allowed=maybe() | st.booleans()),
    st.builds(
        DeliveryInd,
        message_id=ids,
        to=addresses,
        date=dates,
        status=st.sampled_from(Status),
    ),
    st.builds(
        RetrieveConf,
        date=dates,
        content_type=st.just(RELATED),
        parts=parts,
        transaction_id=maybe() | ids,
        message_id=maybe() | ids,
        from_address=maybe() | addresses,
        to=st.lists(addresses, max_size=3).map(tuple),
        subject=maybe() | texts,
        retrieve_status=maybe() | st.sampled_from(RetrieveStatus),
        retrieve_text=maybe() | texts,
    ),
)


@given(pdu_strategy)
def test_property_pdu_round_trip(pdu: pdus.MmsPdu) -> None:
    raw = encode_pdu(pdu)
    assert decode_pdu(raw) == pdu


@given(st.binary(max_size=120))
def test_property_decode_raises_only_decode_error(data: bytes) -> None:
    with contextlib.suppress(DecodeError):
        decode_pdu(b"\x8c\x84\x8d\x92\x85\x01\x00" + data)
    with contextlib.suppress(DecodeError):
        decode_pdu(data)
    with contextlib.suppress(DecodeError):
        decode_multipart(data)


def test_replace_keeps_dataclass_frozen() -> None:
    notification = _pdu(PDU_VECTORS[0])
    assert isinstance(notification, NotificationInd)
    later = replace(notification, message_size=1)
    assert encode_pdu(later) != encode_pdu(notification)


# --- purity (STYLE.md §7 rule 1) -----------------------------------------------------------


def test_mms_modules_are_pure() -> None:
    import ast

    import heliograph.wire.mms as package

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
