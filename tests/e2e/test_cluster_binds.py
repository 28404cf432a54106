"""An SMPP connector configured with N binds holds at most N binds across the cluster.

A node giving binds back to a joining node unbinds them before it frees their
leases (checked first, on ``BindLeases`` alone).

Three gateway nodes on one PostgreSQL schema (in this process, each with its own
store pool and node identity) all configure one SMPP connector with two binds to
one fake SMSC, which counts the binds it has at every moment. Nodes join, one
stops, one comes back: the SMSC never sees more than two binds, and two binds are
held again within a few lease rounds.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from heliograph.app import Gateway
from heliograph.config import (
    Config,
    ConnectorConfig,
    HttpConfig,
    SmppConfig,
    SmtpConfig,
    StoreConfig,
)
from heliograph.connectors.smpp import SmppConnector
from heliograph.domain.ids import ConnectorId
from heliograph.services.leases import BindLeases, LeasedBinds
from tests.conftest import drop_postgres_schema, postgres_dsn
from tests.support.clock import FakeClock
from tests.support.fake_smsc import FakeSmsc

needs_postgres = pytest.mark.skipif(
    not postgres_dsn(), reason="PostgreSQL cluster: set HELIOGRAPH_TEST_POSTGRES_DSN to run it"
)

BINDS = 2
LEASE_S = 2.0  # rounds every 0.5 s
SETTLE_S = 4 * LEASE_S
UPSTREAM = ConnectorId("upstream")


class CountingSmsc(FakeSmsc):
    """A fake SMSC that remembers the most binds it had at once."""

    peak = 0

    def changed(self) -> None:
        self.peak = max(self.peak, len(self.bound_links()))
        super().changed()


def config(tmp_path: Path, schema: str, name: str, smsc_port: int) -> Config:
    data = tmp_path / name
    data.mkdir(exist_ok=True)
    return Config(
        data_dir=str(data),
        http=HttpConfig(port=0),
        smpp=SmppConfig(enabled=False),
        smtp=SmtpConfig(enabled=False),
        store=StoreConfig(url=f"{postgres_dsn()}?schema={schema}&node={name}&lease_s={LEASE_S}"),
        connectors=(
            ConnectorConfig(
                name=UPSTREAM,
                type="smpp",
                host="127.0.0.1",
                port=smsc_port,
                system_id="esme",
                password_env="HG_CLUSTER_SMSC_PW",
                binds=BINDS,
                reconnect_backoff_base_s=0.1,
                reconnect_backoff_max_s=0.5,
            ),
        ),
    )


class Nodes:
    def __init__(self, tmp_path: Path, schema: str, smsc: CountingSmsc) -> None:
        self.tmp_path = tmp_path
        self.schema = schema
        self.smsc = smsc
        self.running: dict[str, tuple[Gateway, asyncio.Event, asyncio.Task[None]]] = {}

    async def start(self, name: str) -> Gateway:
        gw = Gateway(config(self.tmp_path, self.schema, name, self.smsc.port))
        stop = asyncio.Event()
        task = asyncio.create_task(gw.run(stop))
        await asyncio.wait_for(gw.ready.wait(), 20)
        self.running[name] = (gw, stop, task)
        return gw

    async def stop(self, name: str) -> None:
        _, stop, task = self.running.pop(name)
        stop.set()
        await asyncio.wait_for(task, 20)

    def bound(self) -> dict[str, int]:
        """Bound links of the connector, per node."""
        out = {}
        for name, (gw, _, _) in self.running.items():
            connector = gw.connectors[UPSTREAM]
            assert isinstance(connector, SmppConnector)
            out[name] = sum(1 for b in connector.bind_states() if b.state == "bound")
        return out


async def until(predicate: Callable[[], bool], what: str, within_s: float = SETTLE_S) -> None:
    deadline = time.monotonic() + within_s
    while not predicate():
        assert time.monotonic() < deadline, f"not within {within_s} s: {what}"
        await asyncio.sleep(0.05)


@pytest.fixture
async def nodes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Nodes]:
    monkeypatch.setenv("HG_CLUSTER_SMSC_PW", "secret")
    smsc = CountingSmsc()
    await smsc.start()
    cluster = Nodes(tmp_path, f"hg_test_{uuid.uuid4().hex[:16]}", smsc)
    try:
        yield cluster
    finally:
        for name in list(cluster.running):
            with contextlib.suppress(Exception):
                await cluster.stop(name)
        await smsc.aclose()
        await drop_postgres_schema(cluster.schema)


@pytest.mark.slow
@needs_postgres
async def test_binds_are_shared_never_exceed_n_and_move_to_survivors(nodes: Nodes) -> None:
    smsc = nodes.smsc

    def total() -> int:
        return len(smsc.bound_links())

    await nodes.start("a")
    await until(lambda: nodes.bound() == {"a": 2} and total() == 2, "a alone holds both binds")
    await nodes.start("b")
    await until(lambda: nodes.bound() == {"a": 1, "b": 1} and total() == 2, "a shares with b")
    await nodes.start("c")
    await until(lambda: sorted(nodes.bound().values()) == [0, 1, 1], "three nodes, two binds")
    holders = [name for name, n in nodes.bound().items() if n]
    await nodes.stop(holders[0])  # a clean stop frees its lease at once
    await until(lambda: sorted(nodes.bound().values()) == [1, 1] and total() == 2, "taken over")
    await nodes.start(holders[0])  # back under the same name: it waits for a free slot
    await until(lambda: sorted(nodes.bound().values()) == [0, 1, 1], "back, without a bind")
    assert smsc.peak == BINDS
    assert total() == BINDS
    stand_by = [
        b.state
        for gw, _, _ in nodes.running.values()
        for b in gw.connectors[UPSTREAM].bind_states()  # type: ignore[attr-defined]
    ]
    assert stand_by.count("standby") == 3 * BINDS - BINDS


class RecordingStore:
    """The lease calls of a cluster store, in order (a node that holds what it asks for)."""

    lease_s = 8.0

    def __init__(self, log: list[str]) -> None:
        self.log = log

    async def acquire_leases(
        self, resource: str, *, slots: int, want: int, now: float, ttl_s: float | None = None
    ) -> list[int]:
        self.log.append(f"acquire {want}")
        return list(range(want))

    async def release_leases(self, resource: str | None = None, slots: object = None) -> None:
        self.log.append("release all")


class RecordingConnector:
    def __init__(self, log: list[str]) -> None:
        self.log = log

    def hold(self, slots: frozenset[int]) -> None:
        self.log.append(f"hold {sorted(slots)}")

    async def released(self) -> None:
        self.log.append("released")


async def test_slots_given_back_are_unbound_before_their_leases_are_freed() -> None:
    log: list[str] = []
    connector = RecordingConnector(log)
    assert isinstance(connector, LeasedBinds)
    leases = BindLeases(
        RecordingStore(log),  # type: ignore[arg-type]
        UPSTREAM,
        3,
        FakeClock(),
        on_change=connector.hold,
        drain=connector.released,
    )
    await leases.step(live_nodes=1)
    assert log == ["acquire 3", "hold [0, 1, 2]"]
    log.clear()
    await leases.step(live_nodes=3)  # two nodes joined: keep one
    assert log == ["hold [0]", "released", "acquire 1"]
    log.clear()
    await leases.release()
    assert log == ["hold []", "released", "release all"]
