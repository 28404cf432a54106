"""The SMPP client connector: binds to one upstream SMSC, windowed, paced, reconnecting.

Theory of operation
-------------------
A connector holds ``binds`` links of ``bind_mode`` (plus ``receiver_binds``
bind_receiver links, for SMSCs that want receipts on a bind of their own).
Each link (``link.py``) is an ``asyncio.Protocol`` driving one sans-IO
``wire.smpp.Session`` as the ESME. A supervisor task per link connects,
binds, waits for the link to close and reconnects after an exponential
backoff.

``submit_batch`` turns each part into a submit_sm (``translate.py``), takes a
token from the throughput pacer, puts it on the transmitting link with the
most room in its window (waiting when every window is full) and then awaits
one future per part. A future is resolved by the submit_sm_resp or
generic_nack (classified by ``statuses.py``), by the session's response
timeout, or by the loss of the link: a part whose fate is unknown is a
``TemporaryFailure`` and the dispatcher queues it again, so nothing is lost
when the upstream drops the connection mid-window (at worst it is sent twice).
ESME_RTHROTTLED also pauses that link for ``throttle_pause_s``.

In a cluster the binds are leases shared by the nodes (``services/leases.py``):
``hold(slots)`` names the slots (0 to ``binds`` - 1, then the receiver binds)
this node may bind. The supervisor of any other slot waits in ``standby``;
a link whose slot is withdrawn unbinds, and ``released()`` waits for that, so
that a lease is given back only once its bind is gone. Without ``hold`` (one
node) every slot binds.

Writes are coalesced: PDUs queued in one turn of the event loop leave in one
``transport.write``. Inbound deliver_sm/data_sm are answered at once and
translated into receipts and MO; MO parts are reassembled (``Reassembler``,
60 s); everything received in one turn of the loop is handed to ``inbound()``
as one batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import ssl
from collections.abc import AsyncIterator, Sequence

from heliograph.connectors.smpp.link import NO_RESPONSE, Link, Slot
from heliograph.connectors.smpp.settings import BindMode, BindRefused, SmppSettings
from heliograph.connectors.smpp.translate import (
    ID_BASES,
    MoText,
    build_submit_sm,
    decode_text,
    read_inbound,
    split_part,
)
from heliograph.domain.ids import ConnectorId, MessageId, UpstreamId
from heliograph.domain.messages import MoMessage
from heliograph.domain.outcomes import (
    PermanentFailure,
    Receipt,
    SubmitOutcome,
    TemporaryFailure,
)
from heliograph.domain.retry import Backoff
from heliograph.services.ids import new_message_id
from heliograph.services.ports import BindState, Clock, Inbound, OutboundPart
from heliograph.wire.errors import DecodeError, EncodeError
from heliograph.wire.gsm.parts import SplitText
from heliograph.wire.gsm.reassembly import ConcatenatedPart, ReassembledMessage, Reassembler
from heliograph.wire.smpp.pdus import DataSm, DeliverSm
from heliograph.wire.smpp.session import SessionState

__all__ = ["BindMode", "SmppConnector", "SmppSettings"]


class _Pacer:
    """A token bucket of ``rate`` per second holding at most a tenth of a second of tokens."""

    def __init__(self, rate: float, loop: asyncio.AbstractEventLoop) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate / 10)
        self.tokens = self.capacity
        self.loop = loop
        self.at = loop.time()

    async def take(self) -> None:
        now = self.loop.time()
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate) - 1.0
        self.at = now
        if self.tokens < 0:
            await asyncio.sleep(-self.tokens / self.rate)


class SmppConnector:
    """An upstream SMSC over SMPP 3.4; implements ``services.ports.Connector``."""

    def __init__(self, cid: ConnectorId, settings: SmppSettings, clock: Clock) -> None:
        if settings.binds < 0 or settings.receiver_binds < 0 or settings.window < 1:
            raise ValueError("binds must be >= 0 and window >= 1")
        self.id = cid
        self.settings = settings
        self.log = logging.getLogger(f"heliograph.connector.{cid}")
        self._clock = clock
        self.submit_base, self.text_base = ID_BASES[settings.id_format]
        self._slots = [
            Slot(name=f"{cid}/{i + 1}", mode=settings.bind_mode) for i in range(settings.binds)
        ] + [
            Slot(name=f"{cid}/rx{i + 1}", mode=BindMode.RECEIVER)
            for i in range(settings.receiver_binds)
        ]
        self._backoff = Backoff(
            base_s=settings.reconnect_backoff_base_s, max_s=settings.reconnect_backoff_max_s
        )
        self._random = random.Random()
        self._tasks: set[asyncio.Task[None]] = set()
        self._queue: asyncio.Queue[Sequence[Inbound] | None] = asyncio.Queue()
        self._inbox: list[Inbound] = []
        self._inbox_scheduled = False
        self._reassembler = Reassembler(timeout_s=settings.mo_reassembly_timeout_s)
        self._reassembly_timer: asyncio.TimerHandle | None = None
        self._room: asyncio.Event | None = None
        self._ready: asyncio.Event | None = None
        self._pacer: _Pacer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closing = False
        self._synthetic = 0
        self._held: frozenset[int] | None = None  # None: every slot may bind
        self._hold_changed = asyncio.Event()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        assert self._loop is not None, "connector not started"
        return self._loop

    # --- Connector protocol -------------------------------------------------------------

    def is_ready(self) -> bool:
        return not self._closing and any(
            slot.link is not None
            and slot.link.session.state in (SessionState.BOUND_TX, SessionState.BOUND_TRX)
            for slot in self._slots
        )

    @property
    def window_in_use(self) -> int:
        return sum(
            slot.link.session.window - slot.link.session.window_available
            for slot in self._slots
            if slot.link is not None
        )

    async def start(self) -> None:
        if self._loop is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._room = asyncio.Event()
        self._ready = asyncio.Event()
        if self.settings.throughput_per_s > 0:
            self._pacer = _Pacer(self.settings.throughput_per_s, self._loop)
        for slot in self._slots:
            task = asyncio.create_task(self._supervise(slot), name=f"smpp-{slot.name}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def resume(self, awaiting: Sequence[UpstreamId]) -> None:
        """A real SMSC keeps the receipts it owes; nothing to do."""

    async def submit_batch(self, parts: Sequence[OutboundPart]) -> list[SubmitOutcome]:
        outcomes: list[SubmitOutcome | None] = [None] * len(parts)
        waits: list[tuple[int, asyncio.Future[SubmitOutcome]]] = []
        splits: dict[MessageId, SplitText] = {}
        defaults = self.settings.submit
        now = self._clock.now()
        for i, part in enumerate(parts):
            try:
                split = splits.get(part.message_id)
                if split is None:
                    split = splits[part.message_id] = split_part(part)
                pdu = build_submit_sm(part, split, defaults, now)
            except EncodeError as exc:
                outcomes[i] = PermanentFailure(reason=f"cannot encode the part: {exc}")
                continue
            if self._pacer is not None:
                await self._pacer.take()
            link = self._link_with_room() or await self._wait_for_room()
            if link is None:
                outcomes[i] = TemporaryFailure(reason=f"connector {self.id} has no bound link")
                continue
            try:
                waits.append((i, link.submit(pdu)))
            except EncodeError as exc:
                outcomes[i] = PermanentFailure(reason=f"cannot encode the part: {exc}")
        for i, fut in waits:
            outcomes[i] = await fut
        return [o if o is not None else NO_RESPONSE for o in outcomes]

    async def inbound(self) -> AsyncIterator[Sequence[Inbound]]:
        while True:
            batch = await self._queue.get()
            if batch is None:
                return
            yield batch

    async def aclose(self) -> None:
        """Unbind every link (waiting up to 5 s for the unbind_resp), then stop."""
        if self._closing:
            return
        self._closing = True
        links = [slot.link for slot in self._slots if slot.link is not None]
        for link in links:
            link.unbind()
        if links:
            await asyncio.wait([link.closed for link in links], timeout=5.0)
        for link in links:
            link.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks))
        if self._reassembly_timer is not None:
            self._reassembly_timer.cancel()
        self._expire_reassembly(force=True)
        self._flush_inbox()
        self._queue.put_nowait(None)
        if self._room is not None:
            self._room.set()

    # --- operators ------------------------------------------------------------------------

    def bind_states(self) -> list[BindState]:
        s = self.settings
        out = []
        for slot in self._slots:
            session = slot.link.session if slot.link is not None else None
            out.append(
                BindState(
                    name=slot.name,
                    mode=slot.mode.value,
                    state=slot.state,
                    peer=f"{s.host}:{s.port}",
                    window=s.window,
                    window_in_use=0
                    if session is None
                    else session.window - session.window_available,
                    since=slot.since,
                    last_error=slot.last_error,
                    requests_sent=slot.sent,
                    requests_received=slot.received,
                )
            )
        return out

    # --- bind leases -----------------------------------------------------------------------

    def hold(self, slots: frozenset[int]) -> None:
        """Bind only ``slots`` from now on (this node's bind leases); unbind the others."""
        self._held = frozenset(slots)
        changed, self._hold_changed = self._hold_changed, asyncio.Event()
        changed.set()
        for i, slot in enumerate(self._slots):
            if i not in self._held and slot.link is not None:
                self.log.info("bind %s: lease given up, unbinding", slot.name)
                slot.link.unbind()

    async def released(self, timeout_s: float = 5.0) -> None:
        """Wait until no slot outside ``hold`` is bound or binding (closing what is left
        after ``timeout_s``)."""
        if self._loop is None:
            return  # not started: nothing is bound
        deadline = self.loop.time() + timeout_s
        while busy := [s for i, s in enumerate(self._slots) if not self._may_bind(i) and _busy(s)]:
            remaining = deadline - self.loop.time()
            if remaining <= 0:
                for slot in busy:
                    if slot.link is not None:
                        slot.link.close()
                return
            assert self._room is not None
            self._room.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):  # not wait_for: see services/worker.py
                    await self._room.wait()

    def _may_bind(self, index: int) -> bool:
        return self._held is None or index in self._held

    async def _standby(self, index: int) -> None:
        while not self._closing and not self._may_bind(index):
            await self._hold_changed.wait()

    # --- links ------------------------------------------------------------------------------

    def _link_with_room(self) -> Link | None:
        best: Link | None = None
        for slot in self._slots:
            link = slot.link
            if (
                link is not None
                and link.can_submit
                and (best is None or link.session.window_available > best.session.window_available)
            ):
                best = link
        return best

    def _any_transmitter(self) -> bool:
        return self.is_ready()

    async def _wait_for_room(self) -> Link | None:
        assert self._room is not None
        while self._any_transmitter():
            self._room.clear()
            await self._room.wait()
            link = self._link_with_room()
            if link is not None:
                return link
        return None

    def room_changed(self) -> None:
        """A window has room again, or a link came or went: waiting submits look again."""
        if self._room is not None:
            self._room.set()

    def _links_changed(self) -> None:
        self.room_changed()
        if self._ready is not None:
            if self.is_ready():
                self._ready.set()
            else:
                self._ready.clear()

    async def until_ready(self) -> None:
        """Wait until a transmitting link is bound (callers add their own timeout)."""
        assert self._ready is not None, "connector not started"
        await self._ready.wait()

    async def _supervise(self, slot: Slot) -> None:
        attempt = 0
        index = self._slots.index(slot)
        while not self._closing:
            if not self._may_bind(index):
                slot.state, attempt = "standby", 0
                self.room_changed()  # released() looks again
                await self._standby(index)
                continue
            slot.state = "connecting"
            try:
                link = await self._connect(slot)
            except (OSError, TimeoutError, BindRefused, ConnectionError) as exc:
                slot.last_error = str(exc) or type(exc).__name__
                self.log.warning("bind %s failed: %s", slot.name, slot.last_error)
            else:
                attempt = 0
                slot.state, slot.since, slot.link = "bound", self._clock.now(), link
                self.log.info("bind %s bound to %s", slot.name, self.settings.host)
                self._links_changed()
                if not self._may_bind(index):
                    link.unbind()  # the lease went while it was binding
                reason = await link.closed
                slot.link, slot.since = None, None
                if not self._closing and self._may_bind(index):
                    slot.last_error = f"link closed: {reason}"
                    self.log.warning("bind %s lost: %s", slot.name, reason)
                self._links_changed()
            if self._closing:
                break
            if not self._may_bind(index):
                continue
            attempt += 1
            slot.state = "waiting"
            await asyncio.sleep(self._backoff.delay_s(attempt, self._random.random()))
        slot.state = "closed"

    async def _connect(self, slot: Slot) -> Link:
        s = self.settings
        context: ssl.SSLContext | None = None
        if s.tls:
            context = ssl.create_default_context()
            if not s.tls_verify:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
        _, link = await asyncio.wait_for(
            self.loop.create_connection(lambda: Link(self, slot), s.host, s.port, ssl=context),
            s.connect_timeout_s,
        )
        slot.state = "binding"
        try:
            await link.bound  # the session times the bind out itself
        except BaseException:
            link.close()
            raise
        return link

    # --- inbound ----------------------------------------------------------------------------

    def synthetic_id(self) -> UpstreamId:
        self._synthetic += 1
        return UpstreamId(f"no-id-{id(self):x}-{self._synthetic}")

    def received(self, pdu: DeliverSm | DataSm, link: Link) -> None:
        now = self._clock.now()
        try:
            item = read_inbound(
                pdu,
                connector=self.id,
                id_format=self.settings.id_format,
                now=now,
                bind_id=link.slot.name,
            )
        except DecodeError as exc:
            self.log.warning("unreadable deliver_sm from %s dropped: %s", pdu.source_addr, exc)
            return
        match item:
            case Receipt() as receipt:
                self._inbox.append(receipt)
            case MoText(source=source, destination=destination, text=text):
                self._inbox.append(self._mo(source, destination, text, now, incomplete=False))
            case ConcatenatedPart() as part:
                try:
                    message = self._reassembler.feed(part, now)
                except DecodeError as exc:
                    self.log.warning("MO part dropped: %s", exc)
                    return
                if message is not None:
                    self._inbox.append(self._reassembled(message, now))
                self._arm_reassembly()
            case None:
                return
        if not self._inbox_scheduled:
            self._inbox_scheduled = True
            self.loop.call_soon(self._flush_inbox)

    def _mo(self, source: str, to: str, text: str, now: float, *, incomplete: bool) -> MoMessage:
        return MoMessage(
            id=new_message_id(now),
            connector=self.id,
            sender=source,
            to=to,
            text=text,
            received_at=now,
            incomplete=incomplete,
        )

    def _reassembled(self, message: ReassembledMessage, now: float) -> MoMessage:
        text = "".join(
            decode_text(p.payload, p.data_coding) if p is not None else "" for p in message.parts
        )
        return self._mo(
            message.source, message.destination, text, now, incomplete=not message.complete
        )

    def _arm_reassembly(self) -> None:
        if self._reassembly_timer is not None:
            self._reassembly_timer.cancel()
            self._reassembly_timer = None
        deadline = self._reassembler.next_deadline()
        if deadline is not None:
            delay = max(0.0, deadline - self._clock.now())
            self._reassembly_timer = self.loop.call_later(delay, self._expire_reassembly)

    def _expire_reassembly(self, force: bool = False) -> None:
        self._reassembly_timer = None
        now = self._clock.now()
        if force:
            now += self._reassembler.timeout_s
        for message in self._reassembler.expire(now):
            self._inbox.append(self._reassembled(message, self._clock.now()))
        if not force:
            self._arm_reassembly()
            self._flush_inbox()

    def _flush_inbox(self) -> None:
        self._inbox_scheduled = False
        if self._inbox:
            batch, self._inbox = self._inbox, []
            self._queue.put_nowait(batch)


def _busy(slot: Slot) -> bool:
    return slot.link is not None or slot.state in ("connecting", "binding")
