"""WAP Push over SMS: push PDUs for SI, SL and MMS notifications, and their SMS parts.

Wireshark's tshark is the independent decoder: our PDUs go in a pcap of exported PDUs
(link type 252, written here with the stdlib), either straight to its connectionless WSP
dissector or inside SMPP submit_sm frames, where tshark parses the UDH, reassembles the
parts and hands the datagram on port 2948 to WSP, WBXML and MMSE. It must decode them
without a malformed-packet or warning expert item. Those tests skip, with the reason
shown, when tshark is not installed.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import tomllib
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heliograph.wire.errors import EncodeError
from heliograph.wire.gsm.udh import decode_udh
from heliograph.wire.smpp.codec import encode as encode_smpp
from heliograph.wire.smpp.pdus import SubmitSm
from heliograph.wire.wap.content_types import ContentType
from heliograph.wire.wap.headers import Header, PushApplicationId
from heliograph.wire.wap.push import (
    WAP_PUSH_PORT,
    WSP_CONNECTIONLESS_PORT,
    mms_notification_push,
    push_parts,
    push_pdu,
    si_push,
    sl_push,
)
from heliograph.wire.wap.si import Action, ServiceIndication, decode_si
from heliograph.wire.wap.sl import ServiceLoading, SlAction, decode_sl
from heliograph.wire.wap.wsp import decode_push

VECTORS: dict[str, list[dict[str, Any]]] = tomllib.loads(
    (Path(__file__).parent.parent / "vectors" / "wsp.toml").read_text(encoding="utf-8")
)
PUSH = {v["id"]: v for v in VECTORS["push"]}
TSHARK = shutil.which("tshark")
needs_tshark = pytest.mark.skipif(
    TSHARK is None, reason="tshark not installed (apt-get install tshark)"
)

_LINKTYPE_WIRESHARK_UPPER_PDU = 252
_EXP_PDU_TAG_PROTO_NAME = 12


def _hex(value: str) -> bytes:
    return bytes.fromhex(value.replace(" ", ""))


def tshark_packets(payloads: list[bytes], dissector: str, tmp_path: Path) -> list[ET.Element]:
    """tshark's PDML for each payload, handed to ``dissector`` (exported PDU pcap)."""
    assert TSHARK is not None
    name = dissector.encode()
    tag = struct.pack(">HH", _EXP_PDU_TAG_PROTO_NAME, len(name)) + name + b"\0\0\0\0"
    pcap = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 252))
    for seconds, payload in enumerate(payloads, 1):
        record = tag + payload
        pcap += struct.pack("<IIII", seconds, 0, len(record), len(record)) + record
    path = tmp_path / "capture.pcap"
    path.write_bytes(bytes(pcap))
    result = subprocess.run(
        [TSHARK, "-n", "-r", str(path), "-T", "pdml"],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return ET.fromstring(result.stdout).findall("packet")


def shown(packet: ET.Element, name: str) -> list[str]:
    """The ``show`` values of every field called ``name`` in the packet."""
    return [f.get("show", "") for f in packet.iter("field") if f.get("name") == name]


def assert_well_formed(packet: ET.Element) -> None:
    malformed = [p.get("showname") for p in packet.iter() if p.get("name") == "_ws.malformed"]
    assert not malformed, malformed
    severities = shown(packet, "_ws.expert.severity")
    assert not [s for s in severities if s not in ("2097152", "4194304")], (
        severities,
        shown(packet, "_ws.expert.message"),
    )


def submit_sm_frames(pdu: bytes, reference: int) -> list[bytes]:
    """The SMPP submit_sm frames (esm_class UDHI) carrying ``pdu`` as WAP push parts."""
    split = push_parts(pdu, reference=reference)
    return [
        encode_smpp(
            SubmitSm(
                source_addr="12345",
                destination_addr="447700900123",
                esm_class=0x40,
                data_coding=split.data_coding,
                short_message=part.udh + part.payload,
            ),
            sequence_number=seq,
        )
        for seq, part in enumerate(split.parts, 1)
    ]


# --- builders ------------------------------------------------------------------------------

WAP167_SI = ServiceIndication(
    href="http://www.xyz.com/email/123/abc.wml",
    created=datetime.fromisoformat("1999-06-25T15:23:15Z"),
    si_expires=datetime.fromisoformat("1999-06-30T00:00:00Z"),
    text="You have 4 new emails",
)


def test_si_push_matches_vector() -> None:
    vector = PUSH["si_push_charset"]
    assert si_push(WAP167_SI, transaction_id=1, charset=True) == _hex(vector["hex"])
    short = si_push(WAP167_SI, transaction_id=1)
    assert short[:4] == bytes.fromhex("010601ae")  # §8.4.2.24 Constrained-media
    assert decode_si(decode_push(short).data) == WAP167_SI


def test_sl_push_matches_vector() -> None:
    sl = ServiceLoading(href="http://www.xyz.com/ppaid/123/abc.wml")
    assert sl_push(sl, transaction_id=0x2A) == _hex(PUSH["sl_push"]["hex"])
    assert decode_sl(decode_push(sl_push(sl)).data) == sl


def test_mms_notification_push_matches_vector() -> None:
    vector = PUSH["mms_notification_push"]
    raw = mms_notification_push(_hex(vector["data"]), transaction_id=0)
    assert raw == _hex(vector["hex"])
    assert decode_push(raw).headers == (
        Header(name="X-Wap-Application-Id", value=PushApplicationId.MMS_UA),
    )


def test_push_pdu_with_headers() -> None:
    raw = push_pdu(
        b"body",
        ContentType(media_type="text/plain", parameters=(("charset", "utf-8"),)),
        transaction_id=9,
        application_id="x-wap-application:wml.ua",
        headers=(Header(name="Content-Location", value="http://x/y"),),
    )
    pdu = decode_push(raw)
    assert pdu.transaction_id == 9
    assert pdu.headers == (
        Header(name="X-Wap-Application-Id", value="x-wap-application:wml.ua"),
        Header(name="Content-Location", value="http://x/y"),
    )
    assert pdu.data == b"body"


# --- SMS parts -----------------------------------------------------------------------------


def test_single_part_has_only_the_port_ie() -> None:
    split = push_parts(_hex(PUSH["si_push_charset"]["hex"]), reference=1)
    assert len(split.parts) == 1
    assert split.parts[0].udh.hex() == "0605040b8423f0"  # TS 23.040 §9.2.3.24.4
    assert split.data_coding == 0x04  # TS 23.038 §4: 8-bit data
    assert push_parts(b"x", reference=1, message_class=1).data_coding == 0x15  # class 1


def test_parts_carry_concatenation_and_ports() -> None:
    pdu = bytes(range(250)) * 2
    split = push_parts(pdu, reference=0x1234, ref16=True)
    assert len(split.parts) == 4
    assert b"".join(p.payload for p in split.parts) == pdu
    for seq, part in enumerate(split.parts, 1):
        header = decode_udh(part.udh)
        assert header.ports is not None
        assert (header.ports.destination, header.ports.source) == (2948, 9200)
        assert header.concatenation is not None
        assert (header.concatenation.seq, header.concatenation.total) == (seq, 4)
        assert header.concatenation.reference == 0x1234
        assert len(part.udh) + len(part.payload) <= 140
    assert (WAP_PUSH_PORT, WSP_CONNECTIONLESS_PORT) == (2948, 9200)


def test_too_many_parts() -> None:
    with pytest.raises(EncodeError):
        push_parts(bytes(1000), reference=1, max_parts=3)


@given(st.binary(min_size=1, max_size=3000), st.integers(0, 255))
def test_property_parts_rejoin(pdu: bytes, reference: int) -> None:
    split = push_parts(pdu, reference=reference)
    assert b"".join(p.payload for p in split.parts) == pdu
    assert all(len(p.udh) + len(p.payload) <= 140 for p in split.parts)
    ports = {decode_udh(p.udh).ports for p in split.parts}
    assert len(ports) == 1 and None not in ports


# --- tshark --------------------------------------------------------------------------------


@needs_tshark
def test_tshark_decodes_push_vectors(tmp_path: Path) -> None:
    vectors = [v for v in VECTORS["push"] if v.get("tshark")]
    packets = tshark_packets([_hex(v["hex"]) for v in vectors], "wsp-cl", tmp_path)
    assert len(packets) == len(vectors)
    for vector, packet in zip(vectors, packets, strict=True):
        assert_well_formed(packet)
        assert shown(packet, "wsp.pdu_type") == ["0x06"]
        assert shown(packet, "wsp.TID") == [f"0x{vector['transaction_id']:02x}"]
        assert shown(packet, "wsp.header.content_type") == [vector["media_type"]]
    si, sl, mms = packets
    assert shown(si, "wsp.parameter.charset") == ["UTF-8"]
    assert shown(si, "wbxml.public_id.known") == ["0x00000005"]
    assert shown(sl, "wbxml.public_id.known") == ["0x00000006"]
    assert shown(mms, "wsp.header.x_wap_application_id") == ["x-wap-application:mms.ua"]
    assert shown(mms, "mmse.message_type") == ["0x82"]
    assert shown(mms, "mmse.content_location") == ["http://x/m"]


@needs_tshark
def test_tshark_reassembles_a_long_si_sent_over_smpp(tmp_path: Path) -> None:
    si = ServiceIndication(
        href="https://www.example.org/" + "p" * 150,
        si_id="heliograph-1",
        action=Action.SIGNAL_HIGH,
        text="Your ticket is ready " * 5,
    )
    frames = submit_sm_frames(si_push(si, transaction_id=0x33), reference=0x42)
    assert len(frames) == 3
    packets = tshark_packets(frames, "smpp", tmp_path)
    for packet in packets:
        assert_well_formed(packet)
        assert shown(packet, "gsm_sms.destination_port") == ["2948"]
        assert shown(packet, "gsm_sms.originator_port") == ["9200"]
    last = packets[-1]
    assert shown(last, "gsm_sms_ud.reassembled.length") == [
        str(len(si_push(si, transaction_id=0x33)))
    ]
    assert shown(last, "wsp.TID") == ["0x33"]
    assert shown(last, "wsp.header.content_type") == ["application/vnd.wap.sic"]
    assert shown(last, "wbxml.public_id.known") == ["0x00000005"]
    rendered = " ".join(
        f.get("showname", "") for f in last.iter("field") if f.get("name", "").startswith("wbxml.")
    )
    for piece in ("href='https://www.'", "'.org/'", "si-id=", "'heliograph-1'", "signal-high"):
        assert piece in rendered


@needs_tshark
def test_tshark_decodes_sl_and_mms_notification_over_smpp(tmp_path: Path) -> None:
    sl = sl_push(ServiceLoading(href="http://a.example.net/x", action=SlAction.EXECUTE_HIGH))
    mms = mms_notification_push(_hex(PUSH["mms_notification_push"]["data"]), transaction_id=5)
    packets = tshark_packets(
        submit_sm_frames(sl, reference=1) + submit_sm_frames(mms, reference=2), "smpp", tmp_path
    )
    assert len(packets) == 2
    for packet in packets:
        assert_well_formed(packet)
    assert shown(packets[0], "wsp.header.content_type") == ["application/vnd.wap.slc"]
    assert shown(packets[0], "wbxml.public_id.known") == ["0x00000006"]
    assert shown(packets[1], "wsp.header.content_type") == ["application/vnd.wap.mms-message"]
    assert shown(packets[1], "mmse.message_type") == ["0x82"]
