"""Three gateway nodes on one PostgreSQL database; one is killed with SIGKILL under load.

Every accepted message must reach a final state; no part may be submitted twice
except those in flight on the dead node when it died (counted by the survivors
in heliograph_parts_resent_total); the connector's bind leases never exceed the
configured number and the dead node's binds are held again by the survivors
within the lease time.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
import urllib.request
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg  # type: ignore[import-untyped]
import pytest

from tests.conftest import drop_postgres_schema, postgres_dsn
from tests.support.gateway_process import GatewayProcess, free_port

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not postgres_dsn(), reason="PostgreSQL cluster: set HELIOGRAPH_TEST_POSTGRES_DSN to run it"
    ),
]

TOTAL = 20_000
BATCH = 200
BINDS = 2
LEASE_S = 6.0
ROUND_S = LEASE_S / 4  # the cluster service's heartbeat interval
FINAL = ("delivered", "undeliverable", "expired", "rejected", "failed", "cancelled")


@dataclass
class Cluster:
    schema: str
    nodes: list[GatewayProcess]
    db: Any  # asyncpg pool with the cluster's schema on its search path
    key: str = ""
    dead: set[int] = field(default_factory=set)

    def live(self) -> list[GatewayProcess]:
        return [n for i, n in enumerate(self.nodes) if i not in self.dead]


def node_config(schema: str, name: str) -> str:
    return (
        f'[store]\nurl = "{postgres_dsn()}?schema={schema}&node={name}&lease_s={LEASE_S}"\n'
        f'[[connectors]]\nname = "loopback"\nreceipt_delay_s = 0.3\nbinds = {BINDS}\n'
    )


@pytest.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[Cluster]:
    schema = f"hg_test_{uuid.uuid4().hex[:16]}"
    nodes = []
    for i in range(3):
        data_dir = tmp_path / f"node{i + 1}"
        data_dir.mkdir()
        node = GatewayProcess(data_dir, free_port())
        node.write_config(node_config(schema, f"n{i + 1}"))
        nodes.append(node)
    db = None
    try:
        nodes[0].start()  # creates the admin account; the others find it
        for node in nodes[1:]:
            node.start()
        db = await asyncpg.create_pool(
            postgres_dsn(), min_size=1, max_size=3, server_settings={"search_path": schema}
        )
        yield Cluster(schema, nodes, db, key=nodes[0].api_key)
    finally:
        for node in nodes:
            if node.proc is not None and node.proc.poll() is None:
                with contextlib.suppress(Exception):
                    node.terminate()
        if db is not None:
            await db.close()
        await drop_postgres_schema(schema)


def metric(node: GatewayProcess, name: str, labels: str = "") -> float:
    text = urllib.request.urlopen(node.url + "/metrics", timeout=10).read().decode()
    match = re.search(rf"^{re.escape(name + labels)} ([0-9.e+-]+)$", text, re.M)
    return float(match[1]) if match else 0.0


async def submit(c: Cluster, kill_at: int, on_kill: Any) -> set[str]:
    """Post batches round robin over the live nodes; kill node 2 once ``kill_at`` are accepted."""
    accepted: set[str] = set()
    headers = {"Authorization": f"Bearer {c.key}"}
    batches = iter(range(TOTAL // BATCH * 2))  # more than enough: failed batches are posted again
    killed = False

    async def client(session: aiohttp.ClientSession, n: int) -> None:
        nonlocal killed
        for b in batches:
            if len(accepted) >= TOTAL:
                return
            live = c.live()
            node = live[b % len(live)]
            to = [f"+4477{n}{b:03d}{k:04d}" for k in range(BATCH)]
            try:
                async with session.post(
                    node.url + "/v1/messages", headers=headers, json={"to": to, "text": "cluster"}
                ) as resp:
                    if resp.status == 202:
                        accepted.update(m["id"] for m in (await resp.json())["messages"])
            except (aiohttp.ClientError, ConnectionError):
                pass  # the node died under this request: its answer never came
            if len(accepted) >= kill_at and not killed:
                killed = True
                await on_kill()

    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(client(session, n) for n in range(4)))
    return accepted


@dataclass
class BindWatch:
    """Samples the live bind leases: rows in the database, and what live nodes say they hold."""

    c: Cluster
    seen: list[tuple[float, int, int]] = field(default_factory=list)
    killed_at: float | None = None
    rebound: asyncio.Event = field(default_factory=asyncio.Event)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        while not self.stop.is_set():
            rows = await self.c.db.fetchval(
                "SELECT count(*) FROM leases WHERE resource = 'bind:loopback' AND expires_at > $1",
                time.time(),
            )
            held = 0
            for node in self.c.live():
                with contextlib.suppress(OSError):
                    held += int(
                        await asyncio.to_thread(
                            metric, node, "heliograph_cluster_binds_held", '{connector="loopback"}'
                        )
                    )
            now = time.monotonic()
            self.seen.append((now, rows, held))
            if self.killed_at is not None and now > self.killed_at and held == BINDS:
                self.rebound.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), 0.25)


async def test_three_nodes_one_killed_every_message_finishes_once(cluster: Cluster) -> None:
    c = cluster
    in_flight_at_kill = -1
    killed_at = 0.0
    dead_id = ""

    async def kill() -> None:
        """SIGKILL a node that holds a bind lease, then count its parts in flight once the
        server has ended its sessions (no transaction of it can commit any more)."""
        nonlocal in_flight_at_kill, killed_at, dead_id
        row = await c.db.fetchrow(
            "SELECT n.id, n.name FROM leases l JOIN nodes n ON n.id = l.node"
            " WHERE l.resource = 'bind:loopback' AND l.expires_at > $1 ORDER BY l.slot LIMIT 1",
            time.time(),
        )
        assert row is not None, "no node holds a bind"
        dead_id, index = row["id"], int(row["name"][1:]) - 1
        await asyncio.to_thread(c.nodes[index].kill)
        killed_at = watch.killed_at = time.monotonic()
        c.dead.add(index)
        for _ in range(500):
            sessions = await c.db.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
                f"heliograph {row['name']}",
            )
            if sessions == 0:
                break
            await asyncio.sleep(0.02)
        else:
            pytest.fail("the killed node's database sessions did not end")
        in_flight_at_kill = await c.db.fetchval(
            "SELECT count(*) FROM parts WHERE state = 'sending' AND node = $1", dead_id
        )

    watch = BindWatch(c)
    watcher = asyncio.create_task(watch.run())
    accepted = await submit(c, TOTAL // 2, kill)
    assert len(accepted) >= TOTAL and in_flight_at_kill >= 0

    deadline = time.monotonic() + 180
    ids = list(accepted)
    while time.monotonic() < deadline:
        left = await c.db.fetchval(
            "SELECT count(*) FROM messages WHERE id = ANY($1::text[]) AND state <> ALL($2::text[])",
            ids,
            list(FINAL),
        )
        if left == 0:
            break
        await asyncio.sleep(0.5)
    with contextlib.suppress(TimeoutError):
        remaining = killed_at + LEASE_S + ROUND_S + 2.0 - time.monotonic()
        await asyncio.wait_for(watch.rebound.wait(), max(remaining, 0.1))
    watch.stop.set()
    await watcher
    seen = watch.seen

    # Every accepted message is stored and finished.
    rows = await c.db.fetch(
        "SELECT state, count(*) FROM messages WHERE id = ANY($1::text[]) GROUP BY state", ids
    )
    assert {r[0]: r[1] for r in rows} == {"delivered": len(accepted)}

    # Parts claimed more than once are exactly those in flight on the dead node at the kill;
    # the survivors counted them, once.
    resent = sum(metric(n, "heliograph_parts_resent_total") for n in c.live())
    claimed_again = await c.db.fetchval("SELECT coalesce(sum(attempts - 1), 0) FROM parts")
    assert claimed_again == resent == in_flight_at_kill
    taken = await c.db.fetchrow(
        "SELECT taken_over_at, stopped_at FROM nodes WHERE id = $1", dead_id
    )
    assert taken["taken_over_at"] is not None
    assert sum(metric(n, "heliograph_cluster_takeovers_total") for n in c.live()) == 1

    # Never more binds than configured; the dead node's binds held again within the lease.
    assert max(rows for _, rows, _ in seen) <= BINDS
    assert max(held for _, _, held in seen) <= BINDS
    back = [t for t, rows, held in seen if t > killed_at and held == BINDS]
    assert back, "the survivors never held every bind again"
    assert back[0] - killed_at <= LEASE_S + ROUND_S + 2.0
