"""Prices that settle on delivery, end to end: submit → loopback → receipt → balance."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest

from heliograph.config import CreditConfig
from tests.e2e.test_mt_roundtrip import config, running
from tests.support.callback_sink import CallbackSink

FINAL = {"delivered", "undeliverable"}


@pytest.fixture
async def sink() -> AsyncIterator[CallbackSink]:
    s = CallbackSink()
    await s.start()
    yield s
    await s.stop()


@pytest.mark.parametrize(
    ("delivery_ratio", "balance", "state"),
    [(1.0, "0.920000", "delivered"), (0.0, "1.000000", "undeliverable")],
)
async def test_reserved_price_follows_the_receipt(
    tmp_path: Path, sink: CallbackSink, delivery_ratio: float, balance: str, state: str
) -> None:
    cfg = replace(
        config(tmp_path, delivery_ratio=delivery_ratio), credit=CreditConfig(settle="delivery")
    )
    async for gw in running(cfg):
        new = await gw.create_account("client")
        await gw.store.set_price(None, "", 40_000)
        await gw.store.adjust_balance(new.account.id, 1_000_000, "top up", gw.clock.now())
        url = f"http://127.0.0.1:{gw.http_port}"
        headers = {"Authorization": f"Bearer {new.api_key}"}
        async with aiohttp.ClientSession() as http:
            body = {
                "to": ["+447700900123", "+447700900124"],
                "text": "hi",
                "callback_url": sink.url,
            }
            async with http.post(url + "/v1/messages", json=body, headers=headers) as resp:
                assert resp.status == 202, await resp.text()
            received = await sink.wait_for(
                lambda got: sum(r.event["status"] in FINAL for r in got) >= 2
            )
            assert {r.event["status"] for r in received if r.event["status"] in FINAL} == {state}
            async with http.get(url + "/v1/balance", headers=headers) as resp:
                answer = await resp.json()
        assert answer == {"balance": balance, "currency": "EUR", "reserved": "0.000000"}
        rows = await gw.store.ledger(new.account.id)
        assert sum(r.amount_micros for r in rows) == 1_000_000 - (
            2 * 40_000 if state == "delivered" else 0
        )
