"""[[listeners]]: a dialect (or some paths) on an HTTP listener of its own, over real sockets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import aiohttp
import pytest

from heliograph.app import Gateway
from heliograph.config import (
    Config,
    ConfigError,
    ConnectorConfig,
    HttpConfig,
    ListenerConfig,
    SmppConfig,
    SmtpConfig,
    StoreConfig,
    load,
)
from heliograph.services.accounts import NewAccount

WAIT_S = 10.0


@pytest.fixture
async def gateway(tmp_path: Path) -> AsyncIterator[tuple[Gateway, NewAccount]]:
    cfg = Config(
        data_dir=str(tmp_path),
        http=HttpConfig(port=0),
        smpp=SmppConfig(enabled=False),
        smtp=SmtpConfig(enabled=False),
        store=StoreConfig(url=f"sqlite:///{tmp_path / 'gw.sqlite3'}", synchronous="normal"),
        connectors=(ConnectorConfig(name="loopback", receipt_delay_s=0.05),),
        listeners=(
            ListenerConfig(name="ozeki", port=0, dialect="ozeki"),
            ListenerConfig(name="ops", port=0, paths=("/v1/health", "/metrics")),
        ),
    )
    gw = Gateway(cfg)
    stop = asyncio.Event()
    task = asyncio.create_task(gw.run(stop))
    await asyncio.wait_for(gw.ready.wait(), WAIT_S)
    try:
        yield gw, await gw.create_account("alice")
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)


async def get(port: int, path: str) -> tuple[int, str]:
    timeout = aiohttp.ClientTimeout(total=WAIT_S)
    async with (
        aiohttp.ClientSession(timeout=timeout) as http,
        http.get(f"http://127.0.0.1:{port}{path}") as resp,
    ):
        return resp.status, await resp.text()


async def test_a_dialect_on_a_listener_of_its_own(gateway: tuple[Gateway, NewAccount]) -> None:
    gw, account = gateway
    port = gw.listener_ports["ozeki"]
    assert port not in (0, gw.http_port)
    login = f"login={account.username}&password={quote(account.password)}"
    status, body = await get(port, f"/ozeki?{login}&recepient=%2B36201111245&messageData=hi")
    assert status == 200 and "<StatusText>Message accepted for delivery</StatusText>" in body
    status, body = await get(port, f"/api?action=sendmessage&{login}&recipient=%2B3620&x=1")
    assert status == 200 and "<response>" in body  # Ozeki NG's /api is part of the dialect
    assert (await get(port, "/v1/health"))[0] == 404
    assert (await get(port, "/cgi-bin/sendsms"))[0] == 404  # another dialect's path
    assert (await get(gw.http_port or 0, f"/ozeki?{login}&recepient=x&messageData=hi"))[0] == 200


async def test_paths_on_a_listener(gateway: tuple[Gateway, NewAccount]) -> None:
    gw, _ = gateway
    port = gw.listener_ports["ops"]
    assert (await get(port, "/v1/health"))[0] == 200
    status, body = await get(port, "/metrics")
    assert status == 200 and "heliograph_" in body
    assert (await get(port, "/v1/messages"))[0] == 404
    assert (await get(port, "/ozeki"))[0] == 404


async def test_listeners_close_at_shutdown(tmp_path: Path) -> None:
    cfg = Config(
        data_dir=str(tmp_path),
        http=HttpConfig(port=0),
        smpp=SmppConfig(enabled=False),
        smtp=SmtpConfig(enabled=False),
        store=StoreConfig(url="memory://"),
        listeners=(ListenerConfig(name="kannel", port=0, dialect="kannel"),),
    )
    gw = Gateway(cfg)
    stop = asyncio.Event()
    task = asyncio.create_task(gw.run(stop))
    await asyncio.wait_for(gw.ready.wait(), WAIT_S)
    port = gw.listener_ports["kannel"]
    assert (await get(port, "/cgi-bin/sendsms"))[0] != 404
    stop.set()
    await asyncio.wait_for(task, 20)
    with pytest.raises(aiohttp.ClientConnectionError):
        await get(port, "/cgi-bin/sendsms")


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[[listeners]]\nport = 9333\ndialect = 'ozeki'", "listeners[0].name: is required"),
        ("[[listeners]]\nname = 'a'\ndialect = 'ozeki'", "listeners[0].port: is required"),
        ("[[listeners]]\nname = 'a'\nport = 9333", "listeners[0]: give dialect"),
        (
            "[[listeners]]\nname = 'a'\nport = 9333\ndialect = 'smpp'",
            "listeners[0].dialect: must be one of csoft, kannel, mxtelecom, ozeki, smsc",
        ),
        ("[[listeners]]\nname = 'a'\nport = 9333\npaths = ['v1']", "listeners[0].paths: 'v1'"),
        ("[[listeners]]\nname = 'a'\nport = 8080\ndialect = 'ozeki'", "listeners[0].port: 8080"),
        (
            "[[listeners]]\nname = 'a'\nport = 9333\ndialect = 'ozeki'\n"
            "[[listeners]]\nname = 'a'\nport = 9334\ndialect = 'kannel'",
            "listeners[1].name: must be given and unique",
        ),
        (
            "[[listeners]]\nname = 'a'\nport = 9333\ndialect = 'ozeki'\n"
            "[[listeners]]\nname = 'b'\nport = 9333\ndialect = 'kannel'",
            "listeners[1].port: 9333 is already listeners[0].port",
        ),
        ("[[listeners]]\nname = 'a'\nport = 70000\ndialect = 'ozeki'", "listeners[0].port: must"),
        ("[[listeners]]\nname = 'a'\nport = 1\nhost = 1", "listeners[0].host: must be a string"),
        ("[[listeners]]\nname = 'a'\nport = 1\nwhat = 1", "listeners[0].what: unknown key"),
        ("listeners = 3", "listeners: must be an array of tables"),
    ],
)
def test_bad_listeners_name_the_key(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / "heliograph.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as info:
        load(str(path), env={})
    assert str(info.value).startswith(message)


def test_listeners_load(tmp_path: Path) -> None:
    path = tmp_path / "heliograph.toml"
    path.write_text(
        "[[listeners]]\nname = 'ozeki'\nport = 9333\ndialect = 'ozeki'\n"
        "[[listeners]]\nname = 'api'\nhost = '0.0.0.0'\nport = 9000\npaths = ['/v1/']\n"
    )
    cfg = load(str(path), env={})
    assert cfg.listeners == (
        ListenerConfig(name="ozeki", port=9333, dialect="ozeki"),
        ListenerConfig(name="api", host="0.0.0.0", port=9000, paths=("/v1/",)),
    )
