"""InboundService, OptOutService and test mode: MO routing, opt-out, HELP, simulation."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from heliograph.connectors.loopback import LoopbackConnector, LoopbackSettings
from heliograph.domain.accounts import Account, verify_callback_signature
from heliograph.domain.ids import AccountId, ConnectorId, MessageId
from heliograph.domain.inbound import mo_route_spec
from heliograph.domain.messages import MessageState, MoMessage
from heliograph.domain.optout import ConsentAction, ConsentSource, KeywordAction, Keywords
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.domain.retry import Backoff
from heliograph.domain.routing import Route
from heliograph.domain.submission import RecipientPlan, SubmitLimits, SubmitRequest
from heliograph.services.accounts import AccountService
from heliograph.services.callbacks import CallbackService
from heliograph.services.dispatch import TEST_CONNECTOR, Dispatcher
from heliograph.services.inbound import (
    InboundService,
    InboundSettings,
    ModesCache,
    OptOutService,
)
from heliograph.services.metrics import Metrics
from heliograph.services.submit import SubmitResult, SubmitService
from heliograph.store.base import (
    AccountModes,
    CallbackJob,
    IdempotentAnswer,
    MessageFilter,
    Store,
    StoreError,
    Unavailable,
)
from tests.services.fakes import RecordingCallbackSender, ScriptedConnector, make_account
from tests.support.clock import FakeClock

S = MessageState
SHORT = "+447700900000"
SUB = "+447911123456"


def render(plans: list[RecipientPlan]) -> IdempotentAnswer:
    return IdempotentAnswer(status=202, body=b"")


class Harness:
    def __init__(self, store: Store, clock: FakeClock, **settings: Any) -> None:
        self.store = store
        self.clock = clock
        self.metrics = Metrics()
        self.accounts = AccountService(store, clock)
        self.modes = ModesCache(store, clock)
        self.loopback = LoopbackConnector(ConnectorId("loopback"), LoopbackSettings(), clock)
        self.smsc = ScriptedConnector("smsc")
        self.test = ScriptedConnector(TEST_CONNECTOR)
        self.connectors: dict[ConnectorId, Any] = {
            self.loopback.id: self.loopback,
            self.smsc.id: self.smsc,
            self.test.id: self.test,
        }
        self.submit = SubmitService(
            store,
            clock,
            self.metrics,
            SubmitLimits(),
            lambda: None,
            prices=self.accounts.prices,
            modes=self.modes,
        )
        self.queued = 0
        self.inbound = InboundService(
            store,
            clock,
            self.metrics,
            InboundSettings(**settings),
            submit=self.submit,
            modes=self.modes,
            on_queued=self._queued,
            connectors=self.connectors,
        )
        self.optouts = OptOutService(store, clock, self.modes)

    def _queued(self) -> None:
        self.queued += 1

    async def mo(self, text: str, *, to: str = SHORT, sender: str = SUB) -> MoMessage:
        mo = MoMessage(
            id=MessageId(f"MO{len(text)}{text[:3]}{self.clock.now()}"),
            connector=ConnectorId("loopback"),
            sender=sender,
            to=to,
            text=text,
            received_at=self.clock.now(),
        )
        self.inbound.accept(mo)
        await self.inbound.flush()
        return mo

    async def send(self, acct: Account, *to: str, **kw: Any) -> SubmitResult:
        req = SubmitRequest(account_id=acct.id, to=to or (SUB,), text="offer", **kw)
        return await self.submit.submit(req, acct, render)

    async def outbox(self) -> list[CallbackJob]:
        return await self.store.claim_callbacks(self.clock.now(), 100, 60.0)

    def counted(self, result: str) -> float | None:
        return self.metrics.registry.get_sample_value(
            "heliograph_mo_received_total", {"result": result}
        )


@pytest.fixture
def h(memory_store: Store, clock: FakeClock) -> Harness:
    return Harness(memory_store, clock)


async def shop(h: Harness, callback_url: str | None = "https://shop.example/hook") -> Account:
    acct = await make_account(h.store, h.clock, "shop", callback_url=callback_url)
    await h.store.add_mo_route(mo_route_spec(SHORT), acct.id, h.clock.now())
    return acct


# --- routing and delivery ------------------------------------------------------------------


async def test_routed_mo_is_stored_and_posted_signed_to_the_account(h: Harness) -> None:
    acct = await shop(h)
    mo = await h.mo("Hello there")
    [stored] = await h.store.list_mo(acct.id, before=None, limit=10)
    assert stored.id == mo.id and stored.text == "Hello there" and stored.route_id is not None
    assert h.queued == 1 and h.counted("routed") == 1
    sender = RecordingCallbackSender()
    callbacks = CallbackService(h.store, sender, h.clock, Metrics(), backoff=Backoff())
    assert await callbacks.deliver_once() == 1
    [request] = sender.requests
    assert request.url == "https://shop.example/hook"
    assert request.headers["X-Heliograph-Message-Id"] == mo.id
    assert verify_callback_signature(
        "whsec_shop", request.headers["X-Heliograph-Signature"], request.body, h.clock.now()
    )
    event = json.loads(request.body)
    assert event == {
        "event": "message.received",
        "id": mo.id,
        "from": SUB,
        "to": SHORT,
        "text": "Hello there",
        "received_at": round(mo.received_at, 3),
        "incomplete": False,
        "keyword": None,
    }


async def test_keyword_route_with_its_own_url_and_smpp_route(h: Harness) -> None:
    acct = await shop(h)
    other = await make_account(h.store, h.clock, "other")
    await h.store.add_mo_route(
        mo_route_spec(SHORT, keyword="pizza", url="https://pizza.example/mo"), acct.id, 0.0
    )
    await h.store.add_mo_route(mo_route_spec("1234*", method="smpp"), other.id, 0.0)
    await h.mo("PIZZA large")
    await h.mo("hi", to="12345")
    jobs = {j.format: j for j in await h.outbox()}
    assert jobs["json"].url == "https://pizza.example/mo"
    assert json.loads(jobs["json"].body)["keyword"] == "pizza"
    assert jobs["smpp"].url == "smpp:mo" and jobs["smpp"].account_id == other.id
    assert json.loads(jobs["smpp"].body)["event"] == "message.received"


async def test_unrouted_mo_is_stored_logged_and_counted(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    await shop(h)
    with caplog.at_level(logging.WARNING, "heliograph.inbound"):
        mo = await h.mo("hello", to="+447700900999")
    assert [r.id for r in await h.store.list_mo(None, before=None, limit=10)] == [mo.id]
    assert h.counted("unrouted") == 1 and h.counted("routed") == 0
    assert await h.outbox() == [] and h.queued == 0
    assert "matches no MO route" in caplog.text


async def test_routed_mo_without_a_url_is_stored_and_logged(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    acct = await shop(h, callback_url=None)
    with caplog.at_level(logging.WARNING, "heliograph.inbound"):
        await h.mo("hello")
    assert len(await h.store.list_mo(acct.id, before=None, limit=10)) == 1
    assert await h.outbox() == []
    assert "no callback URL" in caplog.text


class FlakyStore:
    """The memory store, with insert_mo failing as scripted."""

    def __init__(self, store: Store, failures: list[StoreError]) -> None:
        self._store = store
        self.failures = failures

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def insert_mo(self, plans: Any, now: float) -> list[MessageId]:
        if self.failures:
            raise self.failures.pop(0)
        return await self._store.insert_mo(plans, now)


async def test_unavailable_store_keeps_the_batch_for_the_next_flush(
    memory_store: Store, clock: FakeClock
) -> None:
    flaky = FlakyStore(memory_store, [Unavailable("database is locked")])
    h = Harness(flaky, clock)  # type: ignore[arg-type]
    acct = await shop(h)
    with pytest.raises(Unavailable):
        await h.mo("hello")
    assert h.inbound.backlog == 1
    assert await h.inbound.flush() == 1
    assert h.inbound.backlog == 0
    assert len(await memory_store.list_mo(acct.id, before=None, limit=10)) == 1


async def test_a_store_that_refuses_mo_drops_them_with_an_error(
    memory_store: Store, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    flaky = FlakyStore(memory_store, [StoreError("not supported on this store")])
    h = Harness(flaky, clock)  # type: ignore[arg-type]
    await shop(h)
    with caplog.at_level(logging.ERROR, "heliograph.inbound"):
        await h.mo("hello")
    assert h.inbound.backlog == 0 and h.counted("dropped") == 1
    assert "not supported on this store" in caplog.text


# --- opt-out -------------------------------------------------------------------------------


async def test_stop_opts_out_at_once_and_start_opts_back_in(h: Harness) -> None:
    acct = await shop(h)
    assert (await h.send(acct)).plans[0].message is not None
    h.clock.advance(61)  # past the duplicate window of nobody: no guards here anyway
    stop = await h.mo("Stop")
    refused = (await h.send(acct, SUB, "+447911000002")).plans
    assert refused[0].message is None and refused[0].error is not None
    assert refused[0].error.reason is RejectReason.OPTED_OUT
    assert refused[1].message is not None
    [entry], _ = await h.optouts.page(acct.id, cursor=None, limit=10)
    assert entry.number == SUB and entry.mo_id == stop.id and entry.keyword == "STOP"
    assert entry.source is ConsentSource.MO and entry.since == h.clock.now()
    assert len(await h.outbox()) == 1  # the STOP itself is still delivered to the account
    start = await h.mo("start")
    assert (await h.send(acct)).plans[0].message is not None
    _, listed, history = await h.optouts.history(acct.id, SUB)
    assert not listed
    assert [(c.action, c.mo_id) for c in history] == [
        (ConsentAction.OPT_OUT, stop.id),
        (ConsentAction.OPT_IN, start.id),
    ]


async def test_keywords_off_change_nothing(memory_store: Store, clock: FakeClock) -> None:
    h = Harness(memory_store, clock, keywords=None)
    acct = await shop(h)
    await h.mo("STOP")
    assert (await h.send(acct)).plans[0].message is not None


async def test_stop_from_a_national_number_is_logged_not_listed(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    acct = await shop(h)
    with caplog.at_level(logging.WARNING, "heliograph.inbound"):
        await h.mo("STOP", sender="07911123456")
    assert await h.store.opted_out(acct.id, [SUB]) == set()
    assert "not an E.164 number" in caplog.text


async def test_help_is_answered_with_the_configured_text(
    memory_store: Store, clock: FakeClock
) -> None:
    h = Harness(memory_store, clock, help_text="Shop: reply STOP to opt out")
    acct = await shop(h)
    await h.mo("help")
    [reply] = await h.store.list_messages(acct.id, MessageFilter(), before=None, limit=10)
    assert reply.to == SUB and reply.sender == SHORT
    assert reply.text == "Shop: reply STOP to opt out"
    assert (await h.store.list_mo(acct.id, before=None, limit=1))[0].action is KeywordAction.HELP


async def test_a_replayed_help_is_answered_and_counted_once(h: Harness) -> None:
    acct = await shop(h)
    asked = await h.mo("HELP")
    h.inbound.accept(asked)
    assert await h.inbound.flush() == 0
    assert len(await h.store.list_messages(acct.id, MessageFilter(), before=None, limit=10)) == 1
    assert h.counted("routed") == 1


async def test_help_reply_that_is_refused_is_logged(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    acct = await shop(h)
    await h.store.set_price(None, "1", 1000)  # no price for +44: the reply has no route
    with caplog.at_level(logging.WARNING, "heliograph.inbound"):
        await h.mo("HELP")
    assert await h.store.list_messages(acct.id, MessageFilter(), before=None, limit=1) == []
    assert "not answered" in caplog.text


class CountingStore:
    def __init__(self, store: Store) -> None:
        self._store = store
        self.lookups = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def opted_out(self, account_id: AccountId, numbers: Any) -> set[str]:
        self.lookups += 1
        return await self._store.opted_out(account_id, numbers)


async def test_the_list_is_read_only_for_accounts_that_have_one(
    memory_store: Store, clock: FakeClock
) -> None:
    counting = CountingStore(memory_store)
    h = Harness(counting, clock)  # type: ignore[arg-type]
    acct = await shop(h)
    for _ in range(3):
        await h.send(acct, "+447911000009")
    assert counting.lookups == 0
    await h.optouts.add(acct.id, "+447911000001", "asked by phone", ConsentSource.API)
    await h.send(acct, "+447911000009")
    assert counting.lookups == 1


async def test_optout_service_add_remove_page_and_errors(h: Harness) -> None:
    acct = await shop(h)
    entry, added = await h.optouts.add(acct.id, "0044 7911 000001", "by phone", ConsentSource.API)
    assert added and entry.number == "+447911000001" and entry.reason == "by phone"
    assert (await h.optouts.add(acct.id, "+447911000001", None, ConsentSource.API))[1] is False
    await h.optouts.add(acct.id, "+447911000002", None, ConsentSource.API)
    page, cursor = await h.optouts.page(acct.id, cursor=None, limit=1)
    assert [o.number for o in page] == ["+447911000001"] and cursor == "+447911000001"
    page, cursor = await h.optouts.page(acct.id, cursor=cursor, limit=1)
    assert [o.number for o in page] == ["+447911000002"] and cursor is None
    await h.optouts.remove(acct.id, "+447911000002", ConsentSource.API)
    with pytest.raises(Rejected) as info:
        await h.optouts.remove(acct.id, "+447911000002", ConsentSource.API)
    assert info.value.reason is RejectReason.NOT_FOUND
    with pytest.raises(Rejected) as info:
        await h.optouts.add(acct.id, "12", None, ConsentSource.API)
    assert info.value.reason is RejectReason.INVALID_DESTINATION and info.value.field == "number"
    with pytest.raises(Rejected) as info:
        await h.optouts.page(acct.id, cursor=None, limit=0)
    assert info.value.field == "limit"


# --- test mode -----------------------------------------------------------------------------


async def test_test_request_is_priced_not_charged_and_goes_to_the_test_connector(
    h: Harness,
) -> None:
    acct = await shop(h)
    await h.store.set_price(None, "44", 40_000)
    await h.store.adjust_balance(acct.id, 100_000, "top up", h.clock.now())
    result = await h.send(acct, SUB, test=True)
    [msg] = [p.message for p in result.plans if p.message]
    assert msg.test and msg.price_micros == 40_000
    assert (await h.store.balance(acct.id)).balance_micros == 100_000
    dispatcher = Dispatcher(
        h.store,
        h.connectors,
        [Route(connectors=(h.smsc.id,))],
        h.clock,
        h.metrics,
        backoff=Backoff(),
    )
    assert await dispatcher.dispatch_once() == 1
    await dispatcher.drain()
    assert h.smsc.submitted == [] and [p.message_id for p in h.test.submitted] == [msg.id]
    view = await h.store.get_message(acct.id, msg.id)
    assert view is not None and view.test and view.state is S.SENT
    # A failed test part is not refunded: it was never charged.
    assert (await h.store.balance(acct.id)).balance_micros == 100_000


async def test_test_part_without_a_real_route_fails_like_a_real_one(h: Harness) -> None:
    acct = await shop(h)
    result = await h.send(acct, SUB, test=True)
    dispatcher = Dispatcher(
        h.store,
        h.connectors,
        [Route(connectors=(h.smsc.id,), prefixes=("33",))],
        h.clock,
        h.metrics,
        backoff=Backoff(),
    )
    await dispatcher.dispatch_once()
    await dispatcher.drain()
    mid = result.plans[0].message.id  # type: ignore[union-attr]
    view = await h.store.get_message(acct.id, mid)
    assert view is not None and view.state is S.FAILED and h.test.submitted == []


async def test_account_test_mode_applies_to_every_request(h: Harness) -> None:
    acct = await shop(h)
    await h.store.set_test_mode(acct.id, True)
    assert (await h.send(acct)).plans[0].message.test  # type: ignore[union-attr]
    await h.store.set_test_mode(acct.id, False)
    h.modes.forget(acct.id)
    h.clock.advance(1)
    assert not (await h.send(acct, "+447911000005")).plans[0].message.test  # type: ignore[union-attr]


async def test_test_mode_refused_where_the_store_cannot_keep_it(
    memory_store: Store, clock: FakeClock
) -> None:
    acct = await make_account(memory_store, clock)
    req = SubmitRequest(account_id=acct.id, to=(SUB,), text="x", test=True)

    async def unsupported(_: AccountId) -> AccountModes:
        return AccountModes(test_supported=False)

    for modes in (None, unsupported):
        service = SubmitService(
            memory_store, clock, Metrics(), SubmitLimits(), lambda: None, modes=modes
        )
        with pytest.raises(Rejected) as info:
            await service.submit(req, acct, render)
        assert info.value.reason is RejectReason.NOT_SUPPORTED and info.value.field == "test"
    assert await memory_store.list_messages(acct.id, MessageFilter(), before=None, limit=1) == []


# --- simulation ----------------------------------------------------------------------------


async def test_simulated_mo_comes_out_of_the_loopback_connector(h: Harness) -> None:
    acct = await shop(h)
    mo = await h.inbound.simulate(acct, "loopback", SUB, SHORT, "hello")
    batch = await anext(aiter(h.loopback.inbound()))
    assert list(batch) == [mo]
    assert mo.connector == "loopback" and mo.sender == SUB and mo.to == SHORT


@pytest.mark.parametrize(
    ("connector", "to", "reason"),
    [
        ("nowhere", SHORT, RejectReason.NOT_FOUND),
        ("smsc", SHORT, RejectReason.NOT_SUPPORTED),
        ("loopback", "+447700900999", RejectReason.NO_ROUTE),
    ],
)
async def test_simulation_refusals(
    h: Harness, connector: str, to: str, reason: RejectReason
) -> None:
    acct = await shop(h)
    with pytest.raises(Rejected) as info:
        await h.inbound.simulate(acct, connector, SUB, to, "hello")
    assert info.value.reason is reason


async def test_simulation_only_for_the_accounts_own_routes(h: Harness) -> None:
    await shop(h)
    other = await make_account(h.store, h.clock, "other")
    with pytest.raises(Rejected) as info:
        await h.inbound.simulate(other, "loopback", SUB, SHORT, "STOP")
    assert info.value.reason is RejectReason.NO_ROUTE
    with pytest.raises(Rejected) as info:
        await h.inbound.simulate(other, "loopback", SUB, SHORT, "")
    assert info.value.field == "text"


def test_keywords_default() -> None:
    assert InboundSettings().keywords == Keywords.of()
