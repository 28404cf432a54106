"""One TCP connection to an SMSC: an ``asyncio.Protocol`` driving a sans-IO Session (ESME).

Bytes in through ``data_received``, events out, bytes back (PDUs queued in
one turn of the event loop leave in one ``transport.write``), and one
``call_at`` timer for the session's deadlines (response timeouts,
enquire_link). Each submit_sm has a future in ``waiters``, resolved by its
submit_sm_resp or generic_nack (classified by ``statuses.py``), by the
response timeout, or by the loss of the link, always with a
``SubmitOutcome``; nothing is left unanswered. deliver_sm and data_sm are
answered at once and handed to the connector, which translates them.
ESME_RTHROTTLED and ESME_RMSGQFUL pause the link for ``throttle_pause_s``.
"""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from heliograph.coalesce import CoalescedWrites
from heliograph.connectors.smpp import statuses
from heliograph.connectors.smpp.settings import BIND_CLASSES, BindMode, BindRefused
from heliograph.connectors.smpp.translate import normalize_id
from heliograph.domain.ids import UpstreamId
from heliograph.domain.outcomes import SubmitOutcome, TemporaryFailure
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

if TYPE_CHECKING:
    from heliograph.connectors.smpp.connector import SmppConnector

__all__ = ["NO_RESPONSE", "Link", "Slot"]

_SEQ = struct.Struct(">I")


class Link(asyncio.Protocol):
    """One TCP connection and its Session; see the module docstring."""

    def __init__(self, owner: SmppConnector, slot: Slot) -> None:
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
        self._writes = CoalescedWrites(self.loop)
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None

    # --- transport callbacks ------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses; they have its methods
        self.transport = cast(asyncio.Transport, transport)
        self._writes.transport = self.transport
        s = self.owner.settings
        bind = BIND_CLASSES[self.slot.mode](
            system_id=s.system_id,
            password=s.password,
            system_type=s.system_type,
            interface_version=InterfaceVersion.SMPP_3_4,
            address_range=s.address_range,
        )
        self._writes.queue(self.session.send(bind, self.loop.time()))
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
        self._writes.add(session.data_to_send())
        frame = session.send(pdu, self.loop.time())
        seq = _SEQ.unpack_from(frame, 12)[0]
        fut: asyncio.Future[SubmitOutcome] = self.loop.create_future()
        self.waiters[seq] = fut
        self._writes.queue(frame)
        self.slot.sent += 1
        self._arm_timer()
        return fut

    def unbind(self) -> None:
        if self.session.state in (
            SessionState.BOUND_TX,
            SessionState.BOUND_RX,
            SessionState.BOUND_TRX,
        ):
            self._writes.queue(self.session.send(Unbind(), self.loop.time()))
            self._arm_timer()
        elif self.transport is not None:
            self.transport.close()

    def close(self) -> None:
        """Write what is pending (an unbind_resp, a generic_nack), then close."""
        if self.transport is not None and not self.transport.is_closing():
            self._writes.add(self.session.data_to_send())
            self._writes.flush()
            self.transport.close()

    # --- events -----------------------------------------------------------------------

    def _handle_events(self, now: float) -> None:
        session = self.session
        while (event := session.next_event()) is not None:
            match event:
                case ResponseReceived(pdu=resp, request=request):
                    self._answered(request, resp)
                case RequestReceived(pdu=DeliverSm() | DataSm() as pdu):
                    resp = DeliverSmResp() if isinstance(pdu, DeliverSm) else DataSmResp()
                    self._writes.queue(session.send_response(pdu, resp))
                    self.slot.received += 1
                    self.owner.received(pdu, self)
                case RequestReceived(pdu=pdu) if pdu.command_id in _ANSWERABLE:
                    status = CommandStatus.ESME_RINVCMDID
                    self._writes.queue(
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
                    self._resolve(request.sequence_number, NO_RESPONSE)
                case ResponseTimedOut():
                    self.close()  # enquire_link, bind or unbind unanswered: link dead
                case PeerClosed() | Unbound():
                    self._fail_waiters("the SMSC closed the bind")
                    self.close()
                case ProtocolFault(response=resp, sequence_number=seq, request=request) as fault:
                    self.owner.log.warning("protocol fault from SMSC: %s", fault.description)
                    if resp is not None and seq is not None:
                        self._writes.queue(session.send_response(seq, resp))
                    if request is not None:
                        self._resolve(request.sequence_number, _FAULT)
                    if fault.fatal:
                        self.close()
                case InactivityTimedOut():
                    self.close()
        self._writes.queue(session.data_to_send())
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
NO_RESPONSE = TemporaryFailure(reason="no response from the SMSC within the response timeout")
_FAULT = TemporaryFailure(reason="the SMSC answered with a response of the wrong type")


@dataclass(slots=True)
class Slot:
    """One configured bind: its mode, its current link and what operators see."""

    name: str
    mode: BindMode
    link: Link | None = None
    state: str = "connecting"
    since: float | None = None
    last_error: str | None = None
    sent: int = 0
    received: int = 0
