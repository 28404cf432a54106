"""Fakes for service tests: a scripted connector, a recording callback sender, helpers."""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Sequence

from heliograph.domain.accounts import Account
from heliograph.domain.ids import AccountId, ConnectorId, MessageId, UpstreamId
from heliograph.domain.messages import MessageView
from heliograph.domain.outcomes import Accepted, SubmitOutcome
from heliograph.domain.submission import SubmitLimits, SubmitRequest, plan_submission
from heliograph.services.ids import message_ids
from heliograph.services.ports import CallbackRequest, Inbound, OutboundPart
from heliograph.store.base import Store
from tests.support.clock import FakeClock

Script = Callable[[OutboundPart], SubmitOutcome]


class ScriptedConnector:
    """Answers each part with the next scripted outcome, then with ``default``.

    ``default`` is a function of the part; the built-in one accepts it with a fresh
    upstream id. Every part handed over is kept in ``submitted`` (one list per call).
    """

    def __init__(
        self,
        cid: str = "smsc",
        outcomes: Iterable[SubmitOutcome] = (),
        *,
        default: Script | None = None,
        ready: bool = True,
    ) -> None:
        self.id = ConnectorId(cid)
        self.ready = ready
        self.outcomes: deque[SubmitOutcome] = deque(outcomes)
        self.default = default or self._accept
        self.calls: list[list[OutboundPart]] = []
        self.upstream_ids: list[UpstreamId] = []
        self.submitted_event = asyncio.Event()
        self._counter = itertools.count(1)
        self._inbound: asyncio.Queue[Sequence[Inbound] | None] = asyncio.Queue()

    @property
    def submitted(self) -> list[OutboundPart]:
        return [p for call in self.calls for p in call]

    def _accept(self, part: OutboundPart) -> SubmitOutcome:
        upstream_id = UpstreamId(f"{self.id}-{next(self._counter)}")
        self.upstream_ids.append(upstream_id)
        return Accepted(upstream_id=upstream_id)

    def is_ready(self) -> bool:
        return self.ready

    @property
    def window_in_use(self) -> int:
        return 0

    async def start(self) -> None:
        return None

    async def submit_batch(self, parts: Sequence[OutboundPart]) -> list[SubmitOutcome]:
        self.calls.append(list(parts))
        out: list[SubmitOutcome] = []
        for part in parts:
            if self.outcomes:
                outcome = self.outcomes.popleft()
                if isinstance(outcome, Accepted):
                    self.upstream_ids.append(outcome.upstream_id)
                out.append(outcome)
            else:
                out.append(self.default(part))
        self.submitted_event.set()
        return out

    def push(self, batch: Sequence[Inbound]) -> None:
        self._inbound.put_nowait(batch)

    async def inbound(self) -> AsyncIterator[Sequence[Inbound]]:
        while True:
            batch = await self._inbound.get()
            if batch is None:
                return
            yield batch

    async def aclose(self) -> None:
        self._inbound.put_nowait(None)


class RecordingCallbackSender:
    """Records every request and answers with scripted HTTP statuses (then ``default``)."""

    def __init__(self, statuses: Iterable[int] = (), *, default: int = 200) -> None:
        self.statuses: deque[int] = deque(statuses)
        self.default = default
        self.requests: list[CallbackRequest] = []
        self.closed = False

    async def send(self, request: CallbackRequest) -> str | None:
        self.requests.append(request)
        status = self.statuses.popleft() if self.statuses else self.default
        return None if 200 <= status < 300 else f"HTTP {status}"

    async def aclose(self) -> None:
        self.closed = True


async def make_account(
    store: Store,
    clock: FakeClock,
    name: str = "alpha",
    *,
    callback_url: str | None = None,
) -> Account:
    acct = Account(
        id=AccountId(f"acct-{name}"),
        name=name,
        callback_url=callback_url,
        callback_secret=f"whsec_{name}",
        created_at=clock.now(),
    )
    await store.create_account(acct, [])
    return acct


async def submit(
    store: Store,
    clock: FakeClock,
    account: Account,
    *to: str,
    text: str = "hello",
    **kw: object,
) -> list[MessageId]:
    """Plan and insert messages as the submit service would; returns their ids."""
    req = SubmitRequest(
        account_id=account.id,
        to=to or ("+447911123456",),
        text=text,
        **kw,  # type: ignore[arg-type]
    )
    now = clock.now()
    plans = plan_submission(
        req,
        now=now,
        ids=message_ids(now),
        limits=SubmitLimits(),
        default_callback_url=account.callback_url,
    )
    messages = [p.message for p in plans if p.message is not None]
    assert await store.insert_messages(messages, now=now) is None
    return [m.id for m in messages]


async def get(store: Store, account: Account, mid: MessageId) -> MessageView:
    v = await store.get_message(account.id, mid)
    assert v is not None
    return v
