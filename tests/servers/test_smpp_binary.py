"""8-bit binary submit_sm over a real socket (SMPP 3.4 §5.2.19, TS 23.038 §4).

The whole gateway runs in process as in ``test_smpp_server.py`` (whose
fixtures these tests share); what was stored is read back from the SQLite file.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from heliograph.app import Gateway
from heliograph.services.accounts import NewAccount
from heliograph.wire.smpp import tlv
from heliograph.wire.smpp.constants import CommandStatus, EsmClass
from heliograph.wire.smpp.pdus import SubmitSm, SubmitSmResp
from tests.servers import test_smpp_server as harness
from tests.support.esme import Esme

gw, account, esme, submit = harness.gw, harness.account, harness.esme, harness.submit

S = CommandStatus
LATER = "000000010000000R"  # in an hour: the message stays in the store as it was planned


def row(tmp_path: Path, message_id: str) -> tuple[object, ...]:
    with sqlite3.connect(tmp_path / "gw.sqlite3") as conn:
        found = conn.execute(
            "SELECT encoding, data_coding, parts, payload, udh, dest_port FROM messages"
            " WHERE id = ?",
            (message_id,),
        ).fetchone()
    assert found is not None
    return tuple(found)


async def accepted(esme: Esme, pdu: SubmitSm) -> str:
    resp = await esme.request(pdu)
    assert isinstance(resp, SubmitSmResp)
    assert resp.command_status == 0, hex(resp.command_status)
    return resp.message_id


@pytest.mark.parametrize("dcs", [0x02, 0xF4, 0xF5, 0x16])
async def test_binary_submit_is_carried_as_binary_content(
    tmp_path: Path, esme: Esme, dcs: int
) -> None:
    data = bytes(range(256))[:100]
    message_id = await accepted(
        esme, submit(data_coding=dcs, short_message=data, schedule_delivery_time=LATER)
    )
    assert row(tmp_path, message_id) == ("binary", dcs, 1, data, None, None)


async def test_binary_with_port_udh_keeps_the_clients_udh(tmp_path: Path, esme: Esme) -> None:
    udh = bytes.fromhex("0605040b8423f0")  # WAP push ports, TS 23.040 §9.2.3.24.4
    body = b"\x01\x06\x03\xae\x81\xea"
    message_id = await accepted(
        esme,
        submit(
            data_coding=4,
            esm_class=EsmClass.UDHI,
            short_message=udh + body,
            schedule_delivery_time=LATER,
        ),
    )
    assert row(tmp_path, message_id) == ("binary", 4, 1, body, udh, None)


async def test_client_segmented_binary_by_sar_tlvs(tmp_path: Path, esme: Esme) -> None:
    sar = (
        tlv.SarMsgRefNum(value=7),
        tlv.SarTotalSegments(value=2),
        tlv.SarSegmentSeqnum(value=1),
    )
    message_id = await accepted(
        esme,
        submit(data_coding=2, short_message=b"\xff" * 134, tlvs=sar, schedule_delivery_time=LATER),
    )
    assert row(tmp_path, message_id) == (
        "binary",
        2,
        1,
        b"\xff" * 134,
        bytes.fromhex("050003070201"),
        None,
    )


async def test_long_binary_payload_is_split_by_the_gateway(tmp_path: Path, esme: Esme) -> None:
    data = b"\xab" * 300  # 134 octets per part behind the concatenation UDH
    message_id = await accepted(
        esme,
        submit(
            data_coding=0xF6,
            short_message=b"",
            tlvs=(tlv.MessagePayload(value=data),),
            schedule_delivery_time=LATER,
        ),
    )
    assert row(tmp_path, message_id) == ("binary", 0xF6, 3, data, None, None)


async def test_data_coding_4_without_udh_is_still_latin1_text(
    gw: Gateway, account: NewAccount, esme: Esme
) -> None:
    message_id = await accepted(esme, submit(data_coding=4, short_message="café".encode("latin-1")))
    view = await gw.messages.get(account.account.id, message_id)  # type: ignore[arg-type]
    assert view.text == "café"


@pytest.mark.parametrize(
    ("pdu", "status"),
    [
        # UDHL says 9 octets, 3 follow
        (
            submit(data_coding=2, esm_class=EsmClass.UDHI, short_message=b"\x09\x00\x03"),
            "RINVESMCLASS",
        ),
        # the client's UDH and its data exceed one SMS
        (
            submit(
                data_coding=2,
                esm_class=EsmClass.UDHI,
                short_message=bytes.fromhex("050003010201") + b"\x00" * 135,
            ),
            "RINVMSGLEN",
        ),
        (submit(data_coding=2, short_message=b""), "RINVMSGLEN"),
        (submit(data_coding=0x05, short_message=b"\x01"), "RINVDCS"),
    ],
    ids=["udhl-too-long", "segment-too-long", "empty", "jis"],
)
async def test_bad_binary_is_refused_and_nothing_is_stored(
    tmp_path: Path, esme: Esme, pdu: SubmitSm, status: str
) -> None:
    resp = await esme.request(pdu)
    assert resp.command_status == S[f"ESME_{status}"]
    with sqlite3.connect(tmp_path / "gw.sqlite3") as conn:
        assert conn.execute("SELECT count(*) FROM messages").fetchone() == (0,)
