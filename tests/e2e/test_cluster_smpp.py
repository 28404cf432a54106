"""Two gateway nodes on one PostgreSQL: receipts and MO for an SMPP client bound to node A
but written by node B go out over A's bind, promptly.

Both nodes run in this process (two Gateways, each with its own store pool and node
identity). Node A never dispatches, so every receipt and MO of these tests is written
by node B; the callback workers of both nodes poll only once a minute, so only the
notification of the outbox can make A deliver within the test's few seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from heliograph.app import Gateway
from heliograph.config import (
    CallbacksConfig,
    Config,
    ConnectorConfig,
    HttpConfig,
    SmppConfig,
    SmtpConfig,
    StoreConfig,
)
from heliograph.domain.accounts import Account
from heliograph.domain.ids import MessageId
from heliograph.domain.inbound import mo_route_spec
from heliograph.services.accounts import NewAccount
from heliograph.wire.receipt import parse_receipt
from heliograph.wire.smpp.constants import EsmClass
from heliograph.wire.smpp.pdus import BindReceiver, BindTransmitter, SubmitSm, SubmitSmResp
from tests.conftest import drop_postgres_schema, postgres_dsn
from tests.support.esme import Esme

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not postgres_dsn(), reason="PostgreSQL cluster: set HELIOGRAPH_TEST_POSTGRES_DSN to run it"
    ),
]

WAIT_S = 5.0
PROMPT_S = 2.0  # far below the callback workers' one-minute poll
LEASE_S = 6.0


def config(tmp_path: Path, schema: str, name: str) -> Config:
    data = tmp_path / name
    data.mkdir()
    return Config(
        data_dir=str(data),
        http=HttpConfig(port=0),
        smpp=SmppConfig(port=0),
        smtp=SmtpConfig(enabled=False),
        store=StoreConfig(url=f"{postgres_dsn()}?schema={schema}&node={name}&lease_s={LEASE_S}"),
        callbacks=CallbacksConfig(backoff_base_s=0.05, backoff_max_s=0.2),
        connectors=(ConnectorConfig(name="loopback", receipt_delay_s=0.05),),
    )


async def _idle() -> None:
    await asyncio.Event().wait()


@dataclass
class Nodes:
    a: Gateway
    b: Gateway
    client: NewAccount
    account: Account

    def smpp_port(self, gw: Gateway) -> int:
        assert gw.smpp is not None and gw.smpp.port is not None
        return gw.smpp.port

    async def bind(self, gw: Gateway, kind: type[BindReceiver | BindTransmitter]) -> Esme:
        esme = await Esme.connect(self.smpp_port(gw))
        resp = await esme.bind(self.client.smpp_system_id, self.client.smpp_password, kind=kind)
        assert resp.command_status == 0
        return esme


@pytest.fixture
async def nodes(tmp_path: Path) -> AsyncIterator[Nodes]:
    schema = f"hg_test_{uuid.uuid4().hex[:16]}"
    gateways: list[Gateway] = []
    runs: list[tuple[asyncio.Event, asyncio.Task[None]]] = []
    try:
        for name in ("a", "b"):
            gw = Gateway(config(tmp_path, schema, name))
            gw.callbacks._loop._idle_poll_s = 60.0  # only a wake-up delivers promptly
            if name == "a":
                gw.dispatcher.run = _idle  # type: ignore[method-assign]  # B sends everything
            stop = asyncio.Event()
            runs.append((stop, asyncio.create_task(gw.run(stop))))
            await asyncio.wait_for(gw.ready.wait(), 20)
            gateways.append(gw)
        a, b = gateways
        client = await a.create_account("client")
        account = await a.store.find_account("client")
        assert account is not None
        yield Nodes(a, b, client, account)
    finally:
        for stop, task in runs:
            stop.set()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, 20)
        await drop_postgres_schema(schema)


async def submit(esme: Esme, to: str) -> str:
    resp = await esme.request(
        SubmitSm(destination_addr=to, registered_delivery=1, short_message=b"across nodes")
    )
    assert isinstance(resp, SubmitSmResp) and resp.command_status == 0
    return resp.message_id


async def outbox_empty(gw: Gateway) -> None:
    deadline = time.monotonic() + WAIT_S
    while (await gw.store.queue_depth()).callbacks:
        assert time.monotonic() < deadline, "the outbox did not empty"
        await asyncio.sleep(0.02)


async def test_receipt_written_on_b_goes_out_over_the_receiver_bind_on_a(nodes: Nodes) -> None:
    receiver = await nodes.bind(nodes.a, BindReceiver)
    sender = await nodes.bind(nodes.b, BindTransmitter)
    try:
        started = time.monotonic()
        message_id = await submit(sender, "447700900123")
        receipt = await receiver.next_deliver_sm(within_s=WAIT_S)
        assert time.monotonic() - started < PROMPT_S
        assert receipt.esm_class == EsmClass.SMSC_DELIVERY_RECEIPT
        assert parse_receipt(receipt.short_message).id == message_id
        view = await nodes.b.messages.get(nodes.account.id, MessageId(message_id))
        assert view.parts[0].connector == "loopback"
    finally:
        receiver.close()
        sender.close()


async def test_mo_arriving_on_b_goes_out_over_the_receiver_bind_on_a(nodes: Nodes) -> None:
    now = nodes.a.clock.now()
    await nodes.a.store.add_mo_route(
        mo_route_spec("447700900999", method="smpp"), nodes.account.id, now
    )
    receiver = await nodes.bind(nodes.a, BindReceiver)
    try:
        started = time.monotonic()
        await nodes.b.inbound.simulate(
            nodes.account, "loopback", "447911123456", "447700900999", "hello over A"
        )
        mo = await receiver.next_deliver_sm(within_s=WAIT_S)
        assert time.monotonic() - started < PROMPT_S
        assert mo.short_message == b"hello over A"
        assert mo.source_addr == "447911123456" and mo.destination_addr == "447700900999"
    finally:
        receiver.close()


async def test_held_with_no_bind_anywhere_then_delivered_where_the_client_binds(
    nodes: Nodes,
) -> None:
    sender = await nodes.bind(nodes.b, BindTransmitter)
    try:
        message_id = await submit(sender, "447700900124")
        await asyncio.sleep(0.5)  # the receipt is written and held: nobody has a receiver bind
        receiver = await nodes.bind(nodes.a, BindReceiver)
        receipt = await receiver.next_deliver_sm(within_s=WAIT_S)
        assert parse_receipt(receipt.short_message).id == message_id
        await outbox_empty(nodes.a)  # a receiver bind releases events still in flight too
        # the client moves to node B: what comes next goes out there
        await receiver.unbind()
        receiver.close()
        await receiver.wait_closed()
        moved = await nodes.bind(nodes.b, BindReceiver)
        try:
            second = await submit(sender, "447700900125")
            receipt = await moved.next_deliver_sm(within_s=WAIT_S)
            assert parse_receipt(receipt.short_message).id == second
        finally:
            moved.close()
    finally:
        sender.close()
