"""The SMPP client connector: binds to one upstream SMSC, windowed, paced, reconnecting.

Theory of operation
-------------------
A connector holds ``binds`` links of ``bind_mode`` (plus ``receiver_binds``
bind_receiver links, for SMSCs that want receipts on a bind of their own).
Each link is an ``asyncio.Protocol`` driving one sans-IO ``wire.smpp.Session``
as the ESME: bytes in through ``data_received``, events out, bytes back,
and one ``call_at`` timer for the session's next deadline (response timeouts,
enquire_link). A supervisor task per link connects, binds, waits for the link
to close and reconnects after an exponential backoff.

``submit_batch`` turns each part into a submit_sm (``translate.py``), takes a
token from the throughput pacer, puts it on the transmitting link with the
most room in its window (waiting when every window is full) and then awaits
one future per part. A future is resolved by the submit_sm_resp or
generic_nack (classified by ``statuses.py``), by the session's response
timeout, or by the loss of the link: a part whose fate is unknown is a
``TemporaryFailure`` and the dispatcher queues it again, so nothing is lost
when the upstream drops the connection mid-window (at worst it is sent twice).
ESME_RTHROTTLED also pauses that link for ``throttle_pause_s``.

Writes are coalesced: PDUs queued in one turn of the event loop leave in one
``transport.write``. Inbound deliver_sm/data_sm are answered at once and
translated into receipts and MO; MO parts are reassembled (``Reassembler``,
60 s); everything received in one turn of the loop is handed to ``inbound()``
as one batch.
"""

from __future__ import annotations

import asyncio
import logging
import random
import ssl
import struct
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import cast

