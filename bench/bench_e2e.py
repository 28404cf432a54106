"""End-to-end throughput: HTTP batch submit → commit → dispatch → loopback receipt → delivered.

Starts a gateway subprocess (SQLite, loopback connector with receipts), posts
``--total`` messages in requests of ``--batch`` recipients with ``--concurrency``
requests in flight, and measures until every message is ``delivered`` (read
from /metrics). Run:  python bench/bench_e2e.py --total 200000
"""

from __future__ import annotations

import argparse
import asyncio
import time

import aiohttp
from common import machine, metrics, rss_mb, start_gateway


async def load(
    url: str, key: str, total: int, batch: int, concurrency: int, offset: int = 0
) -> float:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    sem = asyncio.Semaphore(concurrency)
    sent = 0

    async def one(session: aiohttp.ClientSession, start: int, n: int) -> None:
        # distinct recipients: the same text to one number twice a minute is refused
        to = [f"+447{(start + i) % 100_000_000:08d}" for i in range(n)]
        body = {"to": to, "text": "Benchmark message from Heliograph"}
        async with sem, session.post(url + "/v1/messages", json=body, headers=headers) as r:
            assert r.status == 202, await r.text()
            await r.read()

    started = time.perf_counter()
    async with aiohttp.ClientSession() as session:
        tasks = []
        while sent < total:
            n = min(batch, total - sent)
            tasks.append(asyncio.create_task(one(session, offset + sent, n)))
            sent += n
        await asyncio.gather(*tasks)
    return time.perf_counter() - started


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--total", type=int, default=200_000)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--receipt-delay", type=float, default=0.2)
    ap.add_argument("--preload", type=int, default=0, help="messages stored before measuring")
    ap.add_argument("--no-rules", action="store_true", help="turn the protective rules off")
    args = ap.parse_args()
    rules = "[protection]\nduplicate_window_s = 0\nflood_gap_s = 0\n" if args.no_rules else ""
    gw = start_gateway(
        rules + f'[[connectors]]\nname = "loopback"\nreceipt_delay_s = {args.receipt_delay}\n'
    )
    try:
        if args.preload:
            asyncio.run(load(gw.url, gw.api_key, args.preload, 1000, 4))
            delivered = 'heliograph_message_transitions_total{state="delivered"}'
            while metrics(gw.url).get(delivered, 0) < args.preload:
                time.sleep(0.5)
        before = metrics(gw.url).get('heliograph_message_transitions_total{state="delivered"}', 0)
        started = time.perf_counter()
        submit_s = asyncio.run(
            load(gw.url, gw.api_key, args.total, args.batch, args.concurrency, args.preload)
        )
        while True:
            m = metrics(gw.url)
            done = m.get('heliograph_message_transitions_total{state="delivered"}', 0) - before
            if done >= args.total:
                break
            time.sleep(0.05)
        total_s = time.perf_counter() - started
        print(f"machine: {machine()}")
        print(
            f"messages: {args.total} (batch {args.batch}, {args.concurrency} requests in flight, "
            f"preloaded {args.preload}, protective rules {'off' if args.no_rules else 'on'})"
        )
        print(f"submit (accepted, committed): {args.total / submit_s:,.0f} msg/s")
        print(f"end to end (delivered): {args.total / total_s:,.0f} msg/s over {total_s:.1f} s")
        print(f"gateway RSS: {rss_mb(gw.proc.pid):.0f} MB")
        db = sum(f.stat().st_size for f in gw.data_dir.glob("heliograph.sqlite3*"))
        print(f"database: {db / 1e6:.0f} MB for {args.preload + args.total} messages")
    finally:
        gw.stop()


if __name__ == "__main__":
    main()
