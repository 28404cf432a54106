"""ESME → gateway (SMPP server) → SMPP connector → fake SMSC → receipt → deliver_sm to the ESME.

Also interoperability with an independent implementation: the ``smpplib``
client (PyPI) binds to our server, sends a long UCS-2 message in parts and
receives the receipts as deliver_sm.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import smpplib.client
import smpplib.consts
import smpplib.gsm
import uvloop

from heliograph.app import Gateway
from heliograph.config import (
    CallbacksConfig,
    Config,
    ConnectorConfig,
    HttpConfig,
    SmppConfig,
    SmtpConfig,
    StoreConfig,
)
from heliograph.connectors.smpp import SmppConnector
from heliograph.wire.gsm.udh import split_user_data
from heliograph.wire.receipt import parse_receipt
from heliograph.wire.smpp import tlv
from heliograph.wire.smpp.constants import EsmClass
from heliograph.wire.smpp.pdus import SubmitSm, SubmitSmResp
from tests.support.esme import Esme
from tests.support.fake_smsc import FakeSmsc

WAIT_S = 5.0


def config(tmp_path: Path, connector: ConnectorConfig) -> Config:
    return Config(
        data_dir=str(tmp_path),
        http=HttpConfig(port=0),
        smpp=SmppConfig(port=0),
        smtp=SmtpConfig(enabled=False),
        store=StoreConfig(url=f"sqlite:///{tmp_path / 'gw.sqlite3'}", synchronous="normal"),
        callbacks=CallbacksConfig(backoff_base_s=0.05, backoff_max_s=0.2),
        connectors=(connector,),
    )


async def running(cfg: Config) -> AsyncIterator[Gateway]:
    gateway = Gateway(cfg)
    stop = asyncio.Event()
    task = asyncio.create_task(gateway.run(stop))
    await asyncio.wait_for(gateway.ready.wait(), 10)
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
    monkeypatch.setenv("HG_PASSTHROUGH_PW", "secret")
    upstream = ConnectorConfig(
        name="upstream",
        type="smpp",
        host="127.0.0.1",
        port=smsc.port,
        system_id="esme",
        password_env="HG_PASSTHROUGH_PW",
        window=20,
    )
    async for g in running(config(tmp_path, upstream)):
        connector = g.connectors["upstream"]  # type: ignore[index]
        assert isinstance(connector, SmppConnector)
        await asyncio.wait_for(connector.until_ready(), WAIT_S)
        yield g


def smpp_port(gw: Gateway) -> int:
    assert gw.smpp is not None and gw.smpp.port is not None
    return gw.smpp.port


async def test_esme_message_goes_upstream_and_its_receipt_comes_back(
    gw: Gateway, smsc: FakeSmsc
) -> None:
    account = await gw.create_account("client")
    esme = await Esme.connect(smpp_port(gw))
    assert (await esme.bind(account.smpp_system_id, account.smpp_password)).command_status == 0
    text = "Größe ✓ " * 12  # UCS-2, 96 characters: two parts made by the gateway
    resp = await esme.request(
        SubmitSm(
            source_addr_ton=5,
            source_addr="Shop",
            dest_addr_ton=1,
            destination_addr="447700900123",
            data_coding=8,
            registered_delivery=1,
            short_message=text.encode("utf-16-be"),
        )
    )
    assert isinstance(resp, SubmitSmResp) and resp.command_status == 0
    receipt = await esme.next_deliver_sm()
    assert receipt.esm_class == EsmClass.SMSC_DELIVERY_RECEIPT
    assert parse_receipt(receipt.short_message).id == resp.message_id
    assert parse_receipt(receipt.short_message).stat == "DELIVRD"
    upstream = smsc.submitted
    assert len(upstream) == 2
    assert {p.source_addr for p in upstream} == {"Shop"}
    assert {p.destination_addr for p in upstream} == {"447700900123"}
    body = b"".join(split_user_data(p.short_message)[1] for p in upstream)
    assert body.decode("utf-16-be") == text
    esme.close()


async def test_client_segment_passes_upstream_verbatim(gw: Gateway, smsc: FakeSmsc) -> None:
    account = await gw.create_account("client")
    esme = await Esme.connect(smpp_port(gw))
    assert (await esme.bind(account.smpp_system_id, account.smpp_password)).command_status == 0
    user_data = bytes.fromhex("0500034c0202") + b"second half"
    resp = await esme.request(
        SubmitSm(
            dest_addr_ton=1,
            destination_addr="447700900123",
            esm_class=EsmClass.UDHI,
            registered_delivery=1,
            short_message=user_data,
        )
    )
    assert resp.command_status == 0
    await esme.next_deliver_sm()
    [pdu] = smsc.submitted
    assert pdu.short_message == user_data
    assert pdu.esm_class & EsmClass.UDHI
    esme.close()


def _smpplib_session(port: int, system_id: str, password: str, text: str) -> dict[str, object]:
    """A blocking smpplib client: bind, send ``text`` in parts, collect the receipts."""
    client = smpplib.client.Client("127.0.0.1", port, timeout=WAIT_S, allow_unknown_opt_params=True)
    sent: list[object] = []
    received: list[object] = []
    client.set_message_sent_handler(lambda pdu: sent.append(pdu))
    client.set_message_received_handler(lambda pdu: received.append(pdu))
    client.connect()
    try:
        client.bind_transceiver(system_id=system_id, password=password)
        parts, encoding, esm_class = smpplib.gsm.make_parts(text)
        for part in parts:
            client.send_message(
                source_addr_ton=smpplib.consts.SMPP_TON_ALNUM,
                source_addr="Interop",
                dest_addr_ton=smpplib.consts.SMPP_TON_INTL,
                dest_addr_npi=smpplib.consts.SMPP_NPI_ISDN,
                destination_addr="447700900777",
                short_message=part,
                data_coding=encoding,
                esm_class=esm_class,
                registered_delivery=True,
            )
        while len(sent) < len(parts) or len(received) < len(parts):
            client.read_once()
        client.unbind()
    finally:
        client.disconnect()
    return {"parts": parts, "sent": sent, "received": received, "encoding": encoding}


async def test_smpplib_client_binds_sends_long_ucs2_and_gets_receipts(
    gw: Gateway, smsc: FakeSmsc
) -> None:
    account = await gw.create_account("interop")
    text = "Привет, мир! Это длинное сообщение. " * 3  # UCS-2, 108 characters
    result = await asyncio.to_thread(
        _smpplib_session, smpp_port(gw), account.smpp_system_id, account.smpp_password, text
    )
    parts = result["parts"]
    assert isinstance(parts, list) and len(parts) == 2
    assert result["encoding"] == smpplib.consts.SMPP_ENCODING_ISO10646
    sent = result["sent"]
    received = result["received"]
    assert isinstance(sent, list) and isinstance(received, list)
    ids = {pdu.message_id.decode() for pdu in sent}  # type: ignore[attr-defined]
    assert all(pdu.status == 0 for pdu in sent)  # type: ignore[attr-defined]
    assert len(ids) == 2
    receipted = set()
    for pdu in received:
        assert int(pdu.esm_class) & EsmClass.SMSC_DELIVERY_RECEIPT  # type: ignore[attr-defined]
        receipted.add(parse_receipt(pdu.short_message).id)  # type: ignore[attr-defined]
    assert receipted == ids
    # what went upstream is the client's own parts, UDH and all
    upstream = [bytes(p.short_message) for p in smsc.submitted]
    assert sorted(upstream) == sorted(parts)
    body = b"".join(split_user_data(p)[1] for p in parts)
    assert body.decode("utf-16-be") == text
    for pdu in smsc.submitted:
        assert tlv.find(pdu.tlvs, tlv.MessagePayload) is None


def test_passthrough_under_uvloop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``heliograph serve`` runs on uvloop, whose transports are not asyncio.Transport."""
    monkeypatch.setenv("HG_PASSTHROUGH_PW", "secret")

    async def exchange(gw: Gateway) -> None:
        connector = gw.connectors["upstream"]  # type: ignore[index]
        assert isinstance(connector, SmppConnector)
        await asyncio.wait_for(connector.until_ready(), WAIT_S)
        account = await gw.create_account("client")
        esme = await Esme.connect(smpp_port(gw))
        try:
            bound = await esme.bind(account.smpp_system_id, account.smpp_password)
            assert bound.command_status == 0
            pdu = SubmitSm(
                destination_addr="447700900123", registered_delivery=1, short_message=b"uv"
            )
            resp = await esme.request(pdu)
            assert isinstance(resp, SubmitSmResp) and resp.command_status == 0
            receipt = await esme.next_deliver_sm()
            assert parse_receipt(receipt.short_message).id == resp.message_id
        finally:
            esme.close()

    async def scenario() -> None:
        smsc = FakeSmsc()
        await smsc.start()
        upstream = ConnectorConfig(
            name="upstream",
            type="smpp",
            host="127.0.0.1",
            port=smsc.port,
            system_id="esme",
            password_env="HG_PASSTHROUGH_PW",
        )
        gw = Gateway(config(tmp_path, upstream))
        stop = asyncio.Event()
        task = asyncio.create_task(gw.run(stop))
        try:
            await asyncio.wait_for(gw.ready.wait(), 10)
            await exchange(gw)
        finally:
            stop.set()
            await asyncio.wait_for(task, 20)
            await smsc.aclose()

    uvloop.run(scenario())
