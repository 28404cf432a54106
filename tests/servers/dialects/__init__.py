"""Seed dialects in process: a Gateway on the in-memory store, its HTTP app and a test client.

Shared by the dialect test modules (``in_process()``, and ``running()`` for the
whole gateway on real sockets), with a recorder for
callbacks that arrive by GET (``GetSink``), which ``tests.support.callback_sink``
does not take.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from heliograph.app import Gateway
from heliograph.config import (
    Config,
    ConnectorConfig,
    HttpConfig,
    SmppConfig,
    SmppTlvConfig,
    SmtpConfig,
    StoreConfig,
)
from heliograph.domain.ids import AccountId
from heliograph.domain.messages import MessageView
from heliograph.servers.http.app import build_app
from heliograph.services.accounts import NewAccount
from heliograph.store.base import MessageFilter
from tests.support.clock import FakeClock


@dataclass
class Dialect:
    client: TestClient  # type: ignore[type-arg]
    gateway: Gateway
    account: NewAccount
    clock: FakeClock

    async def stored(self) -> list[MessageView]:
        views, _ = await self.gateway.messages.list(
            AccountId(self.account.account.id), MessageFilter(), cursor=None, limit=1000
        )
        return views


@asynccontextmanager
async def in_process(
    tmp_path: Path,
    *,
    callback_url: str | None = None,
    connectors: tuple[ConnectorConfig, ...] = (ConnectorConfig(name="loopback"),),
    smpp_tlvs: tuple[SmppTlvConfig, ...] = (),
) -> AsyncIterator[Dialect]:
    """The clock starts at the wall clock: dialects schedule relative to it."""
    clock = FakeClock(start=time.time())
    cfg = Config(
        data_dir=str(tmp_path),
        store=StoreConfig(url="memory://"),
        connectors=connectors,
        smpp_tlvs=smpp_tlvs,
    )
    gateway = Gateway(cfg, clock=clock)
    await gateway.store.open()
    account = await gateway.create_account("alice", callback_url=callback_url)
    app = build_app(gateway.http_services(), max_body_bytes=64 * 1024)
    try:
        async with TestClient(TestServer(app)) as client:
            yield Dialect(client, gateway, account, clock)
    finally:
        await gateway.store.close()


@asynccontextmanager
async def running(tmp_path: Path) -> AsyncIterator[Gateway]:
    """The whole gateway on ephemeral ports, with a loopback SMSC that answers quickly."""
    cfg = Config(
        data_dir=str(tmp_path),
        http=HttpConfig(port=0),
        smpp=SmppConfig(enabled=False),
        smtp=SmtpConfig(enabled=False),
        store=StoreConfig(url=f"sqlite:///{tmp_path / 'gw.sqlite3'}", synchronous="normal"),
        connectors=(ConnectorConfig(name="loopback", receipt_delay_s=0.05),),
    )
    gateway = Gateway(cfg)
    stop = asyncio.Event()
    task = asyncio.create_task(gateway.run(stop))
    await asyncio.wait_for(gateway.ready.wait(), 10)
    try:
        yield gateway
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)


@dataclass
class GetSink:
    """An HTTP server on 127.0.0.1:0 that records the GET requests it receives."""

    received: list[web.Request] = field(default_factory=list)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    base: str = ""
    _runner: web.AppRunner | None = None

    async def _handle(self, request: web.Request) -> web.Response:
        async with self.changed:
            self.received.append(request)
            self.changed.notify_all()
        return web.Response(text="ok")

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base = f"http://127.0.0.1:{port}"

    async def wait_for(
        self, predicate: Callable[[list[web.Request]], bool], within_s: float = 10.0
    ) -> list[web.Request]:
        async def check() -> None:
            async with self.changed:
                await self.changed.wait_for(lambda: predicate(self.received))

        await asyncio.wait_for(check(), within_s)
        return self.received

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
