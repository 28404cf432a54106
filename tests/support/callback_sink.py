"""An HTTP server on 127.0.0.1:0 that records client callbacks."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Received:
    body: bytes
    headers: dict[str, str]

    @property
    def event(self) -> dict[str, Any]:
        return json.loads(self.body)  # type: ignore[no-any-return]


@dataclass
class CallbackSink:
    received: list[Received] = field(default_factory=list)
    fail_first: int = 0
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    url: str = ""
    _runner: web.AppRunner | None = None

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if self.fail_first > 0:
            self.fail_first -= 1
            return web.Response(status=503)
        async with self.changed:
            self.received.append(Received(body, dict(request.headers)))
            self.changed.notify_all()
        return web.Response(status=204)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/hook"

    async def wait_for(self, predicate: Any, within_s: float = 10.0) -> list[Received]:
        async def check() -> None:
            async with self.changed:
                await self.changed.wait_for(lambda: predicate(self.received))

        await asyncio.wait_for(check(), within_s)
        return self.received

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
