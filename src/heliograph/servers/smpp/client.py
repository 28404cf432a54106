"""One SMPP client connection: an ``asyncio.Protocol`` driving a sans-IO Session (SMSC role).

Bytes in through ``data_received``, events out, bytes back, coalesced into
one write per turn of the event loop, and one ``call_at`` timer for the
session's deadlines (deliver_sm response timeouts, enquire_link, the
inactivity timer). A connection decides nothing: binds, submits, queries and
cancels go to the ``SmppServer`` (``server.py``), which answers through the
services; this module only speaks the protocol, counts malformed PDUs
(``max_junk_pdus`` in a row close the connection, as does a lost framing)
and applies backpressure (reading pauses past ``window`` requests in
progress). Submits that arrive in one read are handed over together.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, cast

from heliograph.coalesce import CoalescedWrites
from heliograph.domain.accounts import Account
from heliograph.domain.ids import MessageId
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.servers.smpp import translate as tr
from heliograph.servers.smpp.statuses import SMPP_STATUS
from heliograph.wire.errors import EncodeError, LocalProtocolError
from heliograph.wire.smpp import tlv
from heliograph.wire.smpp.codec import error_response
from heliograph.wire.smpp.constants import CommandId, CommandStatus, InterfaceVersion
from heliograph.wire.smpp.events import (
    BindRequested,
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
    BindReceiverResp,
    BindResp,
    BindTransceiver,
    BindTransceiverResp,
    BindTransmitterResp,
    CancelSm,
    CancelSmResp,
    DataSm,
    DeliverSm,
    Pdu,
    QuerySm,
    QuerySmResp,
    ReplaceSm,
    ReplaceSmResp,
    SubmitMulti,
    SubmitSm,
    Unbind,
)
from heliograph.wire.smpp.session import Role, Session, SessionState

if TYPE_CHECKING:
    from heliograph.servers.smpp.server import SmppServer

__all__ = ["MODES", "Client"]

S = CommandStatus
_SEQ = struct.Struct(">I")
_RX = (SessionState.BOUND_RX, SessionState.BOUND_TRX)
MODES = {BindTransceiver: "transceiver", BindReceiver: "receiver"}


class Client(asyncio.Protocol):
    """One client connection; see the module docstring."""

    def __init__(self, server: SmppServer) -> None:
        s = server.settings
        self.server = server
        self.loop = server.loop
        self.session = Session(
            Role.SMSC,
            window=s.window,
            response_timeout_s=s.response_timeout_s,
            enquire_link_interval_s=s.enquire_link_interval_s,
            inactivity_timeout_s=s.inactivity_timeout_s or None,
            now=self.loop.time(),
        )
        self.transport: asyncio.Transport | None = None
        self.peer = "?"
        self.account: Account | None = None
        self.system_id = ""
        self.mode = "transmitter"
        self.iso = False
        self.since: float | None = None
        self.received = 0
        self.sent = 0
        self.in_progress = 0
        self.junk = 0
        self.paused = False
        self.waiters: dict[int, asyncio.Future[str | None]] = {}
        self._submits: list[SubmitSm | DataSm | SubmitMulti] = []
        self.tasks: set[asyncio.Task[None]] = set()
        self.closed = self.loop.create_future()
        self.log = logging.getLogger("heliograph.smpp")
        self._writes = CoalescedWrites(self.loop)
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None

    @property
    def name(self) -> str:
        return f"{self.system_id or '-'}@{self.peer}"

    @property
    def receives(self) -> bool:
        return self.session.state in _RX

    # --- transport callbacks ----------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses; they have its methods
        self.transport = cast(asyncio.Transport, transport)
        self._writes.transport = self.transport
        peer = transport.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        self.server.clients.add(self)
        self._arm_timer()

    def data_received(self, data: bytes) -> None:
        now = self.loop.time()
        self.session.receive_data(data, now)
        self._handle_events()

    def connection_lost(self, exc: Exception | None) -> None:
        self.session.receive_data(b"", self.loop.time())
        self._handle_events()
        if self._timer is not None:
            self._timer.cancel()
        self._fail_waiters("the client connection closed")
        self.server.forget(self)
        if not self.closed.done():
            self.closed.set_result(None)

    # --- writing ------------------------------------------------------------------------

    def respond(self, request: Pdu | int, response: Pdu) -> None:
        if self.session.state is SessionState.CLOSED:
            return
        try:
            self._writes.queue(self.session.send_response(request, response))
        except (LocalProtocolError, EncodeError) as exc:
            self.log.warning("%s: cannot answer: %s", self.name, exc)

    def close(self) -> None:
        """Write what is pending (an unbind_resp, a generic_nack), then close."""
        if self.transport is not None and not self.transport.is_closing():
            self._writes.add(self.session.data_to_send())
            self._writes.flush()
            self.transport.close()

    def unbind(self) -> None:
        if self.session.state in (SessionState.BOUND_TX, *_RX):
            self._writes.queue(self.session.send(Unbind(), self.loop.time()))
            self._arm_timer()
        else:
            self.close()

    # --- events ---------------------------------------------------------------------------

    def _handle_events(self) -> None:
        session = self.session
        while (event := session.next_event()) is not None:
            match event:
                case RequestReceived(pdu=pdu):
                    self.junk = 0
                    self.received += 1
                    self._request(pdu)
                case BindRequested(request=bind):
                    self.junk = 0
                    self._spawn(self._bind(bind))
                case ResponseReceived(pdu=resp, request=request):
                    fut = self.waiters.pop(request.sequence_number, None)
                    if fut is not None and not fut.done():
                        ok = resp.command_status == 0
                        fut.set_result(None if ok else f"client answered {resp.command_status:#x}")
                    self.server.room.set()
                case ProtocolFault() as fault:
                    self._fault(fault)
                case ResponseTimedOut(request=request) if isinstance(request, DeliverSm):
                    fut = self.waiters.pop(request.sequence_number, None)
                    if fut is not None and not fut.done():
                        fut.set_result("no deliver_sm_resp within the response timeout")
                    self.server.room.set()
                case ResponseTimedOut() | InactivityTimedOut():
                    if session.state is SessionState.UNBINDING:
                        self.close()
                    else:
                        self.unbind()
                case Unbound() | PeerClosed():
                    self.close()
        if self._submits:
            # Everything submitted in one read is committed together (one store write).
            batch, self._submits = self._submits, []
            self._spawn(self._submit(batch))
        self._writes.queue(session.data_to_send())
        self._arm_timer()

    def _fault(self, fault: ProtocolFault) -> None:
        self.junk += 1
        self.log.info("%s: %s", self.name, fault.description)
        if fault.response is not None and fault.sequence_number is not None:
            self.respond(fault.sequence_number, fault.response)
        if fault.fatal or self.junk >= self.server.settings.max_junk_pdus:
            self.log.warning("%s: closing after malformed PDUs", self.name)
            self._writes.queue(self.session.data_to_send())
            self.close()

    def _request(self, pdu: Pdu) -> None:
        match pdu:
            case SubmitSm() | DataSm() | SubmitMulti():
                self.in_progress += 1
                if self.in_progress >= self.server.settings.window and self.transport:
                    self.paused = True
                    self.transport.pause_reading()
                self._submits.append(pdu)
            case QuerySm():
                self._spawn(self._query(pdu))
            case CancelSm():
                self._spawn(self._cancel(pdu))
            case ReplaceSm():
                self._spawn(self._replace(pdu))
            case _:
                if pdu.command_id in _NEEDS_ANSWER:
                    self.respond(pdu, _error(pdu, S.ESME_RINVCMDID))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = self.loop.create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    # --- requests -------------------------------------------------------------------------

    async def _bind(self, bind: Bind) -> None:
        status = await self.server.authenticate(self, bind)
        cls = _RESP_OF.get(type(bind), BindTransmitterResp)
        if status:
            self.respond(bind, cls(command_status=status))
            return
        self.respond(
            bind,
            cls(
                system_id=self.server.settings.system_id,
                tlvs=(tlv.ScInterfaceVersion(value=InterfaceVersion.SMPP_3_4),),
            ),
        )
        self.server.bound(self)

    async def _submit(self, pdus: list[SubmitSm | DataSm | SubmitMulti]) -> None:
        try:
            responses = await self.server.submit(self, pdus)
        finally:
            self.in_progress -= len(pdus)
            if self.paused and self.in_progress < self.server.settings.window // 2:
                self.paused = False
                if self.transport is not None and not self.transport.is_closing():
                    self.transport.resume_reading()
        for pdu, response in zip(pdus, responses, strict=True):
            self.respond(pdu, response)

    async def _query(self, pdu: QuerySm) -> None:
        account = self.account
        assert account is not None
        try:
            view = await self.server.services.messages.get(account.id, MessageId(pdu.message_id))
        except Rejected as exc:
            self.respond(pdu, QuerySmResp(command_status=SMPP_STATUS[exc.reason]))
            return
        self.respond(pdu, tr.query_sm_resp(view))

    async def _cancel(self, pdu: CancelSm) -> None:
        account = self.account
        assert account is not None
        if not pdu.message_id:
            self.respond(pdu, CancelSmResp(command_status=await self._cancel_by_address(pdu)))
            return
        try:
            await self.server.services.messages.cancel(account.id, MessageId(pdu.message_id))
        except Rejected as exc:
            self.respond(pdu, CancelSmResp(command_status=SMPP_STATUS[exc.reason]))
            return
        self.respond(pdu, CancelSmResp())

    async def _cancel_by_address(self, pdu: CancelSm) -> int:
        """§4.9.1 with a NULL message_id: every message from source_addr to
        destination_addr that has not left (the gateway keeps no service_type: it
        does not narrow the match). ESME_RCANCELFAIL when none matched."""
        account, edits = self.account, self.server.services.edits
        assert account is not None
        if edits is None:
            return S.ESME_RCANCELFAIL
        try:
            to, source = tr.cancel_addresses(pdu)
            cancelled = await edits.cancel_matching(account, to=to, source=source)
        except tr.SmppRefusal as exc:
            return exc.status
        except Rejected as exc:
            return SMPP_STATUS[exc.reason]
        return S.ESME_ROK if cancelled else S.ESME_RCANCELFAIL

    async def _replace(self, pdu: ReplaceSm) -> None:
        """§4.10: a message not yet sent, matched by message_id and source_addr, re-planned
        with the new text and times; ESME_RREPLACEFAIL when it cannot be replaced."""
        account, edits = self.account, self.server.services.edits
        assert account is not None
        status: int = S.ESME_ROK
        try:
            if edits is None:
                raise tr.SmppRefusal(S.ESME_RREPLACEFAIL, "replacing is not available")
            view = await self.server.services.messages.get(account.id, MessageId(pdu.message_id))
            req, keep_expiry = tr.replace_request(
                pdu, view, account.id, now=self.server.clock.now()
            )
            await edits.replace(
                account, view, req, source=tr.source_of(pdu), keep_expiry=keep_expiry
            )
        except tr.SmppRefusal as exc:
            status = exc.status
        except Rejected as exc:
            status = _REPLACE_STATUS.get(exc.reason, SMPP_STATUS[exc.reason])
        self.respond(pdu, ReplaceSmResp(command_status=status))

    # --- deliver_sm to the client ------------------------------------------------------------

    def deliver(self, pdu: DeliverSm) -> asyncio.Future[str | None]:
        """Send ``pdu``; the future says None on deliver_sm_resp 0, else why not."""
        self._writes.queue(self.session.data_to_send())
        frame = self.session.send(pdu, self.loop.time())
        fut: asyncio.Future[str | None] = self.loop.create_future()
        self.waiters[_SEQ.unpack_from(frame, 12)[0]] = fut
        self._writes.queue(frame)
        self.sent += 1
        self._arm_timer()
        return fut

    def _fail_waiters(self, reason: str) -> None:
        waiters, self.waiters = self.waiters, {}
        for fut in waiters.values():
            if not fut.done():
                fut.set_result(reason)

    # --- time -------------------------------------------------------------------------------

    def _arm_timer(self) -> None:
        deadline = self.session.next_deadline()
        if deadline is None or (self._timer_at is not None and self._timer_at <= deadline):
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = deadline
        self._timer = self.loop.call_at(deadline, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._timer_at = None
        self.session.handle_timer(self.loop.time())
        self._handle_events()


_NEEDS_ANSWER = frozenset({CommandId.DELIVER_SM, CommandId.DATA_SM})
# replace_sm (§4.10.2): a message that is unknown, of another account, already sent or
# final cannot be replaced; every other refusal answers as a submit's would.
_REPLACE_STATUS = {
    RejectReason.NOT_FOUND: S.ESME_RREPLACEFAIL,
    RejectReason.NOT_CANCELLABLE: S.ESME_RREPLACEFAIL,
}
_RESP_OF: dict[type[Bind], type[BindResp]] = {
    BindTransceiver: BindTransceiverResp,
    BindReceiver: BindReceiverResp,
}


def _error(pdu: Pdu, status: int) -> Pdu:
    return error_response(pdu.command_id, pdu.sequence_number, status)
