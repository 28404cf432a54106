"""CallbackService: signed POSTs from the outbox; delete on 2xx, retry with backoff, drop old."""

from __future__ import annotations

import asyncio
import json

from heliograph.domain.accounts import Account, verify_callback_signature
from heliograph.domain.ids import MessageId
from heliograph.domain.retry import Backoff
from heliograph.services.callbacks import CallbackService
from heliograph.services.metrics import Metrics
from heliograph.services.ports import CallbackRequest
from heliograph.store.base import CallbackJob, Store
from tests.services.fakes import RecordingCallbackSender, make_account, submit
from tests.support.clock import FakeClock

HOOK = "https://client.example/hook"
BACKOFF = Backoff(base_s=10.0, max_s=100.0, jitter=0.2)


def service(
    store: Store, sender: RecordingCallbackSender, clock: FakeClock, **kw: object
) -> CallbackService:
    return CallbackService(
        store,
        sender,
        clock,
        Metrics(),
        backoff=BACKOFF,
        max_age_s=kw.pop("max_age_s", 3600.0),  # type: ignore[arg-type]
        lease_s=60.0,
        **kw,  # type: ignore[arg-type]
    )


async def with_events(
    store: Store, clock: FakeClock, n: int = 1
) -> tuple[Account, list[MessageId]]:
    """An account with a callback URL and n messages that each made one event (queued → sending)."""
    acct = await make_account(store, clock, callback_url=HOOK)
    ids = await submit(store, clock, acct, *(f"+4479110000{i:02d}" for i in range(n)))
    await store.claim_parts(clock.now(), 1000)
    return acct, ids


async def test_callback_service_posts_signed_event(memory_store: Store, clock: FakeClock) -> None:
    acct, (mid,) = await with_events(memory_store, clock)
    sender = RecordingCallbackSender()
    assert await service(memory_store, sender, clock).deliver_once() == 1

    (post,) = sender.requests
    assert post.method == "POST"
    assert post.url == HOOK
    event = json.loads(post.body)
    assert (event["id"], event["previous_status"], event["status"]) == (mid, "queued", "sending")
    assert post.headers["Content-Type"] == "application/json"
    assert post.headers["X-Heliograph-Message-Id"] == mid
    assert post.headers["X-Heliograph-Attempt"] == "1"
    signature = post.headers["X-Heliograph-Signature"]
    assert signature.startswith(f"t={int(clock.now())},v1=")
    assert verify_callback_signature(acct.callback_secret, signature, post.body, clock.now())
    assert not verify_callback_signature("whsec_other", signature, post.body, clock.now())
    assert not verify_callback_signature(
        acct.callback_secret, signature, post.body + b"x", clock.now()
    )


async def test_callback_service_2xx_deletes_event(memory_store: Store, clock: FakeClock) -> None:
    await with_events(memory_store, clock)
    sender = RecordingCallbackSender([204])
    svc = service(memory_store, sender, clock)
    assert await svc.deliver_once() == 1
    clock.advance(86400.0)
    assert await svc.deliver_once() == 0
    assert len(sender.requests) == 1


async def test_callback_service_5xx_retries_with_backoff(
    memory_store: Store, clock: FakeClock
) -> None:
    await with_events(memory_store, clock)
    sender = RecordingCallbackSender([503, 500])
    svc = service(memory_store, sender, clock)
    assert await svc.deliver_once() == 1

    clock.advance(7.9)  # first wait: 10 s less at most 20 % jitter
    assert await svc.deliver_once() == 0
    clock.advance(2.1)
    assert await svc.deliver_once() == 1
    assert sender.requests[1].headers["X-Heliograph-Attempt"] == "2"
    assert sender.requests[1].body == sender.requests[0].body

    clock.advance(15.9)  # second wait: 20 s less at most 20 %
    assert await svc.deliver_once() == 0
    clock.advance(4.1)
    assert await svc.deliver_once() == 1
    assert sender.requests[2].headers["X-Heliograph-Attempt"] == "3"

    clock.advance(86400.0)
    assert await svc.deliver_once() == 0
    assert len(sender.requests) == 3


async def test_callback_service_retries_only_the_failed_ones(
    memory_store: Store, clock: FakeClock
) -> None:
    _, ids = await with_events(memory_store, clock, 3)
    sender = RecordingCallbackSender([200, 502, 200])
    svc = service(memory_store, sender, clock)
    assert await svc.deliver_once() == 3
    failed = sender.requests[1].headers["X-Heliograph-Message-Id"]
    clock.advance(10.0)
    assert await svc.deliver_once() == 1
    assert sender.requests[3].headers["X-Heliograph-Message-Id"] == failed
    assert sorted(p.headers["X-Heliograph-Message-Id"] for p in sender.requests[:3]) == sorted(ids)


