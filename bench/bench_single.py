"""Single-message POST /v1/messages: maximum rate, and latency at a fixed rate.

Starts a gateway subprocess (SQLite, loopback), then drives it with ``wrk``
(Debian package ``wrk``; the load generator runs in its own process so that
the measurement is not limited by a Python client):

* maximum throughput: ``--connections`` connections for ``--seconds``;
* accept latency at ``--rate`` requests/s, measured by a paced Python client
  (one request every 1/rate s over keep-alive connections), p50/p99/max.

Run:  python bench/bench_single.py
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import aiohttp
from common import machine, metrics, start_gateway

LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %s"
counter = 0
request = function()
  counter = counter + 1
  local body = string.format('{"to":"+4477009%%05d","text":"Single message benchmark"}',
                             counter %% 100000)
  return wrk.format(nil, "/v1/messages", nil, body)
end
"""


def run_wrk(url: str, key: str, connections: int, seconds: int) -> str:
    script = Path(tempfile.mkdtemp()) / "post.lua"
    script.write_text(LUA % key)
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout


async def paced(url: str, key: str, rate: int, seconds: float) -> list[float]:
    headers = {"Authorization": f"Bearer {key}"}
    latencies: list[float] = []
    interval = 1.0 / rate
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200)) as session:

        async def one(i: int) -> None:
            started = time.perf_counter()
            body = {"to": f"+4477008{i % 100000:05d}", "text": "Paced benchmark"}
            async with session.post(url + "/v1/messages", json=body, headers=headers) as r:
                await r.read()
                assert r.status == 202
            latencies.append(time.perf_counter() - started)

        tasks = []
        start = time.perf_counter()
        n = int(rate * seconds)
        for i in range(n):
            delay = start + i * interval - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i)))
        await asyncio.gather(*tasks)
    return latencies


def settle(url: str) -> None:
    """Wait until every accepted message has its receipt."""
    while True:
        m = metrics(url)
        accepted = m.get("heliograph_messages_accepted_total", 0)
        if m.get('heliograph_message_transitions_total{state="delivered"}', 0) >= accepted:
            return
        time.sleep(0.2)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--rate", type=int, default=1000)
    args = ap.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("install wrk first: apt-get install wrk")
    gw = start_gateway('[[connectors]]\nname = "loopback"\nreceipt_delay_s = 0.5\n')
    try:
        print(f"machine: {machine()}")
        out = run_wrk(gw.url, gw.api_key, args.connections, args.seconds)
        print(out)
        # Latency is measured on an idle gateway: the messages of the run above are
        # still being sent and receipted, and would be what is measured.
        settle(gw.url)
        lat = sorted(asyncio.run(paced(gw.url, gw.api_key, args.rate, 10)))
        p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000  # noqa: E731
        print(
            json.dumps(
                {
                    "paced_rate": args.rate,
                    "requests": len(lat),
                    "p50_ms": round(p(0.50), 2),
                    "p99_ms": round(p(0.99), 2),
                    "max_ms": round(lat[-1] * 1000, 2),
                    "mean_ms": round(statistics.mean(lat) * 1000, 2),
                }
            )
        )
    finally:
        gw.stop()


if __name__ == "__main__":
    main()
