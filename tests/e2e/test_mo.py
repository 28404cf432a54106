"""The whole gateway on ephemeral ports: MO from a loopback connector to the account's
callback URL or SMPP receiver bind, STOP/HELP, test mode, and the command line."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from typer.testing import CliRunner, Result

from heliograph.app import Gateway
from heliograph.cli import app as cli
from heliograph.config import (
    Config,
    ConfigError,
    ConnectorConfig,
    HttpConfig,
    InboundConfig,
    SmppConfig,
    SmtpConfig,
    StoreConfig,
    load,
)
from heliograph.domain.accounts import verify_callback_signature
from heliograph.domain.ids import ConnectorId, MessageId
from heliograph.domain.inbound import mo_route_spec
from heliograph.domain.messages import MoMessage
from heliograph.wire.smpp.constants import CommandStatus
from heliograph.wire.smpp.pdus import BindReceiver, SubmitSm
from tests.support.callback_sink import CallbackSink
from tests.support.esme import Esme

SHORT = "+447700900000"
SUB = "+447911123456"
HELP_TEXT = "Shop: reply STOP to stop"


def config(tmp_path: Path) -> Config:
    return Config(
        data_dir=str(tmp_path),
        http=HttpConfig(port=0),
        smpp=SmppConfig(port=0),
        smtp=SmtpConfig(enabled=False),
        store=StoreConfig(url=f"sqlite:///{tmp_path / 'gw.sqlite3'}", synchronous="normal"),
        inbound=InboundConfig(help_text=HELP_TEXT),
        connectors=(ConnectorConfig(name="loopback", receipt_delay_s=0.02),),
    )


def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "h.toml"
    path.write_text(
        f'data_dir = "{tmp_path}"\n[store]\nurl = "sqlite:///{tmp_path / "gw.sqlite3"}"\n'
        'synchronous = "normal"\n'
    )
    return path


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
async def sink() -> AsyncIterator[CallbackSink]:
    s = CallbackSink()
    await s.start()
    yield s
    await s.stop()


async def run_cli(*args: str) -> Result:
    """The command line in a thread: it runs an event loop of its own."""
    return await asyncio.to_thread(CliRunner().invoke, cli, list(args))


class Client:
    def __init__(self, http: aiohttp.ClientSession, base: str, key: str) -> None:
        self.http = http
        self.base = base
        self.headers = {"Authorization": f"Bearer {key}"}

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        async with self.http.request(
            method, self.base + path, json=body, headers=self.headers
        ) as resp:
            return resp.status, await resp.json()


async def test_mo_by_http_with_stop_and_help_through_the_command_line(
    tmp_path: Path, sink: CallbackSink
) -> None:
    cfg_file = config_file(tmp_path)
    async for gw in running(config(tmp_path)):
        new = await gw.create_account("shop", callback_url=sink.url)
        added = await run_cli("routes", "mo", "add", SHORT, "shop", "--config", str(cfg_file))
        assert added.exit_code == 0, added.output
        url = f"http://127.0.0.1:{gw.http_port}"
        simulated = await run_cli(
            "simulate", "mo", "--from", SUB, "--to", SHORT, "--text", "Hello shop",
            "--url", url, "--api-key", new.api_key,
        )  # fmt: skip
        assert simulated.exit_code == 0, simulated.output
        [hello] = await sink.wait_for(lambda got: len(got) >= 1)
        assert hello.event["event"] == "message.received" and hello.event["text"] == "Hello shop"
        assert hello.event["from"] == SUB and hello.event["to"] == SHORT
        assert verify_callback_signature(
            new.callback_secret, hello.headers["X-Heliograph-Signature"], hello.body, time.time()
        )
        async with aiohttp.ClientSession() as http:
            client = Client(http, url, new.api_key)
            status, _ = await client.call(
                "POST", "/v1/simulate/mo", {"from": SUB, "to": SHORT, "text": "STOP"}
            )
            assert status == 202
            await sink.wait_for(lambda got: any(r.event.get("text") == "STOP" for r in got))
            _, optouts = await client.call("GET", "/v1/optouts")
            assert [o["number"] for o in optouts["optouts"]] == [SUB]
            _, answer = await client.call("POST", "/v1/messages", {"to": SUB, "text": "offer"})
            assert answer["messages"][0]["error"]["code"] == "opted_out"
            listed = await run_cli("optouts", "list", "shop", "--config", str(cfg_file))
            assert SUB in listed.output and "STOP" in listed.output
            await client.call(
                "POST", "/v1/simulate/mo", {"from": SUB, "to": SHORT, "text": "start"}
            )
            await client.call("POST", "/v1/simulate/mo", {"from": SUB, "to": SHORT, "text": "help"})
            delivered = await sink.wait_for(
                lambda got: any(r.event.get("status") == "delivered" for r in got)
            )
            reply = next(r.event for r in delivered if r.event.get("status") == "delivered")
            _, view = await client.call("GET", f"/v1/messages/{reply['id']}")
            assert view["to"] == SUB and view["from"] == SHORT and view["text"] == HELP_TEXT
            _, optouts = await client.call("GET", "/v1/optouts")
            assert optouts["optouts"] == []


async def test_mo_by_smpp_reaches_the_receiver_bind(tmp_path: Path) -> None:
    async for gw in running(config(tmp_path)):
        new = await gw.create_account("shop")
        await gw.store.add_mo_route(
            mo_route_spec(SHORT, keyword="pizza", method="smpp"), new.account.id, time.time()
        )
        assert gw.smpp is not None and gw.smpp.port is not None
        esme = await Esme.connect(gw.smpp.port)
        try:
            bound = await esme.bind(new.smpp_system_id, new.smpp_password, kind=BindReceiver)
            assert bound.command_status == 0
            async with aiohttp.ClientSession() as http:
                client = Client(http, f"http://127.0.0.1:{gw.http_port}", new.api_key)
                status, _ = await client.call(
                    "POST", "/v1/simulate/mo", {"from": SUB, "to": SHORT, "text": "Pizza x2"}
                )
                assert status == 202
            pdu = await esme.next_deliver_sm(within_s=10)
            assert pdu.short_message == b"Pizza x2"
            assert pdu.source_addr == SUB.lstrip("+") and pdu.destination_addr == "447700900000"
        finally:
            esme.close()


async def test_stop_refuses_mt_on_smpp_with_its_own_status(tmp_path: Path) -> None:
    async for gw in running(config(tmp_path)):
        new = await gw.create_account("shop")
        await gw.store.add_mo_route(mo_route_spec(SHORT), new.account.id, time.time())
        stop = MoMessage(
            id=MessageId("01STOP"), connector=ConnectorId("loopback"), sender=SUB, to=SHORT,
            text="STOP", received_at=time.time(),
        )  # fmt: skip
        gw.inbound.accept(stop)
        await gw.inbound.flush()
        assert gw.smpp is not None and gw.smpp.port is not None
        esme = await Esme.connect(gw.smpp.port)
        try:
            assert (await esme.bind(new.smpp_system_id, new.smpp_password)).command_status == 0
            pdu = SubmitSm(
                source_addr="Shop", source_addr_ton=5, dest_addr_ton=1, dest_addr_npi=1,
                destination_addr=SUB.lstrip("+"), short_message=b"offer",
            )  # fmt: skip
            resp = await esme.request(pdu)
            assert resp.command_status == CommandStatus.ESME_RX_R_APPN
        finally:
            esme.close()


async def test_test_mode_is_priced_delivered_by_the_test_connector_and_free(
    tmp_path: Path, sink: CallbackSink
) -> None:
    async for gw in running(config(tmp_path)):
        new = await gw.create_account("shop", callback_url=sink.url)
        await gw.store.set_price(None, "44", 50_000)
        async with aiohttp.ClientSession() as http:
            client = Client(http, f"http://127.0.0.1:{gw.http_port}", new.api_key)
            status, answer = await client.call(
                "POST", "/v1/messages", {"to": SUB, "text": "hi", "test": True}
            )
            assert status == 202 and answer["test"] is True and answer["cost"] == "0.050000"
            status, refused = await client.call("POST", "/v1/messages", {"to": SUB, "text": "x"})
            assert refused["error"]["code"] == "insufficient_credit"
            await sink.wait_for(lambda got: any(r.event["status"] == "delivered" for r in got))
            _, view = await client.call("GET", f"/v1/messages/{answer['messages'][0]['id']}")
            assert view["status"] == "delivered" and view["test"] is True
            assert view["parts"][0]["connector"] == "test"
            _, stats = await client.call("GET", "/v1/stats")
            assert stats["test_messages"] == 1 and stats["cost"] == "0.000000"
            assert stats["by_connector"][0]["connector"] == "test"
            _, health = await client.call("GET", "/v1/health")
            assert "test" not in health["connectors"]
        loopback = gw.connectors[next(iter(gw.connectors))]
        assert loopback.submitted == 0


def test_inbound_configuration_is_read_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "h.toml"
    path.write_text(
        '[inbound]\nstop_keywords = ["HALT"]\nhelp_keywords = ["HILFE"]\nhelp_text = "Hilfe"\n'
    )
    cfg = load(str(path), env={})
    keywords = cfg.inbound.keywords()
    assert keywords is not None and keywords.stop == {"halt"} and keywords.help == {"hilfe"}
    assert cfg.inbound.help_text == "Hilfe"
    for body, key in (
        ('[inbound]\nstop_keywords = ["STOP NOW"]\n', "inbound.stop_keywords"),
        ('[inbound]\nstart_keywords = ["stop"]\n', "inbound.start_keywords"),
        ('[inbound]\nhelp_text = ""\n', "inbound.help_text"),
        ("[inbound]\nkeywords = 1\n", "inbound.keywords"),
        ('[[connectors]]\nname = "test"\n', "connectors[0].name"),
    ):
        path.write_text(body)
        with pytest.raises(ConfigError) as info:
            load(str(path), env={})
        assert info.value.key == key
    path.write_text("[inbound]\noptout = false\n")
    assert load(str(path), env={}).inbound.keywords() is None
