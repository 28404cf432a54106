"""The whole gateway in process on ephemeral ports: submit → loopback → delivered → callback."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest

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
from heliograph.domain.accounts import verify_callback_signature
from tests.support.callback_sink import CallbackSink


def config(tmp_path: Path, **connector: object) -> Config:
    return Config(
        data_dir=str(tmp_path),
        http=HttpConfig(port=0),
        smpp=SmppConfig(enabled=False),
        smtp=SmtpConfig(enabled=False),
        store=StoreConfig(url=f"sqlite:///{tmp_path / 'gw.sqlite3'}", synchronous="normal"),
        connectors=(ConnectorConfig(name="loopback", receipt_delay_s=0.05, **connector),),  # type: ignore[arg-type]
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
async def sink() -> AsyncIterator[CallbackSink]:
    s = CallbackSink()
    await s.start()
    yield s
    await s.stop()


async def test_submit_reaches_delivered_with_signed_callbacks(
    tmp_path: Path, sink: CallbackSink
) -> None:
    async for gw in running(config(tmp_path)):
        new = await gw.create_account("client")
        url = f"http://127.0.0.1:{gw.http_port}"
        headers = {"Authorization": f"Bearer {new.api_key}"}
        async with aiohttp.ClientSession() as http:
            body = {
                "to": "+447700900123",
                "text": "hi",
                "callback_url": sink.url,
                "reference": "order-7",
            }
            async with http.post(url + "/v1/messages", json=body, headers=headers) as resp:
                assert resp.status == 202
                mid = (await resp.json())["messages"][0]["id"]
            # events are posted concurrently: they may arrive in any order
            received = await sink.wait_for(lambda got: len(got) >= 3)
            by_time = sorted(received, key=lambda r: (r.event["at"], r.event["previous_status"]))
            assert [r.event["status"] for r in by_time] == ["sending", "sent", "delivered"]
            assert [r.event["previous_status"] for r in by_time] == ["queued", "sending", "sent"]
            for r in received:
                assert r.event["id"] == mid and r.event["reference"] == "order-7"
                assert verify_callback_signature(
                    new.callback_secret, r.headers["X-Heliograph-Signature"], r.body, time.time()
                )
                assert not verify_callback_signature(
                    "whsec_wrong", r.headers["X-Heliograph-Signature"], r.body, time.time()
                )
            async with http.get(url + f"/v1/messages/{mid}", headers=headers) as resp:
                view = await resp.json()
            assert view["status"] == "delivered"
            assert view["parts"][0]["upstream_id"]


async def test_failed_callbacks_are_retried(tmp_path: Path, sink: CallbackSink) -> None:
    sink.fail_first = 1
    cfg = replace(config(tmp_path), callbacks=CallbacksConfig(backoff_base_s=0.05))
    async for gw in running(cfg):
        new = await gw.create_account("client")
        url = f"http://127.0.0.1:{gw.http_port}"
        async with aiohttp.ClientSession() as http:
            body = {"to": "+447700900123", "text": "hi", "callback_url": sink.url}
            async with http.post(
                url + "/v1/messages", json=body, headers={"Authorization": f"Bearer {new.api_key}"}
            ) as resp:
                assert resp.status == 202
        # the first POST failed: that event comes again, so all three arrive in the end
        received = await sink.wait_for(
            lambda got: {r.event["status"] for r in got} == {"sending", "sent", "delivered"}
        )
        assert len(received) == 3
        assert any(r.headers["X-Heliograph-Attempt"] == "2" for r in received)


async def test_undeliverable_ratio_reaches_undeliverable(
    tmp_path: Path, sink: CallbackSink
) -> None:
    async for gw in running(config(tmp_path, delivery_ratio=0.0)):
        new = await gw.create_account("client", callback_url=sink.url)
        url = f"http://127.0.0.1:{gw.http_port}"
        headers = {"Authorization": f"Bearer {new.api_key}"}
        async with aiohttp.ClientSession() as http:
            async with http.post(
                url + "/v1/messages", headers=headers, json={"to": "+447700900123", "text": "x"}
            ) as resp:
                mid = (await resp.json())["messages"][0]["id"]
            received = await sink.wait_for(
                lambda got: any(r.event["status"] == "undeliverable" for r in got)
            )
            assert received[-1].event["error"] == "001"
            async with http.get(url + f"/v1/messages/{mid}", headers=headers) as resp:
                view = await resp.json()
            assert view["status"] == "undeliverable"
            assert view["error"] == "001"
