"""Fixtures of the HTTP edge tests: a gateway on the in-memory store behind aiohttp's client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp.test_utils import TestClient, TestServer

from heliograph.app import Gateway
from heliograph.config import Config, StoreConfig
from heliograph.servers.http.app import build_app
from tests.support.clock import FakeClock


@dataclass
class Api:
    client: TestClient  # type: ignore[type-arg]
    gateway: Gateway
    key: str
    other_key: str
    clock: FakeClock

    def auth(self, key: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {key or self.key}"}


@pytest.fixture
async def api(tmp_path: object) -> AsyncIterator[Api]:
    clock = FakeClock()
    cfg = Config(data_dir=str(tmp_path), store=StoreConfig(url="memory://"))
    gateway = Gateway(cfg, clock=clock)
    await gateway.store.open()
    first = await gateway.create_account("alice")
    second = await gateway.create_account("bob")
    app = build_app(gateway.http_services(), max_body_bytes=64 * 1024)
    async with TestClient(TestServer(app)) as client:
        yield Api(client, gateway, first.api_key, second.api_key, clock)
    await gateway.store.close()


async def post(api: Api, body: object, **headers: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    resp = await api.client.post("/v1/messages", json=body, headers={**api.auth(), **headers})
    return resp.status, await resp.json()
