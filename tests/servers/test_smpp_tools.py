"""Tools for users: ``heliograph pdu decode``, GET /v1/connectors, the CLI and /metrics."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from typer.testing import CliRunner

from heliograph.app import Gateway
from heliograph.cli import app as cli
from heliograph.config import (
    Config,
    ConnectorConfig,
    HttpConfig,
    SmppConfig,
    SmtpConfig,
    StoreConfig,
)
from heliograph.connectors.smpp import SmppConnector
from heliograph.servers.smpp.describe import describe_pdu, parse_hex
from heliograph.wire.errors import DecodeError
from heliograph.wire.smpp import tlv
from heliograph.wire.smpp.codec import encode
from heliograph.wire.smpp.constants import CommandStatus
from heliograph.wire.smpp.pdus import BindTransmitter, DeliverSm, SubmitSm
from tests.support.esme import Esme
from tests.support.fake_smsc import FakeSmsc

# SMPP 3.4 §4.11: enquire_link, sequence_number 1
ENQUIRE_LINK = "00000010 00000015 00000000 00000001"


def test_parse_hex_accepts_spaces_colons_and_0x() -> None:
    assert parse_hex("0x00 00:00 10\n00") == bytes.fromhex("0000001000")
    with pytest.raises(ValueError, match="odd"):
        parse_hex("000")
    with pytest.raises(ValueError, match="not hex"):
        parse_hex("zz")


def test_describe_submit_sm_with_udh_names_every_field() -> None:
    pdu = SubmitSm(
        source_addr_ton=5,
        source_addr="Shop",
        dest_addr_ton=1,
        dest_addr_npi=1,
        destination_addr="447700900001",
        esm_class=0x40,
        registered_delivery=1,
        data_coding=8,
        short_message=bytes.fromhex("050003070201") + "Привет".encode("utf-16-be"),
    )
    title, rows = describe_pdu(encode(pdu, 9))
    assert title.startswith("submit_sm (0x00000004")
    table = {r.field: (r.value, r.meaning) for r in rows}
    assert table["sequence_number"] == ("9", "")
    assert table["command_status"] == ("0x00000000", "ESME_ROK")
    assert table["source_addr_ton"] == ("5", "ALPHANUMERIC")
    assert table["data_coding"] == ("8", "UCS2")
    assert table["  UDH"] == ("05 00 03 07 02 01", "part 1 of 2, ref 7")
    assert table["  text"] == ("'Привет'", "")


def test_describe_receipt_reads_its_text_and_tlvs() -> None:
    pdu = DeliverSm(
        esm_class=0x04,
        short_message=b"id:ABC sub:001 dlvrd:001 stat:DELIVRD err:000 text:",
        tlvs=(tlv.ReceiptedMessageId(value="ABC"), tlv.MessageState(value=2)),
    )
    _, rows = describe_pdu(encode(pdu, 3))
    table = {r.field: (r.value, r.meaning) for r in rows}
    assert table["  receipt"] == ("id ABC", "stat DELIVRD, err 000")
    assert table["tlv message_state (0x0427)"] == ("2", "DELIVERED")
    assert table["tlv receipted_message_id (0x001e)"] == ("'ABC'", "")
    assert table["esm_class"][1] == "default mode, SMSC delivery receipt"


def test_describe_redacts_bind_password() -> None:
    _, rows = describe_pdu(encode(BindTransmitter(system_id="me", password="secret"), 1))
    assert ("password", "***") in {(r.field, r.value) for r in rows}


def test_describe_refuses_a_bad_frame_with_its_status() -> None:
    with pytest.raises(DecodeError) as info:
        describe_pdu(parse_hex("00000011 00000015 00000000 00000001"))
    assert info.value.status == CommandStatus.ESME_RINVCMDLEN


def test_cli_pdu_decode() -> None:
    runner = CliRunner()
    ok = runner.invoke(cli, ["pdu", "decode", ENQUIRE_LINK])
    assert ok.exit_code == 0, ok.output
    assert "enquire_link" in ok.output and "ESME_ROK" in ok.output
    bad = runner.invoke(cli, ["pdu", "decode", "00000011000000150000000000000001"])
    assert bad.exit_code == 1
    assert "ESME_RINVCMDLEN" in bad.output
    junk = runner.invoke(cli, ["pdu", "decode", "xyz"])
    assert junk.exit_code == 2


# --- a running gateway ------------------------------------------------------------------


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
    monkeypatch.setenv("HG_TOOLS_PW", "secret")
    cfg = Config(
        data_dir=str(tmp_path),
        http=HttpConfig(port=0),
        smpp=SmppConfig(port=0),
        smtp=SmtpConfig(enabled=False),
        store=StoreConfig(url=f"sqlite:///{tmp_path / 'gw.sqlite3'}", synchronous="normal"),
        connectors=(
            ConnectorConfig(
                name="up",
                type="smpp",
                host="127.0.0.1",
                port=smsc.port,
                system_id="esme",
                password_env="HG_TOOLS_PW",
                window=7,
            ),
            ConnectorConfig(name="sim"),
        ),
    )
    gateway = Gateway(cfg)
    stop = asyncio.Event()
    task = asyncio.create_task(gateway.run(stop))
    try:
        await asyncio.wait_for(gateway.ready.wait(), 10)
        up = gateway.connectors["up"]  # type: ignore[index]
        assert isinstance(up, SmppConnector)
        await asyncio.wait_for(up.until_ready(), 5)
        yield gateway
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)


async def get(gw: Gateway, path: str, api_key: str) -> tuple[int, str]:
    url = f"http://127.0.0.1:{gw.http_port}{path}"
    async with (
        aiohttp.ClientSession() as http,
        http.get(url, headers={"Authorization": f"Bearer {api_key}"}) as resp,
    ):
        return resp.status, await resp.text()


async def test_connectors_endpoint_cli_and_metrics(gw: Gateway) -> None:
    assert gw.smpp is not None and gw.smpp.port is not None
    other_key = (await gw.create_account("other")).api_key
    admin_key = json.loads((Path(gw.cfg.data_dir) / "admin-credentials.json").read_text())[
        "api_key"
    ]
    client = await gw.create_account("client")
    esme = await Esme.connect(gw.smpp.port)
    assert (await esme.bind(client.smpp_system_id, client.smpp_password)).command_status == 0
    status, _ = await get(gw, "/v1/connectors", "wrong")
    assert status == 401

    async with (
        aiohttp.ClientSession() as http,
        http.get(
            f"http://127.0.0.1:{gw.http_port}/v1/connectors",
            headers={"Authorization": f"Bearer {client.api_key}"},
        ) as resp,
    ):
        assert resp.status == 200
        body = await resp.json()
    up, sim = body["connectors"]
    assert (up["id"], up["type"], up["ready"]) == ("up", "smpp", True)
    [bind] = up["binds"]
    assert (bind["state"], bind["mode"], bind["window"]) == ("bound", "transceiver", 7)
    assert (sim["id"], sim["binds"]) == ("sim", [])
    assert body["smpp_server"] is True
    [mine] = body["client_binds"]
    assert (mine["account"], mine["name"], mine["state"]) == ("client", "client", "bound_trx")

    _, other = await get(gw, "/v1/connectors", other_key)
    assert '"client_binds":[]' in other  # another account does not see this client's bind
    _, admin = await get(gw, "/v1/connectors", admin_key)
    assert '"account":"client"' in admin  # the admin account sees every client bind

    result = await asyncio.to_thread(
        CliRunner().invoke,
        cli,
        ["connectors", "--url", f"http://127.0.0.1:{gw.http_port}", "--api-key", client.api_key],
    )
    assert result.exit_code == 0, result.output
    assert "bound" in result.output and "client" in result.output

    _, metrics = await get(gw, "/metrics", client.api_key)
    assert 'heliograph_binds{owner="connector:up",state="bound"} 1.0' in metrics
    assert 'heliograph_binds{owner="smpp-server",state="bound_trx"} 1.0' in metrics
    esme.close()
