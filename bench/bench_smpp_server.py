"""SMPP server ingest: a windowed ESME → submit_sm → committed in SQLite (loopback connector).

Starts a gateway subprocess (SQLite, synchronous = full, loopback connector
with receipts, every protective rule on), binds one transceiver with the
admin account's SMPP credentials and keeps ``--window`` submit_sm in flight,
``--total`` in all, each to its own recipient. A submit_sm_resp is written
only after the message is committed, so the rate of responses is the ingest
rate into the durable store. The client is lean on purpose (PDUs encoded
before the clock starts, responses read from their headers only) so that the
figure is the gateway's, not the load generator's; both share the machine.
Then it waits until every message is ``delivered`` (read from /metrics).

Run:  python bench/bench_smpp_server.py --total 200000 --window 200
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import cast

from common import free_port, machine, metrics, rss_mb

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from heliograph.wire.smpp.codec import encode
from heliograph.wire.smpp.pdus import BindTransceiver, SubmitSm, Unbind

HEADER = struct.Struct(">IIII")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start(data_dir: Path, receipt_delay: float) -> tuple[subprocess.Popen[bytes], str, int]:
    http, smpp = free_port(), free_port()
    cfg = data_dir / "heliograph.toml"
    cfg.write_text(
        f'data_dir = "{data_dir}"\nlog_level = "warning"\n'
        f"[http]\nport = {http}\n[smpp]\nport = {smpp}\nwindow = 1000\n"
        f"[smtp]\nenabled = false\n"
        f'[[connectors]]\nname = "loopback"\nreceipt_delay_s = {receipt_delay}\n'
        # extra settings to try, e.g. HELIOGRAPH_BENCH_TOML="[dispatch];batch_size = 200"
        + os.environ.get("HELIOGRAPH_BENCH_TOML", "").replace(";", "\n")
    )
    log = (data_dir / "gateway.log").open("ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "heliograph", "serve", "--config", str(cfg)],
        stdout=log,
        stderr=log,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    url = f"http://127.0.0.1:{http}"
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/v1/health", timeout=1).read()
            return proc, url, smpp
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("gateway did not start: " + (data_dir / "gateway.log").read_text())


class Client(asyncio.Protocol):
    """Keeps ``window`` requests in flight; counts responses by command_status."""

    def __init__(self, frames: list[bytes], window: int) -> None:
        self.frames = frames
        self.window = window
        self.next = 0
        self.answered = 0
        self.errors: dict[int, int] = {}
        self.buffer = bytearray()
        self.done = asyncio.get_running_loop().create_future()
        self.bound = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses; they have its methods
        self.transport = cast(asyncio.Transport, transport)

    def send_more(self, n: int) -> None:
        assert self.transport is not None
        end = min(len(self.frames), self.next + n)
        if end > self.next:
            self.transport.write(b"".join(self.frames[self.next : end]))
            self.next = end

    def data_received(self, data: bytes) -> None:
        buf = self.buffer
        buf += data
        pos, answered = 0, 0
        while len(buf) - pos >= 16:
            length, command_id, status, _ = HEADER.unpack_from(buf, pos)
            if len(buf) - pos < length:
                break
            pos += length
            if command_id == 0x80000009:
                self.bound.set_result(status)
            elif command_id == 0x80000004:
                answered += 1
                if status:
                    self.errors[status] = self.errors.get(status, 0) + 1
            elif command_id == 0x00000005:  # a receipt: not asked for, but answer it anyway
                seq = HEADER.unpack_from(buf, pos - length)[3]
                assert self.transport is not None
                self.transport.write(HEADER.pack(17, 0x80000005, 0, seq) + b"\0")
        del buf[:pos]
        if answered:
            self.answered += answered
            self.send_more(answered)
            if self.answered >= len(self.frames) and not self.done.done():
                self.done.set_result(None)


async def load(port: int, system_id: str, password: str, total: int, window: int) -> float:
    frames = [
        encode(
            SubmitSm(
                source_addr_ton=5,
                source_addr="Bench",
                dest_addr_ton=1,
                dest_addr_npi=1,
                destination_addr=f"447{i:09d}",
                short_message=b"Benchmark message from Heliograph",
            ),
            i + 2,
        )
        for i in range(total)
    ]
    loop = asyncio.get_running_loop()
    _, client = await loop.create_connection(lambda: Client(frames, window), "127.0.0.1", port)
    assert client.transport is not None
    client.transport.write(encode(BindTransceiver(system_id=system_id, password=password), 1))
    status = await asyncio.wait_for(client.bound, 10)
    assert status == 0, f"bind refused: {status:#x}"
    started = time.perf_counter()
    client.send_more(window)
    await client.done
    elapsed = time.perf_counter() - started
    if client.errors:
        print(f"refused: {dict((hex(k), v) for k, v in client.errors.items())}")
    client.transport.write(encode(Unbind(), total + 10))
    client.transport.close()
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--total", type=int, default=200_000)
    ap.add_argument("--window", type=int, default=200)
    ap.add_argument("--receipt-delay", type=float, default=0.2)
    args = ap.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="heliograph-bench-smpp-"))
    proc, url, port = start(data_dir, args.receipt_delay)
    try:
        creds = json.loads((data_dir / "admin-credentials.json").read_text())
        try:
            import uvloop

            run = uvloop.run
        except ImportError:  # pragma: no cover
            run = asyncio.run
        started = time.perf_counter()
        cpu_before = cpu_s(proc.pid)
        client_before = time.process_time()
        ingest_s = run(
            load(port, creds["smpp_system_id"], creds["smpp_password"], args.total, args.window)
        )
        gateway_cpu = cpu_s(proc.pid) - cpu_before
        client_cpu = time.process_time() - client_before
        while True:
            done = metrics(url).get('heliograph_message_transitions_total{state="delivered"}', 0)
            if done >= args.total:
                break
            time.sleep(0.05)
        total_s = time.perf_counter()
        print(f"machine: {machine()}")
        print(f"submit_sm: {args.total} (window {args.window}, one bind, distinct recipients)")
        print(
            f"ingest (submit_sm_resp after commit): {args.total / ingest_s:,.0f} submit_sm/s"
            f" over {ingest_s:.1f} s"
        )
        print(
            f"CPU during ingest: gateway {gateway_cpu:.1f} s ({gateway_cpu / ingest_s:.0%} of one"
            f" core, {gateway_cpu / args.total * 1e6:.0f} µs per submit_sm including dispatch"
            f" and receipts meanwhile), client {client_cpu:.1f} s; load average"
            f" {os.getloadavg()[0]:.1f}"
        )
        print(
            f"delivered, all {args.total}: {args.total / (total_s - started):,.0f} msg/s end to end"
        )
        print(f"gateway RSS: {rss_mb(proc.pid):.0f} MB")
    finally:
        proc.terminate()
        proc.wait(30)


if __name__ == "__main__":
    main()