async def test_callback_service_too_old_is_dropped(memory_store: Store, clock: FakeClock) -> None:
    await with_events(memory_store, clock)
    sender = RecordingCallbackSender(default=500)
    svc = service(memory_store, sender, clock, max_age_s=3600.0)
    assert await svc.deliver_once() == 1
    clock.advance(3599.0)
    assert await svc.deliver_once() == 1  # still young enough: retried again
    clock.advance(100.0)
    assert await svc.deliver_once() == 1  # fails past max_age: dropped
    clock.advance(86400.0)
    assert await svc.deliver_once() == 0
    assert len(sender.requests) == 3


async def test_callback_service_posts_a_batch_concurrently(
    memory_store: Store, clock: FakeClock
) -> None:
    await with_events(memory_store, clock, 3)
    all_in_flight = asyncio.Event()
    in_flight = 0

    class BarrierSender(RecordingCallbackSender):
        async def send(self, request: CallbackRequest) -> str | None:
            nonlocal in_flight
            in_flight += 1
            if in_flight == 3:
                all_in_flight.set()
            await asyncio.wait_for(all_in_flight.wait(), 5)
            return await super().send(request)

    sender = BarrierSender()
    assert await service(memory_store, sender, clock).deliver_once() == 3
    assert len(sender.requests) == 3


async def test_callback_service_run_delivers_waiting_events(
    memory_store: Store, clock: FakeClock
) -> None:
    await with_events(memory_store, clock)
    posted = asyncio.Event()

    class SignallingSender(RecordingCallbackSender):
        async def send(self, request: CallbackRequest) -> str | None:
            answer = await super().send(request)
            posted.set()
            return answer

    sender = SignallingSender()
    svc = service(memory_store, sender, clock, idle_poll_s=3600.0)
    task = asyncio.create_task(svc.run())
    try:
        await asyncio.wait_for(posted.wait(), 5)
        assert len(sender.requests) == 1
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def with_format_event(store: Store, clock: FakeClock, fmt: str) -> MessageId:
    acct = await make_account(store, clock)
    (mid,) = await submit(store, clock, acct, callback_url=HOOK, callback_format=fmt)
    await store.claim_parts(clock.now(), 1000)
    return mid


async def test_callback_service_renders_with_the_message_format(
    memory_store: Store, clock: FakeClock
) -> None:
    mid = await with_format_event(memory_store, clock, "plain")
    rendered: list[tuple[str, float]] = []

    def plain(job: CallbackJob, now: float) -> CallbackRequest:
        rendered.append((job.format, now))
        status = json.loads(job.body)["status"]
        return CallbackRequest(
            method="GET", url=f"{job.url}?id={job.message_id}&s={status}", body=b"", headers={}
        )

    sender = RecordingCallbackSender()
    svc = service(memory_store, sender, clock, renderers={"plain": plain})
    assert await svc.deliver_once() == 1
    assert rendered == [("plain", clock.now())]
    (request,) = sender.requests
    assert (request.method, request.url) == ("GET", f"{HOOK}?id={mid}&s=sending")
    clock.advance(86400.0)
    assert await svc.deliver_once() == 0


async def test_callback_service_renderer_may_skip_an_event(
    memory_store: Store, clock: FakeClock
) -> None:
    await with_format_event(memory_store, clock, "quiet")
    sender = RecordingCallbackSender()
    svc = service(memory_store, sender, clock, renderers={"quiet": lambda job, now: None})
    assert await svc.deliver_once() == 1
    assert sender.requests == []
    clock.advance(86400.0)
    assert await svc.deliver_once() == 0


async def test_callback_service_unknown_format_is_kept_for_retry(
    memory_store: Store, clock: FakeClock
) -> None:
    await with_format_event(memory_store, clock, "nobody-renders-this")
    sender = RecordingCallbackSender()
    svc = service(memory_store, sender, clock)
    assert await svc.deliver_once() == 1
    clock.advance(10.0)
    assert await svc.deliver_once() == 1
    assert sender.requests == []


async def test_a_renderer_that_raises_fails_its_event_only(
    memory_store: Store, clock: FakeClock
) -> None:
    def broken(job: CallbackJob, now: float) -> CallbackRequest:
        raise KeyError("missing field")

    acct = await make_account(memory_store, clock, callback_url=HOOK)
    await submit(memory_store, clock, acct, "+447911000001")
    await submit(
        memory_store, clock, acct, "+447911000002", callback_url=HOOK, callback_format="broken"
    )
    await memory_store.claim_parts(clock.now(), 1000)
    sender = RecordingCallbackSender()
    svc = service(memory_store, sender, clock, renderers={"broken": broken})
    assert await svc.deliver_once() == 2  # no exception out of the worker
    assert len(sender.requests) == 1  # the good event went out, the broken one waits
    clock.advance(3600)
    assert await svc.deliver_once() == 1
