"""The whole gateway in process with SMPP upstreams: REST → submit_sm → receipt → delivered."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from heliograph.app import Gateway
from heliograph.config import (
    Config,
    ConnectorConfig,
    DispatchConfig,
    HttpConfig,
    SmppConfig,
    SmtpConfig,
    StoreConfig,
)
from heliograph.connectors.smpp import SmppConnector
from tests.support.callback_sink import CallbackSink
from tests.support.fake_smsc import FakeSmsc
from tests.support.gateway_process import free_port


def smpp(name: str, port: int, **kw: object) -> ConnectorConfig:
    return ConnectorConfig(
        name=name,
        type="smpp",
        host="127.0.0.1",
        port=port,
        system_id="esme",
        password_env="HG_TEST_UPSTREAM_PW",
        reconnect_backoff_base_s=0.05,
        reconnect_backoff_max_s=0.2,
        window=50,
        **kw,  # type: ignore[arg-type]
    )


def config(tmp_path: Path, *connectors: ConnectorConfig) -> Config:
    return Config(
        data_dir=str(tmp_path),
        http=HttpConfig(port=0),
        smpp=SmppConfig(enabled=False),
        smtp=SmtpConfig(enabled=False),
        store=StoreConfig(url=f"sqlite:///{tmp_path / 'gw.sqlite3'}", synchronous="normal"),
        dispatch=DispatchConfig(backoff_base_s=0.05, backoff_max_s=0.2),
        connectors=connectors,
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


@pytest.fixture(autouse=True)
def upstream_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HG_TEST_UPSTREAM_PW", "secret")


@pytest.fixture
async def sink() -> AsyncIterator[CallbackSink]:
    s = CallbackSink()
    await s.start()
    yield s
    await s.stop()


@pytest.fixture
async def smsc() -> AsyncIterator[FakeSmsc]:
    s = FakeSmsc()
    await s.start()
    yield s
    await s.aclose()


async def submit(gw: Gateway, sink: CallbackSink, text: str) -> tuple[str, str]:
    new = await gw.create_account("client")
    url = f"http://127.0.0.1:{gw.http_port}"
    headers = {"Authorization": f"Bearer {new.api_key}"}
    body = {"to": "+447700900123", "text": text, "callback_url": sink.url}
    async with (
        aiohttp.ClientSession() as http,
        http.post(url + "/v1/messages", json=body, headers=headers) as resp,
    ):
        assert resp.status == 202, await resp.text()
        return (await resp.json())["messages"][0]["id"], new.api_key


async def view(gw: Gateway, mid: str, api_key: str) -> dict[str, object]:
    url = f"http://127.0.0.1:{gw.http_port}/v1/messages/{mid}"
    async with (
        aiohttp.ClientSession() as http,
        http.get(url, headers={"Authorization": f"Bearer {api_key}"}) as resp,
    ):
        return await resp.json()  # type: ignore[no-any-return]


async def test_rest_message_goes_out_over_smpp_and_is_delivered(
    tmp_path: Path, smsc: FakeSmsc, sink: CallbackSink
) -> None:
    async for gw in running(config(tmp_path, smpp("up", smsc.port))):
        connector = gw.connectors["up"]  # type: ignore[index]
        assert isinstance(connector, SmppConnector)
        await asyncio.wait_for(connector.until_ready(), 5)
        mid, key = await submit(gw, sink, "ünïcødé ✓ " * 10)  # UCS-2, two parts
        await sink.wait_for(lambda got: any(r.event["status"] == "delivered" for r in got))
        assert smsc.submitted_count == 2
        assert all(pdu.data_coding == 8 for pdu in smsc.submitted)
        got = await view(gw, mid, key)
        assert got["status"] == "delivered"
        parts = got["parts"]
        assert isinstance(parts, list)
        accepted = {i.lower().lstrip("0") for i in smsc.accepted_ids}
        assert {p["upstream_id"] for p in parts} == accepted


async def test_failover_to_second_connector_while_first_is_down(
    tmp_path: Path, smsc: FakeSmsc, sink: CallbackSink
) -> None:
    dead = smpp("first", free_port(), failover=("second",))
    cfg = config(tmp_path, dead, smpp("second", smsc.port))
    async for gw in running(cfg):
        second = gw.connectors["second"]  # type: ignore[index]
        assert isinstance(second, SmppConnector)
        await asyncio.wait_for(second.until_ready(), 5)
        assert not gw.connectors["first"].is_ready()  # type: ignore[index]
        mid, key = await submit(gw, sink, "hello")
        await sink.wait_for(lambda got: any(r.event["status"] == "delivered" for r in got))
        got = await view(gw, mid, key)
        parts = got["parts"]
        assert isinstance(parts, list)
        assert parts[0]["connector"] == "second"
