"""The SQLite store's lifecycle writes, one phase at a time, without HTTP or connectors.

Inserts ``--total`` one-part messages in batches of ``--batch``, claims them,
records them as sent and applies a delivered receipt for each, every step
through the store's writer thread as the gateway does it. Prints, per phase,
the writer thread's CPU time and the wall time per message: what the store
costs a message, apart from everything else the gateway does.

Run:  python bench/bench_store.py --total 50000 --batch 500
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time

from common import machine

from heliograph.domain.ids import AccountId, ConnectorId, UpstreamId
from heliograph.domain.messages import MessageState, NewMessage
from heliograph.domain.outcomes import Receipt
from heliograph.services.ids import new_message_id
from heliograph.store.base import PartResult
from heliograph.store.sqlite import SqliteStore


def writer_cpu(store: SqliteStore) -> float:
    """CPU seconds of the store's writer thread so far (Linux)."""
    tid = store.writer._thread.native_id
    with open(f"/proc/self/task/{tid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100


async def run(total: int, batch: int) -> dict[str, tuple[float, float]]:
    store = SqliteStore(f"{tempfile.mkdtemp()}/bench.sqlite3")
    await store.open(time.time())
    now = time.time()
    messages = [
        NewMessage(
            id=new_message_id(now + i * 2e-4),  # ids in time order, as requests make them
            account_id=AccountId("bench"),
            to=f"+4477{i:08d}",
            sender=None,
            text="Benchmark message from Heliograph",
            encoding="gsm7",
            data_coding=0,
            parts=1,
            concat_ref=0,
            state=MessageState.QUEUED,
            reference=None,
            callback_url=None,
            callback_format="json",
            priority=0,
            created_at=now,
            due_at=now,
            expires_at=now + 86400,
        )
        for i in range(total)
    ]
    out: dict[str, tuple[float, float]] = {}

    def phase(name: str, cpu: float, wall: float) -> None:
        out[name] = (writer_cpu(store) - cpu, time.perf_counter() - wall)

    cpu, wall = writer_cpu(store), time.perf_counter()
    for i in range(0, total, batch):
        await store.insert_messages(messages[i : i + batch], now=now)
    phase("insert", cpu, wall)

    cpu, wall = writer_cpu(store), time.perf_counter()
    claimed = []
    while parts := (await store.claim_parts(time.time(), batch))[0]:
        claimed.append(parts)
    phase("claim", cpu, wall)

    cpu, wall = writer_cpu(store), time.perf_counter()
    n = 0
    for parts in claimed:
        results = []
        for part in parts:
            n += 1
            results.append(
                PartResult(
                    part_id=part.part_id,
                    state=MessageState.SENT,
                    connector=ConnectorId("bench"),
                    upstream_id=UpstreamId(f"u{n}"),
                )
            )
        await store.record_results(results, time.time())
    phase("result", cpu, wall)

    cpu, wall = writer_cpu(store), time.perf_counter()
    for i in range(0, n, batch):
        receipts = [
            Receipt(
                connector=ConnectorId("bench"),
                upstream_id=UpstreamId(f"u{j + 1}"),
                state=MessageState.DELIVERED,
                error=None,
                at=time.time(),
            )
            for j in range(i, min(n, i + batch))
        ]
        await store.apply_receipts(receipts, time.time())
    phase("receipt", cpu, wall)
    await store.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--total", type=int, default=50_000)
    ap.add_argument("--batch", type=int, default=500)
    args = ap.parse_args()
    out = asyncio.run(run(args.total, args.batch))
    print(f"machine: {machine()}")
    print(f"messages: {args.total} in batches of {args.batch} (SQLite, synchronous = full)")
    for name, (cpu, wall) in out.items():
        print(
            f"{name:8s} writer CPU {1e6 * cpu / args.total:5.1f} µs/msg, "
            f"wall {1e6 * wall / args.total:5.1f} µs/msg"
        )
    total_cpu = sum(cpu for cpu, _ in out.values())
    print(f"all four: writer CPU {1e6 * total_cpu / args.total:.1f} µs per message")


if __name__ == "__main__":
    main()
