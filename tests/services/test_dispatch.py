"""Dispatcher: claim, route, submit through a scripted connector, record outcomes."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from heliograph.domain.accounts import Account
from heliograph.domain.ids import ConnectorId
from heliograph.domain.messages import MessageState
from heliograph.domain.outcomes import PermanentFailure, TemporaryFailure
from heliograph.domain.retry import Backoff
from heliograph.domain.routing import Route
from heliograph.services.dispatch import Dispatcher
from heliograph.services.metrics import Metrics
from heliograph.store.base import Changes, Store
from tests.services.fakes import ScriptedConnector, get, make_account, submit
from tests.support.clock import FakeClock

S = MessageState
BACKOFF = Backoff(base_s=10.0, max_s=100.0, jitter=0.2, max_attempts=3)


def dispatcher(
    store: Store,
    clock: FakeClock,
    connectors: Sequence[ScriptedConnector],
    routes: Sequence[Route] | None = None,
    **kw: object,
) -> Dispatcher:
    conns = {c.id: c for c in connectors}
    return Dispatcher(
        store,
        conns,
        routes if routes is not None else [Route(connectors=tuple(conns))],
        clock,
        Metrics(),
        backoff=kw.pop("backoff", BACKOFF),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


async def once(d: Dispatcher) -> int:
    n = await d.dispatch_once()
    await d.drain()
    return n


async def alpha(store: Store, clock: FakeClock) -> Account:
    return await make_account(store, clock)


async def test_dispatcher_accepted_part_is_sent_with_upstream_id(
    memory_store: Store, clock: FakeClock
) -> None:
    acct = await alpha(memory_store, clock)
    (mid,) = await submit(memory_store, clock, acct)
    conn = ScriptedConnector("smsc")
    assert await once(dispatcher(memory_store, clock, [conn])) == 1
    v = await get(memory_store, acct, mid)
    assert v.state is S.SENT
    (part,) = v.parts
    assert (part.state, part.connector, part.upstream_id, part.attempts) == (
        S.SENT,
        "smsc",
        conn.upstream_ids[0],
        1,
    )


async def test_dispatcher_hands_the_connector_every_part(
    memory_store: Store, clock: FakeClock
) -> None:
    acct = await alpha(memory_store, clock)
    (mid,) = await submit(memory_store, clock, acct, "+14155550100", text="x" * 161, sender="Shop")
    conn = ScriptedConnector()
    await once(dispatcher(memory_store, clock, [conn]))
    assert len(conn.calls) == 1
    parts = sorted(conn.submitted, key=lambda p: p.seq)
    assert [p.seq for p in parts] == [1, 2]
    for p in parts:
        assert (p.message_id, p.to, p.sender, p.text, p.parts) == (
            mid,
            "+14155550100",
            "Shop",
            "x" * 161,
            2,
        )
        assert (p.encoding, p.data_coding, p.attempts) == ("gsm7", 0, 1)
    assert parts[0].concat_ref == parts[1].concat_ref
    assert (await get(memory_store, acct, mid)).state is S.SENT


async def test_dispatcher_nothing_due_claims_nothing(memory_store: Store, clock: FakeClock) -> None:
    acct = await alpha(memory_store, clock)
    await submit(memory_store, clock, acct, schedule_at=clock.now() + 60)
    conn = ScriptedConnector()
    assert await once(dispatcher(memory_store, clock, [conn])) == 0
    assert conn.calls == []


async def test_dispatcher_batch_size_limits_a_claim(memory_store: Store, clock: FakeClock) -> None:
    acct = await alpha(memory_store, clock)
    await submit(memory_store, clock, acct, *(f"+4479111234{n:02d}" for n in range(5)))
    conn = ScriptedConnector()
    d = dispatcher(memory_store, clock, [conn], batch_size=2)
    assert [await once(d) for _ in range(4)] == [2, 2, 1, 0]
    assert len(conn.submitted) == 5


async def test_dispatcher_temporary_failure_requeued_with_backoff(
    memory_store: Store, clock: FakeClock
) -> None:
    acct = await alpha(memory_store, clock)
    (mid,) = await submit(memory_store, clock, acct)
    conn = ScriptedConnector(outcomes=[TemporaryFailure(reason="throttled")])
    d = dispatcher(memory_store, clock, [conn])
    await once(d)

    v = await get(memory_store, acct, mid)
    assert v.state is S.QUEUED
    assert (v.parts[0].state, v.parts[0].error, v.parts[0].attempts) == (
        S.QUEUED,
        "throttled",
        1,
    )
    # due again after base_s, less at most 20 % jitter: nothing before 8 s, surely at 10 s
    clock.advance(7.99)
    assert await once(d) == 0
    clock.advance(10.0 - 7.99)
    assert await once(d) == 1
    assert [p.attempts for p in conn.submitted] == [1, 2]
    assert (await get(memory_store, acct, mid)).state is S.SENT


async def test_dispatcher_temporary_failure_honours_retry_after(
    memory_store: Store, clock: FakeClock
) -> None:
    acct = await alpha(memory_store, clock)
    await submit(memory_store, clock, acct)
    conn = ScriptedConnector(outcomes=[TemporaryFailure(reason="busy", retry_after_s=60.0)])
    d = dispatcher(memory_store, clock, [conn])
    await once(d)
    clock.advance(59.9)
    assert await once(d) == 0
    clock.advance(0.1)
    assert await once(d) == 1


async def test_dispatcher_retries_until_max_attempts_then_failed(
    memory_store: Store, clock: FakeClock
) -> None:
    acct = await alpha(memory_store, clock)
    (mid,) = await submit(memory_store, clock, acct)
    conn = ScriptedConnector(default=lambda part: TemporaryFailure(reason="throttled"))
    d = dispatcher(memory_store, clock, [conn])

    assert await once(d) == 1
    clock.advance(7.9)
    assert await once(d) == 0  # first wait is at least 8 s
    clock.advance(2.1)
    assert await once(d) == 1
    clock.advance(15.9)
    assert await once(d) == 0  # second wait is at least 16 s
    clock.advance(4.1)
    assert await once(d) == 1
    assert [p.attempts for p in conn.submitted] == [1, 2, 3]

    v = await get(memory_store, acct, mid)
    assert v.state is S.FAILED
    assert v.error is not None and "3 attempts" in v.error and "throttled" in v.error
    clock.advance(1000)
    assert await once(d) == 0
    assert len(conn.submitted) == 3


async def test_dispatcher_permanent_failure_fails_message(
    memory_store: Store, clock: FakeClock
) -> None:
    acct = await alpha(memory_store, clock)
    (mid,) = await submit(memory_store, clock, acct)
    conn = ScriptedConnector(outcomes=[PermanentFailure(reason="invalid destination")])
    d = dispatcher(memory_store, clock, [conn])
    await once(d)
    v = await get(memory_store, acct, mid)
    assert (v.state, v.error) == (S.FAILED, "invalid destination")
    assert (v.parts[0].state, v.parts[0].connector) == (S.FAILED, "smsc")
    clock.advance(1000)
    assert await once(d) == 0
    assert len(conn.submitted) == 1


async def test_dispatcher_outcomes_apply_to_their_own_parts(
    memory_store: Store, clock: FakeClock
) -> None:
    acct = await alpha(memory_store, clock)
    ids = await submit(memory_store, clock, acct, "+447911000001", "+447911000002")
    verdict = {"+447911000001": PermanentFailure(reason="blocked")}
    conn = ScriptedConnector()
    accept = conn.default
    conn.default = lambda part: verdict.get(part.to) or accept(part)
    await once(dispatcher(memory_store, clock, [conn]))
    views = [await get(memory_store, acct, m) for m in ids]
    assert {v.to: v.state for v in views} == {"+447911000001": S.FAILED, "+447911000002": S.SENT}


async def test_dispatcher_no_route_fails_without_submitting(
    memory_store: Store, clock: FakeClock
) -> None:
    acct = await alpha(memory_store, clock)
    (mid,) = await submit(memory_store, clock, acct, "+14155550100")
    conn = ScriptedConnector()
    routes = [Route(connectors=(conn.id,), prefixes=("44",))]
    await once(dispatcher(memory_store, clock, [conn], routes))
    v = await get(memory_store, acct, mid)
    assert v.state is S.FAILED
    assert v.error is not None and "+14155550100" in v.error
    assert conn.calls == []


async def test_dispatcher_connector_not_ready_retried_later(
    memory_store: Store, clock: FakeClock
) -> None:
    acct = await alpha(memory_store, clock)
    (mid,) = await submit(memory_store, clock, acct)
    conn = ScriptedConnector(ready=False)
    d = dispatcher(memory_store, clock, [conn])
    assert await once(d) == 1
    v = await get(memory_store, acct, mid)
    assert v.state is S.QUEUED
    assert (v.parts[0].connector, v.parts[0].attempts) == (None, 1)
    assert v.parts[0].error
    assert conn.calls == []

    conn.ready = True
    clock.advance(10.0)
    assert await once(d) == 1
    assert (await get(memory_store, acct, mid)).state is S.SENT


async def test_dispatcher_connector_never_ready_fails_after_max_attempts(
    memory_store: Store, clock: FakeClock
) -> None:
    acct = await alpha(memory_store, clock)
    (mid,) = await submit(memory_store, clock, acct)
    d = dispatcher(memory_store, clock, [ScriptedConnector(ready=False)])
    for _ in range(3):
        assert await once(d) == 1
        clock.advance(100.0)
    assert (await get(memory_store, acct, mid)).state is S.FAILED


async def test_dispatcher_fails_over_to_next_ready_connector(
    memory_store: Store, clock: FakeClock
) -> None:
    acct = await alpha(memory_store, clock)
    (mid,) = await submit(memory_store, clock, acct)
    primary = ScriptedConnector("primary", ready=False)
    backup = ScriptedConnector("backup")
    await once(dispatcher(memory_store, clock, [primary, backup]))
    assert primary.calls == []
    assert len(backup.submitted) == 1
    v = await get(memory_store, acct, mid)
    assert (v.state, v.parts[0].connector) == (S.SENT, "backup")


async def test_dispatcher_routes_by_longest_prefix(memory_store: Store, clock: FakeClock) -> None:
    acct = await alpha(memory_store, clock)
    uk_id, us_id = await submit(memory_store, clock, acct, "+447911123456", "+14155550100")
    uk = ScriptedConnector("uk")
    other = ScriptedConnector("other")
    routes = [
        Route(connectors=(ConnectorId("other"),)),
        Route(connectors=(ConnectorId("uk"),), prefixes=("44",)),
    ]
    await once(dispatcher(memory_store, clock, [uk, other], routes))
    assert [p.message_id for p in uk.submitted] == [uk_id]
    assert [p.message_id for p in other.submitted] == [us_id]


async def test_dispatcher_expired_part_not_submitted(memory_store: Store, clock: FakeClock) -> None:
    acct = await alpha(memory_store, clock)
    (mid,) = await submit(memory_store, clock, acct, validity_s=60)
    conn = ScriptedConnector()
    clock.advance(60)
    assert await once(dispatcher(memory_store, clock, [conn])) == 0
    assert conn.calls == []
    assert (await get(memory_store, acct, mid)).state is S.EXPIRED


async def test_dispatcher_reports_committed_changes(memory_store: Store, clock: FakeClock) -> None:
    acct = await alpha(memory_store, clock)
    await submit(memory_store, clock, acct, "+447911000001", "+447911000002")
    seen: list[Changes] = []
    conn = ScriptedConnector(outcomes=[PermanentFailure(reason="no")])
    await once(dispatcher(memory_store, clock, [conn], on_changes=seen.append))
    total = Changes()
    for c in seen:
        total.merge(c)
    assert total.states == {S.SENDING: 2, S.SENT: 1, S.FAILED: 1}


async def test_dispatcher_run_dispatches_when_woken(memory_store: Store, clock: FakeClock) -> None:
    acct = await alpha(memory_store, clock)
    conn = ScriptedConnector()
    claimed = asyncio.Event()
    d = dispatcher(
        memory_store, clock, [conn], idle_poll_s=3600.0, on_changes=lambda c: claimed.set()
    )
    task = asyncio.create_task(d.run())
    try:
        await asyncio.wait_for(claimed.wait(), 5)  # the first (empty) claim is done
        assert conn.calls == []
        await submit(memory_store, clock, acct)
        d.wake()
        await asyncio.wait_for(conn.submitted_event.wait(), 5)
        assert len(conn.submitted) == 1
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await d.drain()


async def test_dispatcher_routes_by_account_name(memory_store: Store, clock: FakeClock) -> None:
    vip = await make_account(memory_store, clock, "vip")
    other = await make_account(memory_store, clock, "other")
    (vip_mid,) = await submit(memory_store, clock, vip)
    (other_mid,) = await submit(memory_store, clock, other)
    general, premium = ScriptedConnector("general"), ScriptedConnector("premium")
    routes = [
        Route(connectors=(general.id,)),
        Route(connectors=(premium.id,), accounts=frozenset({"vip"})),
    ]

    async def names(account_id: str) -> str | None:
        found = await memory_store.get_account(account_id)  # type: ignore[arg-type]
        return found.name if found else None

    d = dispatcher(memory_store, clock, [general, premium], routes, account_names=names)
    assert await once(d) == 2
    assert [p.message_id for p in premium.submitted] == [vip_mid]
    assert [p.message_id for p in general.submitted] == [other_mid]


class StuckConnector(ScriptedConnector):
    """Holds every submit until ``release`` is set (a silent upstream)."""

    def __init__(self, cid: str) -> None:
        super().__init__(cid)
        self.release = asyncio.Event()

    async def submit_batch(self, parts):  # type: ignore[no-untyped-def]
        await self.release.wait()
        return await super().submit_batch(parts)


async def test_a_silent_upstream_holds_only_its_own_parts(
    memory_store: Store, clock: FakeClock
) -> None:
    acct = await alpha(memory_store, clock)
    (slow_mid,) = await submit(memory_store, clock, acct, "+491701234567")
    (fast_mid,) = await submit(memory_store, clock, acct, "+447911123456")
    slow, fast = StuckConnector("slow"), ScriptedConnector("fast")
    routes = [
        Route(connectors=(slow.id,), prefixes=("49",)),
        Route(connectors=(fast.id,), prefixes=("44",)),
    ]
    sent = asyncio.Event()

    def changed(changes: Changes) -> None:
        if changes.states.get(S.SENT):
            sent.set()

    d = dispatcher(memory_store, clock, [slow, fast], routes, on_changes=changed)
    assert await d.dispatch_once() == 2
    await asyncio.wait_for(sent.wait(), 5)
    assert (await get(memory_store, acct, fast_mid)).state is S.SENT
    assert (await get(memory_store, acct, slow_mid)).state is S.SENDING
    # the loop is free to claim more work meanwhile
    (later,) = await submit(memory_store, clock, acct, "+447911123457")
    assert await d.dispatch_once() == 1
    slow.release.set()
    await d.drain()
    assert (await get(memory_store, acct, slow_mid)).state is S.SENT
    assert (await get(memory_store, acct, later)).state is S.SENT


async def test_dispatcher_sends_a_part_through_its_messages_own_connector(
    memory_store: Store, clock: FakeClock
) -> None:
    acct = await alpha(memory_store, clock)
    (routed,) = await submit(memory_store, clock, acct)
    (forced,) = await submit(memory_store, clock, acct, connector=ConnectorId("second"))
    first, second = ScriptedConnector("first"), ScriptedConnector("second")
    routes = [Route(connectors=(first.id,))]  # no route reaches "second"
    assert await once(dispatcher(memory_store, clock, [first, second], routes)) == 2
    assert [p.message_id for p in second.submitted] == [forced]
    assert [p.forced for p in second.submitted] == ["second"]
    assert [p.message_id for p in first.submitted] == [routed]
    v = await get(memory_store, acct, forced)
    assert (v.state, v.parts[0].connector) == (S.SENT, "second")


async def test_dispatcher_own_connector_not_ready_is_retried_without_failover(
    memory_store: Store, clock: FakeClock
) -> None:
    acct = await alpha(memory_store, clock)
    (mid,) = await submit(memory_store, clock, acct, connector=ConnectorId("second"))
    first, second = ScriptedConnector("first"), ScriptedConnector("second", ready=False)
    d = dispatcher(memory_store, clock, [first, second])
    assert await once(d) == 1
    v = await get(memory_store, acct, mid)
    assert (v.state, v.parts[0].connector, v.parts[0].attempts) == (S.QUEUED, None, 1)
    assert v.parts[0].error == "connector second is not ready"
    assert first.calls == [] and second.calls == []

    second.ready = True
    clock.advance(10.0)
    assert await once(d) == 1
    v = await get(memory_store, acct, mid)
    assert (v.state, v.parts[0].connector) == (S.SENT, "second")
    assert first.calls == []


async def test_dispatcher_own_connector_no_longer_configured_fails(
    memory_store: Store, clock: FakeClock
) -> None:
    acct = await alpha(memory_store, clock)
    (mid,) = await submit(memory_store, clock, acct, connector=ConnectorId("gone"))
    conn = ScriptedConnector("first")
    assert await once(dispatcher(memory_store, clock, [conn])) == 1
    v = await get(memory_store, acct, mid)
    assert (v.state, v.error) == (S.FAILED, "connector gone is not configured")
    assert conn.calls == []
