"""GET /v1/cluster in process: a single-node gateway, and a node on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from heliograph.app import Gateway
from heliograph.config import Config, StoreConfig
from heliograph.servers.http import cluster as cluster_routes
from heliograph.servers.http.app import build_app
from heliograph.services.leases import ClusterService
from tests.conftest import drop_postgres_schema, postgres_dsn
from tests.support.clock import FakeClock

Client = TestClient[web.Request, web.Application]
Local = tuple[Gateway, Client, str]


async def serve(gateway: Gateway) -> Client:
    app = build_app(gateway.http_services())
    cluster_routes.add_routes(app, gateway.cluster.snapshot)
    client: Client = TestClient(TestServer(app))
    await client.start_server()
    return client


@pytest.fixture
async def local(tmp_path: Path) -> AsyncIterator[Local]:
    gateway = Gateway(Config(data_dir=str(tmp_path), store=StoreConfig(url="memory://")))
    await gateway.store.open()
    key = (await gateway.create_account("alice")).api_key
    client = await serve(gateway)
    try:
        yield gateway, client, key
    finally:
        await client.close()
        await gateway.store.close()


async def test_cluster_needs_an_api_key(local: Local) -> None:
    _, client, _ = local
    resp = await client.get("/v1/cluster")
    assert resp.status == 401
    assert (await resp.json())["error"]["code"] == "unauthorized"


async def test_cluster_of_a_single_node_gateway(local: Local) -> None:
    _, client, key = local
    resp = await client.get("/v1/cluster", headers={"Authorization": f"Bearer {key}"})
    assert resp.status == 200
    body = await resp.json()
    assert body["clustered"] is False
    assert [n["state"] for n in body["nodes"]] == ["alive"]
    assert body["nodes"][0]["id"] == body["node"]
    assert body["leases"] == []
    assert body["queue"] == {"scheduled": 0, "queued": 0, "sending": 0, "callbacks": 0}


@pytest.mark.skipif(
    not postgres_dsn(), reason="PostgreSQL store: set HELIOGRAPH_TEST_POSTGRES_DSN to run it"
)
async def test_cluster_of_a_postgres_node_shows_nodes_leases_and_queues(tmp_path: Path) -> None:
    schema = f"hg_test_{uuid.uuid4().hex[:16]}"
    url = f"{postgres_dsn()}?schema={schema}&node=edge-1"
    clock = FakeClock()
    gateway = Gateway(Config(data_dir=str(tmp_path), store=StoreConfig(url=url)), clock=clock)
    await gateway.store.open(now=clock.now())  # type: ignore[call-arg]
    try:
        key = (await gateway.create_account("alice")).api_key
        assert isinstance(gateway.cluster, ClusterService)
        await gateway.cluster.tick()
        client = await serve(gateway)
        try:
            resp = await client.get("/v1/cluster", headers={"Authorization": f"Bearer {key}"})
            body = await resp.json()
        finally:
            await client.close()
        assert resp.status == 200
        assert body["clustered"] is True
        (node,) = body["nodes"]
        assert (node["name"], node["state"], node["leases"]) == ("edge-1", "alive", 1)
        assert node["id"] == body["node"]
        assert [(x["resource"], x["slot"]) for x in body["leases"]] == [("bind:loopback", 0)]
    finally:
        await gateway.store.close()
        await drop_postgres_schema(schema)
