"""Rich content end to end: REST → SQLite → SMPP connector → fake SMSC, bytes checked by tshark.

The submit_sm frames the fake SMSC receives are re-encoded and handed to Wireshark's
SMPP dissector (exported-PDU pcap), which parses the UDH ports, reassembles the parts
and decodes the WSP push and its WBXML; without tshark the same bytes go through our
own decoders and the tshark check is skipped with its reason.
"""

from __future__ import annotations

import asyncio
import base64
import io
import itertools
import os
import shutil
import struct
import subprocess
import time
import uuid
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from heliograph.app import Gateway
from heliograph.config import (
    Config,
    ConnectorConfig,
    HttpConfig,
    SmppConfig,
    SmtpConfig,
    StoreConfig,
)
from heliograph.connectors.smpp import SmppConnector
from heliograph.domain.accounts import Account, CredentialKind, secret_credential
from heliograph.domain.ids import AccountId
from heliograph.wire.gsm.udh import split_user_data
from heliograph.wire.mms.pdus import NotificationInd, RetrieveConf, decode_pdu
from heliograph.wire.ota.ringtone import decode_ringtone
from heliograph.wire.smpp.codec import encode as encode_smpp
from heliograph.wire.smpp.constants import EsmClass
from heliograph.wire.smpp.pdus import SubmitSm
from heliograph.wire.wap.si import decode_si
from heliograph.wire.wap.wsp import decode_push
from tests.support.callback_sink import CallbackSink
from tests.support.fake_smsc import FakeSmsc

WAIT_S = 10.0
_ACCOUNTS = itertools.count(1)
TSHARK = shutil.which("tshark")
needs_tshark = pytest.mark.skipif(
    TSHARK is None, reason="tshark not installed (apt-get install tshark)"
)


def _config(tmp_path: Path, connector: ConnectorConfig) -> Config:
    return Config(
        data_dir=str(tmp_path),
        http=HttpConfig(port=0),
        smpp=SmppConfig(enabled=False),
        smtp=SmtpConfig(enabled=False),
        store=StoreConfig(url=f"sqlite:///{tmp_path / 'gw.sqlite3'}", synchronous="normal"),
        connectors=(connector,),
    )


async def _running(cfg: Config) -> AsyncIterator[Gateway]:
    gateway = Gateway(cfg)
    stop = asyncio.Event()
    task = asyncio.create_task(gateway.run(stop))
    await asyncio.wait_for(gateway.ready.wait(), WAIT_S)
    try:
        yield gateway
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)


@pytest.fixture
async def smsc() -> AsyncIterator[FakeSmsc]:
    s = FakeSmsc()
    await s.start()
    yield s
    await s.aclose()


@pytest.fixture
async def gw(
    tmp_path: Path, smsc: FakeSmsc, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Gateway]:
    monkeypatch.setenv("HG_CONTENT_PW", "secret")
    upstream = ConnectorConfig(
        name="upstream",
        type="smpp",
        host="127.0.0.1",
        port=smsc.port,
        system_id="esme",
        password_env="HG_CONTENT_PW",
    )
    async for g in _running(_config(tmp_path, upstream)):
        connector = g.connectors["upstream"]  # type: ignore[index]
        assert isinstance(connector, SmppConnector)
        await asyncio.wait_for(connector.until_ready(), WAIT_S)
        yield g


async def _send(gw: Gateway, body: dict[str, Any]) -> dict[str, Any]:
    account = await gw.create_account(f"client{next(_ACCOUNTS)}")
    url = f"http://127.0.0.1:{gw.http_port}/v1/messages"
    headers = {"Authorization": f"Bearer {account.api_key}"}
    async with (
        aiohttp.ClientSession() as http,
        http.post(url, json=body, headers=headers) as resp,
    ):
        answer: dict[str, Any] = await resp.json()
        assert resp.status == 202, answer
        return answer


