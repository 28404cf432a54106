"""Accepted means durable: kill -9 under load, restart, and every accepted message finishes."""

from __future__ import annotations

import asyncio
import contextlib
import re
import urllib.request
from pathlib import Path

import aiohttp
import pytest

from tests.support.gateway_process import GatewayProcess, free_port

pytestmark = pytest.mark.slow

FINAL = {"delivered", "undeliverable", "expired", "rejected", "failed", "cancelled"}


async def submit_until_killed(gw: GatewayProcess, kill_after: int) -> set[str]:
    """Post batches; kill the gateway once ``kill_after`` ids are accepted. Returns accepted ids."""
    accepted: set[str] = set()
    headers = {"Authorization": f"Bearer {gw.api_key}"}
    stop = asyncio.Event()

    async def client(session: aiohttp.ClientSession, n: int) -> None:
        i = 0
        while not stop.is_set():
            to = [f"+4477{n}{i:03d}{k:04d}" for k in range(100)]
            i += 1
            try:
                async with session.post(
                    gw.url + "/v1/messages", headers=headers, json={"to": to, "text": "durable?"}
                ) as resp:
                    if resp.status == 202:
                        body = await resp.json()
                        accepted.update(m["id"] for m in body["messages"])
            except (aiohttp.ClientError, ConnectionError):
                return  # the gateway died under us: this request's answer never came
            if len(accepted) >= kill_after and not stop.is_set():
                stop.set()
                gw.kill()

    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(client(session, n) for n in range(4)))
    return accepted


async def statuses(gw: GatewayProcess) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {gw.api_key}"}
    found: dict[str, str] = {}
    cursor = ""
    async with aiohttp.ClientSession() as session:
        while True:
            url = gw.url + "/v1/messages?limit=1000" + (f"&cursor={cursor}" if cursor else "")
            async with session.get(url, headers=headers) as resp:
                page = await resp.json()
            found.update({m["id"]: m["status"] for m in page["messages"]})
            cursor = page["next_cursor"]
            if not cursor:
                return found


def resent(gw: GatewayProcess) -> float:
    text = urllib.request.urlopen(gw.url + "/metrics").read().decode()
    match = re.search(r"^heliograph_parts_resent_total ([0-9.]+)$", text, re.M)
    assert match
    return float(match[1])


async def test_kill_9_under_load_loses_no_accepted_message(tmp_path: Path) -> None:
    gw = GatewayProcess(tmp_path, free_port())
    gw.write_config('[[connectors]]\nname = "loopback"\nreceipt_delay_s = 0.3\n')
    gw.start()
    try:
        accepted = await submit_until_killed(gw, kill_after=3000)
        assert len(accepted) >= 3000
        gw.start()
        for _ in range(300):
            found = await statuses(gw)
            if all(found.get(mid) in FINAL for mid in accepted):
                break
            await asyncio.sleep(0.1)
        missing = accepted - found.keys()
        assert not missing, f"{len(missing)} accepted messages lost"
        assert {found[mid] for mid in accepted} == {"delivered"}
        count = resent(gw)
        assert re.search(r"(\d+) parts were in flight", gw.log()) or count == 0
    finally:
        with contextlib.suppress(Exception):
            gw.terminate()


async def test_sigterm_shuts_down_cleanly_and_restart_keeps_messages(tmp_path: Path) -> None:
    gw = GatewayProcess(tmp_path, free_port())
    gw.write_config('[[connectors]]\nname = "loopback"\nreceipt_delay_s = 60\n')
    gw.start()
    headers = {"Authorization": f"Bearer {gw.api_key}"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            gw.url + "/v1/messages",
            headers=headers,
            json={"to": ["+447700900001", "+447700900002"], "text": "x"},
        ) as resp,
    ):
        ids = {m["id"] for m in (await resp.json())["messages"]}
    assert gw.terminate() == 0
    assert "stopped" in gw.log()
    gw.start()
    try:
        found = await statuses(gw)
        assert ids <= found.keys()
        assert {found[i] for i in ids} <= {"sent", "queued", "sending"}
    finally:
        gw.terminate()
