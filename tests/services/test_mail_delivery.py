"""Mail through the callback outbox: a relay's 4xx is tried again with the callback backoff,
its 5xx drops the event as refused, and ``also`` accounts get a copy of each status event.

The relay is a scripted aiosmtpd server on 127.0.0.1:0 (its answers to RCPT and DATA are
given per test); time is a FakeClock, so retries are stepped, never waited for.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP

from heliograph.domain.accounts import ReceiptMail
from heliograph.domain.ids import ConnectorId, MessageId
from heliograph.domain.inbound import DeliveryMethod, MoRoute, plan_mo
from heliograph.domain.messages import MoMessage
from heliograph.domain.retry import Backoff
from heliograph.servers.smtp import MailDeliverer, Relay
from heliograph.services.callbacks import CallbackService
from heliograph.services.metrics import Metrics
from heliograph.store.base import AccountChanges, Store
from heliograph.store.sqlite_admin import account_admin
from tests.services.fakes import RecordingCallbackSender, make_account, submit
from tests.support.clock import FakeClock

BACKOFF = Backoff(base_s=10.0, max_s=100.0, jitter=0.0)
DESK = "desk@alpha.example"
HOOK = "https://client.example/hook"


class ScriptedRelay:
    """Answers RCPT and DATA with the next scripted reply (then 250) and keeps accepted mail."""

    def __init__(self) -> None:
        self.rcpt: list[str] = []
        self.data: list[str] = []
        self.mails: list[EmailMessage] = []
        self.port = 0
        self._server: asyncio.Server | None = None

    async def handle_RCPT(
        self, server: SMTP, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.rcpt:
            return self.rcpt.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Any, envelope: Any) -> str:
        if self.data:
            return self.data.pop(0)
        self.mails.append(BytesParser(policy=policy.default).parsebytes(envelope.original_content))
        return "250 OK"

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SMTP(self, hostname="relay.test", loop=loop), "127.0.0.1", 0
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()


@pytest.fixture
async def relay() -> AsyncIterator[ScriptedRelay]:
    box = ScriptedRelay()
    await box.start()
    yield box
    await box.stop()


def outbox(store: Store, clock: FakeClock, relay: ScriptedRelay) -> CallbackService:
    svc = CallbackService(
        store, RecordingCallbackSender(), clock, Metrics(), backoff=BACKOFF, max_age_s=3600.0
    )
    mailer = Relay(host="127.0.0.1", port=relay.port, sender="sms@gw.test", domain="gw.test")
    svc.targets["email"] = MailDeliverer(mailer)
    return svc


async def mo_for_mail(store: Store, clock: FakeClock) -> MessageId:
    """An MO routed to alpha by email, stored with its outbox event."""
    acct = replace(await make_account(store, clock), email=DESK)
    route = MoRoute(
        id=1,
        number="12345",
        keyword=None,
        account_id=acct.id,
        method=DeliveryMethod.EMAIL,
        url=None,
        created_at=clock.now(),
    )
    mo = MoMessage(
        id=MessageId("MO1"),
        connector=ConnectorId("loopback"),
        sender="+447911123456",
        to="12345",
        text="Is it open?",
        received_at=clock.now(),
    )
    plan = plan_mo(mo, route, acct, None, clock.now())
    assert await store.insert_mo([plan], clock.now()) == ["MO1"]
    return mo.id


def refused(svc: CallbackService) -> float:
    return svc._metrics.callbacks.labels("refused")._value.get()  # type: ignore[no-any-return]


async def test_a_4xx_is_tried_again_with_backoff_then_delivered(
    memory_store: Store, clock: FakeClock, relay: ScriptedRelay
) -> None:
    await mo_for_mail(memory_store, clock)
    relay.rcpt = ["450 4.2.1 mailbox busy"]
    relay.data = ["451 4.3.0 try again later"]
    svc = outbox(memory_store, clock, relay)
    assert await svc.deliver_once() == 1  # RCPT 450
    assert await svc.deliver_once() == 0  # not due before its backoff
    clock.advance(10.0)
    assert await svc.deliver_once() == 1  # DATA 451
    assert relay.mails == []
    clock.advance(20.0)
    assert await svc.deliver_once() == 1
    [mail] = relay.mails
    assert mail["To"] == DESK and mail["Subject"] == "SMS from +447911123456 to 12345"
    assert mail["Reply-To"] == "447911123456+12345@gw.test"
    clock.advance(3600.0)
    assert await svc.deliver_once() == 0 and refused(svc) == 0


@pytest.mark.parametrize("where", ["rcpt", "data"])
async def test_a_5xx_drops_the_event_as_refused(
    memory_store: Store,
    clock: FakeClock,
    relay: ScriptedRelay,
    where: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await mo_for_mail(memory_store, clock)
    setattr(relay, where, ["550 5.1.1 no such user"])
    svc = outbox(memory_store, clock, relay)
    assert await svc.deliver_once() == 1
    assert refused(svc) == 1 and relay.mails == []
    clock.advance(3600.0)
    assert await svc.deliver_once() == 0  # not tried again
    [record] = [r for r in caplog.records if "refused for good" in r.getMessage()]
    assert "MO1" in record.getMessage() and "no such user" in record.getMessage()


async def test_an_unreachable_relay_is_tried_again(
    memory_store: Store, clock: FakeClock, relay: ScriptedRelay
) -> None:
    await mo_for_mail(memory_store, clock)
    svc = outbox(memory_store, clock, relay)
    await relay.stop()
    relay._server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    assert await svc.deliver_once() == 1  # the connection closes before a greeting
    assert refused(svc) == 0
    clock.advance(10.0)
    assert len(await memory_store.claim_callbacks(clock.now(), 10, 60.0)) == 1


async def test_an_also_account_gets_each_status_event_copied_once(
    memory_store: Store, clock: FakeClock, relay: ScriptedRelay
) -> None:
    acct = await make_account(memory_store, clock, callback_url=HOOK)
    admin = account_admin(memory_store)
    assert admin is not None
    await admin.update_account(acct.id, AccountChanges(email=DESK, email_receipts=ReceiptMail.ALSO))
    [mid] = await submit(memory_store, clock, acct, "+447911000001")
    await memory_store.cancel_message(acct.id, mid, clock.now())
    sender = RecordingCallbackSender([503])
    svc = CallbackService(memory_store, sender, clock, Metrics(), backoff=BACKOFF, max_age_s=3600.0)
    svc.targets["email"] = MailDeliverer(
        Relay(host="127.0.0.1", port=relay.port, sender="sms@gw.test")
    )
    assert await svc.deliver_once() == 1  # the HTTP callback fails; the copy is queued
    assert await svc.deliver_once() == 1  # the copy is mailed
    [mail] = relay.mails
    assert mail["To"] == DESK and mail["Subject"] == f"SMS to +447911000001: cancelled ({mid})"
    clock.advance(10.0)
    assert await svc.deliver_once() == 1  # the HTTP callback again: no second copy
    assert await svc.deliver_once() == 0
    assert len(relay.mails) == 1 and len(sender.requests) == 2
    assert json.loads(sender.requests[1].body)["status"] == "cancelled"


async def test_mailto_without_a_relay_waits(memory_store: Store, clock: FakeClock) -> None:
    await mo_for_mail(memory_store, clock)
    svc = CallbackService(
        memory_store, RecordingCallbackSender(), clock, Metrics(), backoff=BACKOFF
    )
    assert await svc.deliver_once() == 1
    clock.advance(10.0)
    [job] = await memory_store.claim_callbacks(clock.now(), 10, 60.0)
    assert job.url == f"mailto:{DESK}" and job.attempts == 2