def _tshark_smpp(frames: list[bytes], tmp_path: Path) -> list[ET.Element]:
    """tshark's PDML for each SMPP frame (exported-PDU pcap handed to the smpp dissector)."""
    assert TSHARK is not None
    name = b"smpp"
    tag = struct.pack(">HH", 12, len(name)) + name + b"\0\0\0\0"  # EXP_PDU_TAG_PROTO_NAME
    pcap = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 252))
    for seconds, frame in enumerate(frames, 1):
        record = tag + frame
        pcap += struct.pack("<IIII", seconds, 0, len(record), len(record)) + record
    path = tmp_path / "upstream.pcap"
    path.write_bytes(bytes(pcap))
    result = subprocess.run(
        [TSHARK, "-n", "-r", str(path), "-T", "pdml"],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return ET.fromstring(result.stdout).findall("packet")


def _shown(packet: ET.Element, name: str) -> list[str]:
    return [f.get("show", "") for f in packet.iter("field") if f.get("name") == name]


def _well_formed(packet: ET.Element) -> None:
    malformed = [p.get("showname") for p in packet.iter() if p.get("name") == "_ws.malformed"]
    assert not malformed, malformed
    severities = _shown(packet, "_ws.expert.severity")
    assert not [s for s in severities if s not in ("2097152", "4194304")], _shown(
        packet, "_ws.expert.message"
    )


SI = {
    "type": "wap_si",
    "href": "https://www.example.org/tickets/" + "a" * 120,
    "text": "Your ticket is ready, show it at the gate. " * 3,
    "action": "signal-high",
    "si_id": "ticket-42",
    "created": "2026-01-31T09:00:00Z",
}


async def _upstream(smsc: FakeSmsc, count: int) -> list[SubmitSm]:
    await smsc.wait_for(lambda: len(smsc.submitted) >= count, WAIT_S)
    return sorted(smsc.submitted, key=lambda p: split_user_data(p.short_message)[0].raw)


async def test_wap_si_reaches_the_smsc_as_a_wsp_push(gw: Gateway, smsc: FakeSmsc) -> None:
    answer = await _send(gw, {"to": "+447700900123", "content": SI})
    parts = answer["messages"][0]["parts"]
    assert parts > 1
    pdus = await _upstream(smsc, parts)
    assert len(pdus) == parts
    body = b""
    for pdu in pdus:
        assert pdu.esm_class & EsmClass.UDHI and pdu.data_coding == 0x04
        header, data = split_user_data(pdu.short_message)
        assert header.ports is not None
        assert (header.ports.destination, header.ports.source) == (2948, 9200)
        assert header.concatenation is not None and header.concatenation.total == parts
        assert len(pdu.short_message) <= 140
        body += data
    push = decode_push(body)
    assert push.content_type.media_type == "application/vnd.wap.sic"
    si = decode_si(push.data)
    assert (si.href, si.si_id, si.text) == (SI["href"], "ticket-42", SI["text"])


@needs_tshark
async def test_tshark_decodes_what_the_smsc_received(
    gw: Gateway, smsc: FakeSmsc, tmp_path: Path
) -> None:
    answer = await _send(gw, {"to": "+447700900123", "content": SI})
    pdus = await _upstream(smsc, answer["messages"][0]["parts"])
    frames = [encode_smpp(pdu, sequence_number=n) for n, pdu in enumerate(pdus, 1)]
    packets = await asyncio.to_thread(_tshark_smpp, frames, tmp_path)
    for packet in packets:
        _well_formed(packet)
        assert _shown(packet, "gsm_sms.destination_port") == ["2948"]
        assert _shown(packet, "gsm_sms.originator_port") == ["9200"]
    last = packets[-1]
    assert _shown(last, "wsp.header.content_type") == ["application/vnd.wap.sic"]
    assert _shown(last, "wbxml.public_id.known") == ["0x00000005"]
    rendered = " ".join(
        f.get("showname", "") for f in last.iter("field") if f.get("name", "").startswith("wbxml.")
    )
    for piece in ("'ticket-42'", "signal-high", "'.org/'"):
        assert piece in rendered


async def test_flash_ringtone_and_vcard_keep_their_coding(gw: Gateway, smsc: FakeSmsc) -> None:
    await _send(gw, {"to": "+447700900123", "text": "Flash!", "flash": True})
    await smsc.wait_for(lambda: len(smsc.submitted) >= 1, WAIT_S)
    (flash,) = smsc.submitted
    assert flash.data_coding == 0x10 and not flash.esm_class & EsmClass.UDHI
    tone = "fifth:d=4,o=5,b=63:8P,8G5,8G5,8G5,2D#5"
    await _send(gw, {"to": "+447700900124", "content": {"type": "ringtone", "rtttl": tone}})
    await smsc.wait_for(lambda: len(smsc.submitted) >= 2, WAIT_S)
    ring = smsc.submitted[1]
    header, data = split_user_data(ring.short_message)
    assert header.raw == bytes.fromhex("06050415811581")
    assert decode_ringtone(data).name == "fifth"
    assert ring.data_coding == 0x04 and ring.esm_class & EsmClass.UDHI


async def test_loopback_delivers_binary_content(tmp_path: Path) -> None:
    sink = CallbackSink()
    await sink.start()
    loop = ConnectorConfig(name="loopback", receipt_delay_s=0.01)
    try:
        async for g in _running(_config(tmp_path, loop)):
            vcard = "BEGIN:VCARD\nVERSION:2.1\nN:Smith;John\nEND:VCARD"
            body = {
                "to": "+447700900123",
                "content": {"type": "vcard", "text": vcard},
                "callback_url": sink.url,
            }
            await _send(g, body)
            got = await sink.wait_for(
                lambda got: any(r.event["status"] == "delivered" for r in got)
            )
            assert {r.event["status"] for r in got} >= {"sent", "delivered"}
    finally:
        await sink.stop()


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


GIF = bytes.fromhex(
    "47494638396101000100800000000000ffffff21f90401000000002c000000000100010000020144003b"
)


async def test_mms_is_notified_by_wap_push_and_fetched_by_the_handset(
    gw: Gateway, smsc: FakeSmsc, tmp_path: Path
) -> None:
    sink = CallbackSink()
    await sink.start()
    try:
        data = _zip({"smiley.gif": GIF, "hello.txt": b"Hello from Heliograph"})
        body = {
            "to": "+447700900123",
            "from": "+447700900999",
            "callback_url": sink.url,
            "content": {
                "type": "mms",
                "data": base64.b64encode(data).decode(),
                "file_name": "card.zip",
                "subject": "Greetings",
            },
        }
        answer = await _send(gw, body)
        mid = answer["messages"][0]["id"]
        pdus = await _upstream(smsc, answer["messages"][0]["parts"])
        push = decode_push(b"".join(split_user_data(p.short_message)[1] for p in pdus))
        assert push.content_type.media_type == "application/vnd.wap.mms-message"
        notification = decode_pdu(push.data)
        assert isinstance(notification, NotificationInd)
        url = notification.content_location
        assert url.startswith(f"http://127.0.0.1:{gw.http_port}/mms/") and url.endswith(mid)
        assert notification.subject == "Greetings"
        # the handset fetches the message over HTTP
        async with aiohttp.ClientSession() as http, http.get(url) as resp:
            assert resp.status == 200
            assert resp.headers["Content-Type"] == "application/vnd.wap.mms-message"
            fetched = await resp.read()
        assert len(fetched) == notification.message_size
        conf = decode_pdu(fetched)
        assert isinstance(conf, RetrieveConf)
        assert conf.subject == "Greetings" and conf.from_address == "+447700900999/TYPE=PLMN"
        assert conf.content_type.media_type == "application/vnd.wap.multipart.related"
        names = [p.content_location for p in conf.parts]
        assert names[0] == "smil.xml" and set(names[1:]) == {"smiley.gif", "hello.txt"}
        smil = conf.parts[0].data.decode()
        assert 'src="smiley.gif"' in smil and 'src="hello.txt"' in smil
        got = await sink.wait_for(lambda got: any(r.event["status"] == "delivered" for r in got))
        assert any(r.event["id"] == mid for r in got)
        # a wrong or guessed URL finds nothing
        async with aiohttp.ClientSession() as http:
            for wrong in (url[:-1] + "X", url.replace("/mms/", "/mms/a")):
                async with http.get(wrong) as resp:
                    assert resp.status == 404
        if TSHARK is not None:
            await asyncio.to_thread(_tshark_mms, fetched, tmp_path)
    finally:
        await sink.stop()


def _tshark_mms(pdu: bytes, tmp_path: Path) -> None:
    """tshark reads the fetch answer as HTTP carrying an MMS (its mmse dissector)."""
    assert TSHARK is not None
    answer = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.wap.mms-message\r\n"
        + b"Content-Length: %d\r\n\r\n" % len(pdu)
        + pdu
    )
    name = b"http"
    tag = struct.pack(">HH", 12, len(name)) + name + b"\0\0\0\0"
    pcap = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 252))
    record = tag + answer
    pcap += struct.pack("<IIII", 1, 0, len(record), len(record)) + record
    path = tmp_path / "mms.pcap"
    path.write_bytes(bytes(pcap))
    result = subprocess.run(
        [TSHARK, "-n", "-r", str(path), "-T", "pdml"], capture_output=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    (packet,) = ET.fromstring(result.stdout).findall("packet")
    _well_formed(packet)
    assert _shown(packet, "mmse.message_type") == ["0x84"]
    assert _shown(packet, "mmse.subject") == ["Greetings"]


async def test_csoft_seed_mms_is_sent_and_fetched(gw: Gateway, smsc: FakeSmsc) -> None:
    """The csoft document's smiley GIF MMS, replayed verbatim (its form body)."""
    from tests.servers.dialects.test_csoft import SEED_REQUESTS

    now = time.time()
    account = Account(
        id=AccountId(uuid.uuid4().hex),
        name="ANOther.12345",
        callback_url=None,
        callback_secret="whsec_test",
        created_at=now,
    )
    cred = secret_credential(
        account.id, CredentialKind.PIN, "ANOther.12345", "123456", os.urandom(16), now
    )
    await gw.store.create_account(account, [cred])
    form = SEED_REQUESTS["mms_smiley_gif"].partition("\n\n")[2]
    url = f"http://127.0.0.1:{gw.http_port}/webservices/http/sendmms"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    async with aiohttp.ClientSession() as http, http.post(url, data=form, headers=headers) as resp:
        assert await resp.text() == "-2 - Accepted by csoft: queued"
    (pdu,) = await _upstream(smsc, 1)
    notification = decode_pdu(decode_push(split_user_data(pdu.short_message)[1]).data)
    assert isinstance(notification, NotificationInd)
    assert notification.subject == "Hello"
    async with aiohttp.ClientSession() as http, http.get(notification.content_location) as resp:
        conf = decode_pdu(await resp.read())
    assert isinstance(conf, RetrieveConf)
    gif = next(p for p in conf.parts if p.content_location == "smiley1.gif")
    assert gif.content_type.media_type == "image/gif" and gif.data.startswith(b"GIF89a")


async def test_csoft_seed_wap_push_is_kept_sent_and_opened_in_the_browser(
    gw: Gateway, smsc: FakeSmsc
) -> None:
    """The csoft document's barcode JPEG by WAP Push, replayed verbatim: a Service
    Indication reaches the SMSC, its href serves the JPEG, and the file is kept in the
    library under the number the answer gives, to be sent again by MMSFileWAP."""
    from urllib.parse import parse_qs

    from tests.servers.dialects.test_csoft import SEED_REQUESTS

    now = time.time()
    account = Account(
        id=AccountId(uuid.uuid4().hex),
        name="ANOther.12345",
        callback_url=None,
        callback_secret="whsec_test",
        created_at=now,
    )
    cred = secret_credential(
        account.id, CredentialKind.PIN, "ANOther.12345", "123456", os.urandom(16), now
    )
    await gw.store.create_account(account, [cred])
    form = SEED_REQUESTS["wap_push_barcode"].partition("\n\n")[2]
    jpeg = bytes.fromhex(parse_qs(form)["WAPPushFileData1"][0])
    url = f"http://127.0.0.1:{gw.http_port}/webservices/http/sendmms"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    async with aiohttp.ClientSession() as http:
        async with http.post(url, data=form + "&ResponseFormat=1", headers=headers) as resp:
            answer = await resp.text()
        assert answer.startswith("MessageIdentifier=") and "&Report=%2D2&" in answer
        assert answer.endswith("&LibraryNumber=80000")
        (pdu,) = await _upstream(smsc, 1)
        si = decode_si(decode_push(split_user_data(pdu.short_message)[1]).data)
        assert si.text == "Your barcode ticket"
        assert si.href.startswith(f"http://127.0.0.1:{gw.http_port}/wap/")
        async with http.get(si.href) as resp:
            assert resp.status == 200 and resp.headers["Content-Type"] == "image/jpeg"
            assert await resp.read() == jpeg
        again = "Username=ANOther.12345&PIN=123456&SendTo=447700912345&MMSFileWAP=80000"
        async with http.post(url, data=again, headers=headers) as resp:
            assert await resp.text() == "-2 - Accepted by csoft: queued"
    assert len(await _upstream(smsc, 2)) == 2
