"""For the dialects' MO tests: a client web server on 127.0.0.1:0 that records every
request (GET or POST) and answers what the test says, and a whole gateway with an MO
route in a dialect's format to it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from aiohttp import web

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
from heliograph.domain.inbound import mo_route_spec
from heliograph.services.accounts import NewAccount

SHORT = "+447700900000"
SUB = "+447911123456"


@dataclass
class Seen:
    method: str
    path: str
    query: list[tuple[str, str]]
    body: bytes
    headers: dict[str, str]

    @property
    def params(self) -> dict[str, str]:
        return dict(self.query)

    @property
    def raw_query(self) -> str:
        return urlsplit(self.path).query


@dataclass
class Answer:
    body: bytes = b"ok"
    content_type: str = "text/plain"
    status: int = 200


@dataclass
class ClientSite:
    """Records requests; answers with ``answers`` in turn (for a path), then ``default``."""

    seen: list[Seen] = field(default_factory=list)
    answers: dict[str, list[Answer]] = field(default_factory=dict)
    default: Answer = field(default_factory=Answer)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    base: str = ""
    _runner: web.AppRunner | None = None

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        seen = Seen(
            method=request.method,
            path=request.path_qs,
            query=parse_qsl(request.query_string, keep_blank_values=True),
            body=body,
            headers=dict(request.headers),
        )
        queued = self.answers.get(request.path)
        answer = queued.pop(0) if queued else self.default
        async with self.changed:
            self.seen.append(seen)
            self.changed.notify_all()
        return web.Response(
            status=answer.status, body=answer.body, headers={"Content-Type": answer.content_type}
        )

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base = f"http://127.0.0.1:{port}"

    async def wait_for(
        self, predicate: Callable[[list[Seen]], bool], within_s: float = 10.0
    ) -> list[Seen]:
        async def check() -> None:
            async with self.changed:
                await self.changed.wait_for(lambda: predicate(self.seen))

        await asyncio.wait_for(check(), within_s)
        return list(self.seen)

    def on(self, path: str) -> list[Seen]:
        return [s for s in self.seen if urlsplit(s.path).path == path]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


@asynccontextmanager
async def client_site() -> AsyncIterator[ClientSite]:
    site = ClientSite()
    await site.start()
    try:
        yield site
    finally:
        await site.stop()


def config(tmp_path: Path) -> Config:
    return Config(
        data_dir=str(tmp_path),
        http=HttpConfig(port=0),
        smpp=SmppConfig(enabled=False),
        smtp=SmtpConfig(enabled=False),
        store=StoreConfig(url=f"sqlite:///{tmp_path / 'gw.sqlite3'}", synchronous="normal"),
        callbacks=CallbacksConfig(backoff_base_s=0.05, backoff_max_s=0.1),
        connectors=(ConnectorConfig(name="loopback", receipt_delay_s=0.02),),
    )


@dataclass
class Client:
    gateway: Gateway
    account: NewAccount

    async def mo(self, text: str, sender: str = SUB, to: str = SHORT) -> str:
        """A subscriber's MO through the loopback connector; returns its id."""
        made = await self.gateway.inbound.simulate(
            self.account.account, "loopback", sender, to, text
        )
        return made.id


@asynccontextmanager
async def mo_gateway(
    tmp_path: Path, url: str, format: str, *, callback_url: str | None = None
) -> AsyncIterator[Client]:
    """A running gateway whose account "shop" has its MO to SHORT routed to ``url``."""
    gateway = Gateway(config(tmp_path))
    stop = asyncio.Event()
    task = asyncio.create_task(gateway.run(stop))
    await asyncio.wait_for(gateway.ready.wait(), 10)
    try:
        account = await gateway.create_account("shop", callback_url=callback_url)
        spec = mo_route_spec(SHORT, url=url, format=format)
        await gateway.store.add_mo_route(spec, account.account.id, time.time())
        yield Client(gateway, account)
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)
