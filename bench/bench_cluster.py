"""End-to-end throughput on PostgreSQL with 1, 2 and 3 gateway nodes sharing one database.

For each node count: a fresh schema, N ``heliograph serve`` processes on it (the
first creates the admin account, the others join), ``--total`` messages posted
in requests of ``--batch`` recipients spread round robin over the nodes
(``--concurrency`` requests in flight per node), measured until every message
is ``delivered`` (the sum of the nodes' delivered transitions). The loopback
connector of each node is its upstream. Reported per run: submit and end-to-end
rates, CPU seconds per 1,000 messages of each node, of the PostgreSQL server
and of this load generator, so that throughput on bigger machines can be
projected from the per-message cost.

    python bench/bench_cluster.py --nodes 1 2 3 --total 100000
    HELIOGRAPH_TEST_POSTGRES_DSN=postgresql://postgres@127.0.0.1:5432/test (the default)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from common import free_port, machine, metrics, rss_mb

DELIVERED = 'heliograph_message_transitions_total{state="delivered"}'
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Result:
    nodes: int
    submit_per_s: float
    e2e_per_s: float
    seconds: float
    node_cpu_per_1k: list[float]
    postgres_cpu_per_1k: float
    loadgen_cpu_per_1k: float
    rss_mb: list[float]


@dataclass
class Node:
    proc: subprocess.Popen[bytes]
    url: str
    data_dir: Path


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def postgres_pids(dsn: str) -> list[int]:
    """The server processes working for this run: the nodes' sessions (named after the
    nodes) and PostgreSQL's own background processes (WAL writer, checkpointer...).
    Sessions of anything else on the same server are left out."""
    import asyncpg

    async def pids() -> list[int]:
        conn = await asyncpg.connect(dsn)
        try:
            rows = await conn.fetch(
                "SELECT pid FROM pg_stat_activity WHERE backend_type <> 'client backend'"
                " OR application_name LIKE 'heliograph bench-%'"
            )
            return [r[0] for r in rows]
        finally:
            await conn.close()

    return asyncio.run(pids())


def postgres_cpu_s(pids: list[int]) -> dict[int, float]:
    found = {}
    for pid in pids:
        try:
            found[pid] = cpu_s(pid)
        except OSError:
            pass  # ended meanwhile
    return found


def start_node(url: str, index: int, receipt_delay_s: float, batch_size: int) -> Node:
    data_dir = Path(tempfile.mkdtemp(prefix=f"heliograph-cluster-{index}-"))
    port = free_port()
    cfg = data_dir / "heliograph.toml"
    cfg.write_text(
        f'data_dir = "{data_dir}"\nlog_level = "warning"\n'
        f"[http]\nport = {port}\n[smpp]\nenabled = false\n[smtp]\nenabled = false\n"
        f'[store]\nurl = "{url}&node=bench-{index}"\n'
        f"[dispatch]\nbatch_size = {batch_size}\n"
        f'[[connectors]]\nname = "loopback"\nreceipt_delay_s = {receipt_delay_s}\n'
    )
    log = (data_dir / "gateway.log").open("ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "heliograph", "serve", "--config", str(cfg)],
        stdout=log,
        stderr=log,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    node = Node(proc, f"http://127.0.0.1:{port}", data_dir)
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("node exited: " + (data_dir / "gateway.log").read_text())
        try:
            urllib.request.urlopen(node.url + "/v1/health", timeout=1).read()
            return node
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("node did not start: " + (data_dir / "gateway.log").read_text())


async def load(nodes: list[Node], key: str, total: int, batch: int, concurrency: int) -> float:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    slots = {n.url: asyncio.Semaphore(concurrency) for n in nodes}

    async def one(session: aiohttp.ClientSession, url: str, start: int, n: int) -> None:
        to = [f"+4477009{(start + i) % 100000:05d}" for i in range(n)]
        body = {"to": to, "text": "Benchmark message from Heliograph"}
        async with slots[url], session.post(url + "/v1/messages", json=body, headers=headers) as r:
            assert r.status == 202, await r.text()
            await r.read()

    started = time.perf_counter()
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        tasks = []
        for i, start in enumerate(range(0, total, batch)):
            url = nodes[i % len(nodes)].url
            tasks.append(asyncio.create_task(one(session, url, start, min(batch, total - start))))
        await asyncio.gather(*tasks)
    return time.perf_counter() - started


def delivered(nodes: list[Node]) -> float:
    return sum(metrics(n.url).get(DELIVERED, 0.0) for n in nodes)


def run(dsn: str, count: int, args: argparse.Namespace) -> Result:
    schema = f"hg_bench_{uuid.uuid4().hex[:12]}"
    sep = "&" if "?" in dsn else "?"
    url = f"{dsn}{sep}schema={schema}"
    nodes = [start_node(url, 1, args.receipt_delay, args.dispatch_batch)]
    try:
        key = json.loads((nodes[0].data_dir / "admin-credentials.json").read_text())["api_key"]
        nodes += [
            start_node(url, i, args.receipt_delay, args.dispatch_batch) for i in range(2, count + 1)
        ]
        cpu0 = [cpu_s(n.proc.pid) for n in nodes]
        pg0 = postgres_cpu_s(postgres_pids(dsn))
        me0 = time.process_time()
        started = time.perf_counter()
        submit_s = asyncio.run(load(nodes, key, args.total, args.batch, args.concurrency))
        while delivered(nodes) < args.total:
            time.sleep(0.05)
        total_s = time.perf_counter() - started
        per_k = 1000 / args.total
        return Result(
            nodes=count,
            submit_per_s=args.total / submit_s,
            e2e_per_s=args.total / total_s,
            seconds=total_s,
            node_cpu_per_1k=[
                (cpu_s(n.proc.pid) - c) * per_k for n, c in zip(nodes, cpu0, strict=True)
            ],
            postgres_cpu_per_1k=sum(
                cpu - pg0.get(pid, 0.0) for pid, cpu in postgres_cpu_s(postgres_pids(dsn)).items()
            )
            * per_k,
            loadgen_cpu_per_1k=(time.process_time() - me0) * per_k,
            rss_mb=[rss_mb(n.proc.pid) for n in nodes],
        )
    finally:
        for n in nodes:
            n.proc.terminate()
        for n in nodes:
            try:
                n.proc.wait(30)
            except subprocess.TimeoutExpired:
                n.proc.kill()
        drop_schema(dsn, schema)


@dataclass
class Kill:
    started: bool = False
    id: str = ""
    name: str = ""
    at: float = 0.0  # wall clock, as the nodes' take-over times
    in_flight: int = 0


async def until_zero(db: Any, sql: str, *params: object) -> None:
    for _ in range(6000):
        if await db.fetchval(sql, *params) == 0:
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(sql)


async def kill_run(dsn: str, count: int, args: argparse.Namespace) -> str:
    """Submit ``--total`` messages over ``count`` nodes and SIGKILL a node holding a bind
    when half are accepted; report the take-over and check that every message finished."""
    import asyncpg

    schema = f"hg_bench_{uuid.uuid4().hex[:12]}"
    url = f"{dsn}{'&' if '?' in dsn else '?'}schema={schema}&lease_s={args.lease}"
    nodes = [start_node(url, 1, args.receipt_delay, args.dispatch_batch)]
    db = None
    try:
        key = json.loads((nodes[0].data_dir / "admin-credentials.json").read_text())["api_key"]
        nodes += [
            start_node(url, i, args.receipt_delay, args.dispatch_batch) for i in range(2, count + 1)
        ]
        db = await asyncpg.create_pool(
            dsn, min_size=1, max_size=2, server_settings={"search_path": schema}
        )
        live = list(nodes)
        accepted = 0
        killed = Kill()
        batches = list(range(0, args.total, args.batch))
        headers = {"Authorization": f"Bearer {key}"}
        started = time.perf_counter()

        async def kill() -> None:
            row = await db.fetchrow(
                "SELECT n.id, n.name FROM leases l JOIN nodes n ON n.id = l.node"
                " WHERE l.expires_at > $1 ORDER BY l.slot LIMIT 1",
                time.time(),
            )
            victim = nodes[int(row["name"].rsplit("-", 1)[1]) - 1]
            victim.proc.kill()
            victim.proc.wait()
            killed.id, killed.name, killed.at = row["id"], row["name"], time.time()
            live.remove(victim)
            await until_zero(
                db,
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
                f"heliograph {row['name']}",
            )
            killed.in_flight = await db.fetchval(
                "SELECT count(*) FROM parts WHERE state = 'sending' AND node = $1", row["id"]
            )

        async def worker(session: aiohttp.ClientSession) -> None:
            nonlocal accepted
            while batches:
                start = batches.pop(0)
                to = [f"+4477009{(start + i) % 100000:05d}" for i in range(args.batch)]
                node = live[start // args.batch % len(live)]
                body = {"to": to, "text": "Benchmark message from Heliograph"}
                try:
                    async with session.post(
                        node.url + "/v1/messages", json=body, headers=headers
                    ) as r:
                        if r.status == 202:
                            accepted += len(to)
                        else:
                            batches.append(start)
                except (aiohttp.ClientError, ConnectionError):
                    batches.append(start)  # the node died under this request: post it again
                if accepted >= args.total // 2 and not killed.started:
                    killed.started = True
                    await kill()

        async with aiohttp.ClientSession() as session:
            await asyncio.gather(*(worker(session) for _ in range(args.concurrency * count)))
        finals = ["delivered", "undeliverable", "expired", "rejected", "failed", "cancelled"]
        await until_zero(db, "SELECT count(*) FROM messages WHERE state <> ALL($1::text[])", finals)
        total_s = time.perf_counter() - started
        taken = await db.fetchval("SELECT taken_over_at FROM nodes WHERE id = $1", killed.id)
        delivered_n = await db.fetchval("SELECT count(*) FROM messages WHERE state = 'delivered'")
        again = await db.fetchval("SELECT coalesce(sum(attempts - 1), 0) FROM parts")
        resent = sum(metrics(n.url).get("heliograph_parts_resent_total", 0.0) for n in live)
        return (
            f"{count} nodes, {killed.name} killed at {args.total // 2:,} accepted: "
            f"{accepted:,} accepted, {delivered_n:,} delivered (stored: every one final) in "
            f"{total_s:.1f} s; {killed.in_flight} parts in flight on it at the kill, "
            f"{again} parts claimed twice, {resent:.0f} counted as resent; "
            f"taken over {taken - killed.at:.1f} s after the kill (lease_s {args.lease})"
        )
    finally:
        if db is not None:
            await db.close()
        for n in nodes:
            if n.proc.poll() is None:
                n.proc.terminate()
        for n in nodes:
            try:
                n.proc.wait(30)
            except subprocess.TimeoutExpired:
                n.proc.kill()
        await asyncio.to_thread(drop_schema, dsn, schema)


def drop_schema(dsn: str, schema: str) -> None:
    import asyncpg

    async def drop() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        finally:
            await conn.close()

    asyncio.run(drop())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--total", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=1000, help="recipients per HTTP request")
    ap.add_argument("--concurrency", type=int, default=2, help="requests in flight per node")
    ap.add_argument("--dispatch-batch", type=int, default=500, help="parts per claim")
    ap.add_argument("--receipt-delay", type=float, default=0.2)
    ap.add_argument(
        "--kill",
        action="store_true",
        help="instead of measuring throughput, SIGKILL one node half-way and report the take-over",
    )
    ap.add_argument("--lease", type=float, default=10.0, help="lease_s of the nodes (with --kill)")
    ap.add_argument(
        "--dsn",
        default=os.environ.get(
            "HELIOGRAPH_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test"
        ),
    )
    args = ap.parse_args()
    print(f"machine: {machine()}")
    print(
        f"messages: {args.total} per run, {args.batch} recipients per request, "
        f"{args.concurrency} requests in flight per node, receipts after {args.receipt_delay} s"
    )
    if args.kill:
        for count in args.nodes:
            print(asyncio.run(kill_run(args.dsn, max(count, 2), args)), flush=True)
        return
    for count in args.nodes:
        r = run(args.dsn, count, args)
        node_cpu = ", ".join(f"{c:.3f}" for c in r.node_cpu_per_1k)
        rss = ", ".join(f"{m:.0f}" for m in r.rss_mb)
        print(
            f"{count} node(s): submit {r.submit_per_s:,.0f} msg/s, end to end "
            f"{r.e2e_per_s:,.0f} msg/s ({r.seconds:.1f} s); CPU-s per 1,000 messages: "
            f"nodes [{node_cpu}], PostgreSQL {r.postgres_cpu_per_1k:.3f}, "
            f"load generator {r.loadgen_cpu_per_1k:.3f}; node RSS [{rss}] MB",
            flush=True,
        )


if __name__ == "__main__":
    main()