from heliograph.connectors.smpp import statuses
from heliograph.connectors.smpp.translate import (
    ID_BASES,
    IdFormat,
    MoText,
    SubmitDefaults,
    build_submit_sm,
    decode_text,
    normalize_id,
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
from heliograph.wire.smpp.codec import error_response
from heliograph.wire.smpp.constants import CommandId, CommandStatus, InterfaceVersion
from heliograph.wire.smpp.events import (
    BindFailed,
    Bound,
    InactivityTimedOut,
    PeerClosed,
    ProtocolFault,
    RequestReceived,
    ResponseReceived,
    ResponseTimedOut,
    Unbound,
)
from heliograph.wire.smpp.pdus import (
    Bind,
    BindReceiver,
    BindTransceiver,
    BindTransmitter,
    DataSm,
    DataSmResp,
    DeliverSm,
    DeliverSmResp,
    Pdu,
    SubmitSm,
    SubmitSmResp,
    Unbind,
)
from heliograph.wire.smpp.session import Role, Session, SessionState

__all__ = ["BindMode", "SmppConnector", "SmppSettings"]

_SEQ = struct.Struct(">I")


class BindMode(StrEnum):
    TRANSCEIVER = "transceiver"
    TRANSMITTER = "transmitter"
    RECEIVER = "receiver"


_BIND_CLASSES: dict[BindMode, type[Bind]] = {
    BindMode.TRANSCEIVER: BindTransceiver,
    BindMode.TRANSMITTER: BindTransmitter,
    BindMode.RECEIVER: BindReceiver,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class SmppSettings:
    host: str
    port: int
    system_id: str
    password: str = ""
    system_type: str = ""
    bind_mode: BindMode = BindMode.TRANSCEIVER
    binds: int = 1
    receiver_binds: int = 0
    window: int = 10
    throughput_per_s: float = 0.0  # 0: no limit
    enquire_link_interval_s: float = 30.0
    response_timeout_s: float = 30.0
    connect_timeout_s: float = 10.0
    reconnect_backoff_base_s: float = 1.0
    reconnect_backoff_max_s: float = 60.0
    throttle_pause_s: float = 1.0
    tls: bool = False
    tls_verify: bool = True
    id_format: IdFormat = IdFormat.AUTO
    address_range: str = ""
    mo_reassembly_timeout_s: float = 60.0
    submit: SubmitDefaults = field(default_factory=SubmitDefaults)


class BindRefused(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"bind refused: {statuses.describe(status)}")
        self.status = status


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


class _Link(asyncio.Protocol):
    """One TCP connection and its Session; see the module docstring."""

    def __init__(self, owner: SmppConnector, slot: _Slot) -> None:
        s = owner.settings
        self.owner = owner
        self.slot = slot
        self.loop = owner.loop
        self.session = Session(
            Role.ESME,
            window=s.window,
            response_timeout_s=s.response_timeout_s,
            enquire_link_interval_s=s.enquire_link_interval_s or None,
            now=self.loop.time(),
        )
        self.transport: asyncio.Transport | None = None
        self.waiters: dict[int, asyncio.Future[SubmitOutcome]] = {}
        self.bound: asyncio.Future[None] = self.loop.create_future()
        self.closed: asyncio.Future[str] = self.loop.create_future()
        self.paused_until = 0.0
        self._out = bytearray()
        self._flush_scheduled = False
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None

    # --- transport callbacks ------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses; they have its methods
        self.transport = cast(asyncio.Transport, transport)
        s = self.owner.settings
        bind = _BIND_CLASSES[self.slot.mode](
            system_id=s.system_id,
            password=s.password,
            system_type=s.system_type,
            interface_version=InterfaceVersion.SMPP_3_4,
            address_range=s.address_range,
        )
        self._queue(self.session.send(bind, self.loop.time()))
        self._arm_timer()

    def data_received(self, data: bytes) -> None:
        now = self.loop.time()
        self.session.receive_data(data, now)
        self._handle_events(now)

    def connection_lost(self, exc: Exception | None) -> None:
        now = self.loop.time()
        self.session.receive_data(b"", now)
        self._handle_events(now)
        if self._timer is not None:
            self._timer.cancel()
        self._fail_waiters("connection to the SMSC lost")
        if not self.bound.done():
            self.bound.set_exception(ConnectionError(str(exc) if exc else "closed before bind"))
        if not self.closed.done():
            self.closed.set_result(str(exc) if exc else "closed")
        self.owner.room_changed()

    # --- sending --------------------------------------------------------------------

    @property
    def can_submit(self) -> bool:
        return (
            self.session.state in (SessionState.BOUND_TX, SessionState.BOUND_TRX)
            and self.session.window_available > 0
            and self.paused_until <= self.loop.time()
        )

    def submit(self, pdu: SubmitSm) -> asyncio.Future[SubmitOutcome]:
        """Queue ``pdu``. Raises: LocalProtocolError (no room), EncodeError."""
        session = self.session
        self._out += session.data_to_send()
        frame = session.send(pdu, self.loop.time())
        seq = _SEQ.unpack_from(frame, 12)[0]
        fut: asyncio.Future[SubmitOutcome] = self.loop.create_future()
        self.waiters[seq] = fut
        self._queue(frame)
        self.slot.sent += 1
        self._arm_timer()
        return fut

    def unbind(self) -> None:
        if self.session.state in (
            SessionState.BOUND_TX,
            SessionState.BOUND_RX,
            SessionState.BOUND_TRX,
        ):
            self._queue(self.session.send(Unbind(), self.loop.time()))
            self._arm_timer()
        elif self.transport is not None:
            self.transport.close()

    def close(self) -> None:
        """Write what is pending (an unbind_resp, a generic_nack), then close."""
        if self.transport is not None and not self.transport.is_closing():
            self._out += self.session.data_to_send()
            self._flush()
            self.transport.close()

    def _queue(self, data: bytes) -> None:
        if not data:
            return
        self._out += data
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self.loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        if self._out and self.transport is not None and not self.transport.is_closing():
            self.transport.write(bytes(self._out))
        self._out.clear()

    # --- events -----------------------------------------------------------------------

    def _handle_events(self, now: float) -> None:
        session = self.session
        while (event := session.next_event()) is not None:
            match event:
                case ResponseReceived(pdu=resp, request=request):
                    self._answered(request, resp)
                case RequestReceived(pdu=DeliverSm() | DataSm() as pdu):
                    resp = DeliverSmResp() if isinstance(pdu, DeliverSm) else DataSmResp()
                    self._queue(session.send_response(pdu, resp))
                    self.slot.received += 1
                    self.owner.received(pdu, self)
                case RequestReceived(pdu=pdu) if pdu.command_id in _ANSWERABLE:
                    status = CommandStatus.ESME_RINVCMDID
                    self._queue(
                        session.send_response(
                            pdu, error_response(pdu.command_id, pdu.sequence_number, status)
                        )
                    )
                case RequestReceived():
                    pass  # outbind, alert_notification: nothing to answer
                case Bound():
                    if not self.bound.done():
                        self.bound.set_result(None)
                    self.owner.room_changed()
                case BindFailed(response=resp):
                    if not self.bound.done():
                        self.bound.set_exception(BindRefused(resp.command_status))
                    self.close()
                case ResponseTimedOut(request=request) if isinstance(request, SubmitSm):
                    self._resolve(request.sequence_number, _NO_RESPONSE)
                case ResponseTimedOut():
                    self.close()  # enquire_link, bind or unbind unanswered: link dead
                case PeerClosed() | Unbound():
                    self._fail_waiters("the SMSC closed the bind")
                    self.close()
                case ProtocolFault(response=resp, sequence_number=seq, request=request) as fault:
                    self.owner.log.warning("protocol fault from SMSC: %s", fault.description)
                    if resp is not None and seq is not None:
                        self._queue(session.send_response(seq, resp))
                    if request is not None:
                        self._resolve(request.sequence_number, _FAULT)
                    if fault.fatal:
                        self.close()
                case InactivityTimedOut():
                    self.close()
        self._queue(session.data_to_send())
        self._arm_timer()

    def _answered(self, request: Pdu, resp: Pdu) -> None:
        if not isinstance(request, SubmitSm):
            return
        owner = self.owner
        status = resp.command_status
        if isinstance(resp, SubmitSmResp) and status == 0:
            upstream_id = normalize_id(resp.message_id, owner.submit_base, owner.settings.id_format)
            if not upstream_id:
                upstream_id = owner.synthetic_id()
        else:
            upstream_id = UpstreamId("")
            if status in _PAUSE:
                self.paused_until = self.loop.time() + owner.settings.throttle_pause_s
                self.loop.call_later(owner.settings.throttle_pause_s, owner.room_changed)
            elif status == 0:
                status = CommandStatus.ESME_RUNKNOWNERR  # a generic_nack saying "OK"
        outcome = statuses.outcome(
            status, upstream_id, throttled_retry_s=owner.settings.throttle_pause_s
        )
        self._resolve(request.sequence_number, outcome)
        owner.room_changed()

    def _resolve(self, seq: int, outcome: SubmitOutcome) -> None:
        fut = self.waiters.pop(seq, None)
        if fut is not None and not fut.done():
            fut.set_result(outcome)

    def _fail_waiters(self, reason: str) -> None:
        outcome = TemporaryFailure(reason=reason)
        waiters, self.waiters = self.waiters, {}
        for fut in waiters.values():
            if not fut.done():
                fut.set_result(outcome)

    # --- time ---------------------------------------------------------------------------

    def _arm_timer(self) -> None:
        deadline = self.session.next_deadline()
        if deadline is None or (self._timer_at is not None and self._timer_at <= deadline):
            return  # an earlier timer is armed; it re-arms when it fires
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = deadline
        self._timer = self.loop.call_at(deadline, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._timer_at = None
        now = self.loop.time()
        self.session.handle_timer(now)
        self._handle_events(now)


_ANSWERABLE = frozenset(  # requests only an SMSC may receive; an ESME answers ESME_RINVCMDID
    {
        CommandId.QUERY_SM,
        CommandId.SUBMIT_SM,
        CommandId.REPLACE_SM,
        CommandId.CANCEL_SM,
        CommandId.SUBMIT_MULTI,
    }
)
_PAUSE = frozenset({int(CommandStatus.ESME_RTHROTTLED), int(CommandStatus.ESME_RMSGQFUL)})
_NO_RESPONSE = TemporaryFailure(reason="no response from the SMSC within the response timeout")
_FAULT = TemporaryFailure(reason="the SMSC answered with a response of the wrong type")


@dataclass(slots=True)
class _Slot:
    """One configured bind: its mode, its current link and what operators see."""

    name: str
    mode: BindMode
    link: _Link | None = None
    state: str = "connecting"
    since: float | None = None
    last_error: str | None = None
    sent: int = 0
    received: int = 0


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
            _Slot(name=f"{cid}/{i + 1}", mode=settings.bind_mode) for i in range(settings.binds)
        ] + [
            _Slot(name=f"{cid}/rx{i + 1}", mode=BindMode.RECEIVER)
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
        return [o if o is not None else _NO_RESPONSE for o in outcomes]

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

    # --- links ------------------------------------------------------------------------------

    def _link_with_room(self) -> _Link | None:
        best: _Link | None = None
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

    async def _wait_for_room(self) -> _Link | None:
        assert self._room is not None
        while self._any_transmitter():
            self._room.clear()
            await self._room.wait()
            link = self._link_with_room()
            if link is not None:
                return link
        return None

    def room_changed(self) -> None:
        if self._room is not None:
            self._room.set()
        if self._ready is not None:
            if self.is_ready():
                self._ready.set()
            else:
                self._ready.clear()

    async def until_ready(self) -> None:
        """Wait until a transmitting link is bound (callers add their own timeout)."""
        assert self._ready is not None, "connector not started"
        await self._ready.wait()

    async def _supervise(self, slot: _Slot) -> None:
        attempt = 0
        while not self._closing:
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
                self.room_changed()
                reason = await link.closed
                slot.link, slot.since = None, None
                if not self._closing:
                    slot.last_error = f"link closed: {reason}"
                    self.log.warning("bind %s lost: %s", slot.name, reason)
                self.room_changed()
            if self._closing:
                break
            attempt += 1
            slot.state = "waiting"
            await asyncio.sleep(self._backoff.delay_s(attempt, self._random.random()))
        slot.state = "closed"

    async def _connect(self, slot: _Slot) -> _Link:
        s = self.settings
        context: ssl.SSLContext | None = None
        if s.tls:
            context = ssl.create_default_context()
            if not s.tls_verify:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
        _, link = await asyncio.wait_for(
            self.loop.create_connection(lambda: _Link(self, slot), s.host, s.port, ssl=context),
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

    def received(self, pdu: DeliverSm | DataSm, link: _Link) -> None:
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
