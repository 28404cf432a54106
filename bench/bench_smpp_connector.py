"""SMPP connector throughput: gateway → submit_sm → fast fake SMSC → receipts → delivered.

Three processes on one machine: the fake SMSC of the test suite
(``tests/support/fake_smsc.py``, Happy: every submit_sm accepted and its
delivery receipt sent at once, Appendix B text + TLVs), the gateway
(SQLite, synchronous = full, one ``type = "smpp"`` connector to that SMSC),
and this script, which posts ``--total`` messages over HTTP in batches and
waits until every one is ``delivered``. Reported: the rate of submit_sm the
SMSC received (first to last), the end-to-end rate (first post to last
delivered), and the gateway's CPU per message.

Run:  python bench/bench_smpp_connector.py --total 100000 --window 200
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
from pathlib import Path

import aiohttp
from common import free_port, machine, metrics, rss_mb

ROOT = Path(__file__).resolve().parents[1]


def run_smsc(expect: int) -> None:
    """The SMSC process: serve until killed; print the submit_sm figures once."""
    sys.path.insert(0, str(ROOT))
    from tests.support.fake_smsc import FakeSmsc, Happy

    class Timed(Happy):
        first = 0.0

        def on_submit(self, smsc, link, pdu):  # type: ignore[no-untyped-def]
            if not self.first:
                self.first = time.perf_counter()
            smsc.accept(link, pdu)
            if smsc.submitted_count == expect:
                took = time.perf_counter() - self.first
                print(json.dumps({"count": expect, "seconds": took}), flush=True)

    async def main() -> None:
        smsc = FakeSmsc(Timed(), keep=False, window=100_000)
        port = await smsc.start()
        print(json.dumps({"port": port}), flush=True)
        await asyncio.Event().wait()

    try:
        import uvloop

        uvloop.run(main())
    except ImportError:  # pragma: no cover
        asyncio.run(main())


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_gateway(
    data_dir: Path, smsc_port: int, window: int, binds: int
) -> tuple[subprocess.Popen[bytes], str, str]:
    http = free_port()
    cfg = data_dir / "heliograph.toml"
    cfg.write_text(
        f'data_dir = "{data_dir}"\nlog_level = "warning"\n'
        f"[http]\nport = {http}\n[smpp]\nenabled = false\n[smtp]\nenabled = false\n"
        f'[[connectors]]\nname = "smsc"\ntype = "smpp"\nhost = "127.0.0.1"\n'
        f'port = {smsc_port}\nsystem_id = "esme"\npassword_env = "BENCH_SMSC_PW"\n'
        f"window = {window}\nbinds = {binds}\n"
    )
    log = (data_dir / "gateway.log").open("ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "heliograph", "serve", "--config", str(cfg)],
        stdout=log,
        stderr=log,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "BENCH_SMSC_PW": "secret"},
    )
    url = f"http://127.0.0.1:{http}"
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            health = json.loads(urllib.request.urlopen(url + "/v1/health", timeout=1).read())
            if health.get("connectors", {}).get("smsc"):
                creds = json.loads((data_dir / "admin-credentials.json").read_text())
                return proc, url, creds["api_key"]
        except OSError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("gateway did not start: " + (data_dir / "gateway.log").read_text())


async def load(url: str, key: str, total: int, batch: int, concurrency: int) -> None:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    sem = asyncio.Semaphore(concurrency)

    async def one(session: aiohttp.ClientSession, start: int, n: int) -> None:
        to = [f"+447{(start + i):09d}" for i in range(n)]
        body = {"to": to, "text": "Benchmark message from Heliograph"}
        async with sem, session.post(url + "/v1/messages", json=body, headers=headers) as r:
            assert r.status == 202, await r.text()
            await r.read()

    async with aiohttp.ClientSession() as session:
        await asyncio.gather(
            *(one(session, s, min(batch, total - s)) for s in range(0, total, batch))
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--total", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--window", type=int, default=200)
    ap.add_argument("--binds", type=int, default=1)
    ap.add_argument("--smsc", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.smsc:
        run_smsc(args.smsc)
        return
    smsc = subprocess.Popen(
        [sys.executable, __file__, "--smsc", str(args.total)],
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])},
    )
    assert smsc.stdout is not None
    smsc_port = json.loads(smsc.stdout.readline())["port"]
    data_dir = Path(tempfile.mkdtemp(prefix="heliograph-bench-connector-"))
    gw, url, key = start_gateway(data_dir, smsc_port, args.window, args.binds)
    try:
        started = time.perf_counter()
        cpu_before = cpu_s(gw.pid)
        asyncio.run(load(url, key, args.total, args.batch, 4))
        submitted_s = time.perf_counter() - started
        while True:
            done = metrics(url).get('heliograph_message_transitions_total{state="delivered"}', 0)
            if done >= args.total:
                break
            time.sleep(0.05)
        total_s = time.perf_counter() - started
        gateway_cpu = cpu_s(gw.pid) - cpu_before
        seen = json.loads(smsc.stdout.readline())
        print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f}")
        print(
            f"messages: {args.total} over HTTP in batches of {args.batch}; connector window "
            f"{args.window}, {args.binds} bind(s)"
        )
        print(f"accepted over HTTP: {args.total / submitted_s:,.0f} msg/s")
        print(
            f"submit_sm received by the SMSC: {seen['count'] / seen['seconds']:,.0f}/s "
            f"(first to last, {seen['seconds']:.1f} s)"
        )
        print(f"end to end, every message delivered: {args.total / total_s:,.0f} msg/s")
        print(
            f"gateway CPU: {gateway_cpu:.1f} s, {gateway_cpu / args.total * 1e6:.0f} µs per "
            f"message; RSS {rss_mb(gw.pid):.0f} MB"
        )
    finally:
        gw.terminate()
        gw.wait(30)
        smsc.terminate()
        smsc.wait(10)


if __name__ == "__main__":
    main()
