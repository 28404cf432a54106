"""SMPP 3.4 session state machine, sans-IO: bytes and time in, bytes, events and deadlines out.

Theory of operation (in the manner of h11's ``Connection``):

* One ``Session`` is one bind, as the ESME or as the SMSC. The driver owns the
  transport and the clock. It feeds received bytes with ``receive_data(data,
  now)`` (``b""`` when the transport closed), pulls ``Event`` values with
  ``next_event()``, writes whatever bytes the session hands back, and calls
  ``handle_timer(now)`` when ``next_deadline()`` has passed.
* Rule 1: bytes reach the wire in two ways. ``send()`` and ``send_response()``
  return the bytes of the PDU they were given. Everything the session does on
  its own (enquire_link_resp, unbind_resp, the periodic enquire_link, the
  generic_nack after a framing error) is queued and returned by
  ``data_to_send()``; it is also prepended to the next ``send()`` /
  ``send_response()`` result, so a driver that always writes what those return
  and drains ``data_to_send()`` after ``receive_data`` and ``handle_timer``
  never reorders anything.
* Rule 2: state changes only through ``_transition``, which consults the one
  ``TRANSITIONS`` table (SMPP 3.4 §2.3 session states). Which request may be
  sent in which state, and by which role, is the ``ALLOWED`` table (§2.4,
  table 2-1). When we break a rule the call raises ``LocalProtocolError`` and
  the session is unchanged; when the peer breaks one it is a ``ProtocolFault``
  event naming the command_status to answer with (ESME_RINVBNDSTS,
  ESME_RALYBND...) and carrying that response ready to send.
* Rule 3: our requests are numbered 1..0x7FFFFFFF, wrapping (§5.1.4), held in a
  window of at most ``window`` unanswered requests (sending beyond it raises
  ``LocalProtocolError``), and each expires ``response_timeout_s`` after it was
  sent with a ``ResponseTimedOut`` event. The session's own enquire_links do not
  count against the window.
* Rule 4: when ``enquire_link_interval_s`` is set and the session is bound, an
  enquire_link is queued once nothing has been received for that long, and only
  one is outstanding at a time; its timeout surfaces as ``ResponseTimedOut``.
  With ``inactivity_timeout_s`` set, silence from the peer for that long is
  reported once as ``InactivityTimedOut``.

The session never decides policy: it does not authenticate binds, throttle, or
close transports; it tells the driver, which decides. A driver, in outline::

    session = Session(Role.ESME, window=100, now=loop.time())
    writer.write(session.send(BindTransceiver(system_id=..., password=...), loop.time()))
    while session.state is not SessionState.CLOSED:
        deadline = session.next_deadline()
        timeout = None if deadline is None else max(0.0, deadline - loop.time())
        try:
            data = await asyncio.wait_for(reader.read(65536), timeout)
            session.receive_data(data, loop.time())
        except TimeoutError:
            session.handle_timer(loop.time())
        writer.write(session.data_to_send())
        while (event := session.next_event()) is not None:
            match event:
                case Bound(): ...                       # start submitting
                case ResponseReceived(pdu=resp, request=req): ...
                case RequestReceived(pdu=DeliverSm() as mo):
                    writer.write(session.send_response(mo, DeliverSmResp()))
                case ProtocolFault(response=resp, sequence_number=seq) if resp:
                    writer.write(session.send_response(seq, resp))
                case ResponseTimedOut() | PeerClosed() | Unbound(): ...
"""

from __future__ import annotations

from collections import deque
from enum import Enum

from heliograph.wire.errors import LocalProtocolError
from heliograph.wire.smpp.codec import (
    PduDecodeError,
    decode,
    encode,
    error_response,
    with_sequence_number,
)
from heliograph.wire.smpp.constants import MAX_SEQUENCE_NUMBER, RESPONSE_BIT, CommandId
from heliograph.wire.smpp.constants import CommandStatus as S
from heliograph.wire.smpp.events import (
    BindFailed,
    BindRequested,
    Bound,
    Event,
    InactivityTimedOut,
    PeerClosed,
    ProtocolFault,
    RequestReceived,
    ResponseReceived,
    ResponseTimedOut,
    Unbound,
)
from heliograph.wire.smpp.framing import DEFAULT_MAX_FRAME_OCTETS, FrameBuffer
from heliograph.wire.smpp.pdus import (
    RESPONSE_CLASSES,
    Bind,
    BindResp,
    EnquireLink,
    EnquireLinkResp,
    GenericNack,
    Pdu,
    UnbindResp,
)

__all__ = ["ALLOWED", "TRANSITIONS", "Role", "Session", "SessionState", "Trigger"]


class Role(Enum):
    """Which end of the bind this session is (§2.1)."""

    ESME = "esme"
    SMSC = "smsc"


class SessionState(Enum):
    """SMPP session states (§2.3); UNBINDING means our unbind awaits its unbind_resp."""

    OPEN = "open"
    BOUND_TX = "bound_tx"
    BOUND_RX = "bound_rx"
    BOUND_TRX = "bound_trx"
    UNBINDING = "unbinding"
    CLOSED = "closed"


class Trigger(Enum):
    """What moves a session from one state to another."""

    BOUND_TX = "bind_transmitter accepted"
    BOUND_RX = "bind_receiver accepted"
    BOUND_TRX = "bind_transceiver accepted"
    UNBIND_SENT = "unbind sent"
    UNBIND_RECEIVED = "unbind received and answered"
    UNBIND_RESP_RECEIVED = "unbind_resp received"
    CLOSE = "transport closed, framing lost or unbind unanswered"


OPEN, BOUND_TX, BOUND_RX, BOUND_TRX, UNBINDING, CLOSED = SessionState
BOUND = frozenset({BOUND_TX, BOUND_RX, BOUND_TRX})
TX_STATES = frozenset({BOUND_TX, BOUND_TRX})
RX_STATES = frozenset({BOUND_RX, BOUND_TRX})

TRANSITIONS: dict[tuple[SessionState, Trigger], SessionState] = {
    (OPEN, Trigger.BOUND_TX): BOUND_TX,
    (OPEN, Trigger.BOUND_RX): BOUND_RX,
    (OPEN, Trigger.BOUND_TRX): BOUND_TRX,
    **{(state, Trigger.UNBIND_SENT): UNBINDING for state in BOUND},
    **{(state, Trigger.UNBIND_RECEIVED): CLOSED for state in (*BOUND, UNBINDING)},
    (UNBINDING, Trigger.UNBIND_RESP_RECEIVED): CLOSED,
    **{(state, Trigger.CLOSE): CLOSED for state in SessionState},
}
"""The session state machine (§2.3): (state, trigger) → next state."""

ESME, SMSC = Role
ALLOWED: dict[tuple[Role, int], frozenset[SessionState]] = {
    (ESME, CommandId.BIND_TRANSMITTER): frozenset({OPEN}),
    (ESME, CommandId.BIND_RECEIVER): frozenset({OPEN}),
    (ESME, CommandId.BIND_TRANSCEIVER): frozenset({OPEN}),
    (SMSC, CommandId.OUTBIND): frozenset({OPEN}),
    (ESME, CommandId.SUBMIT_SM): TX_STATES,
    (ESME, CommandId.SUBMIT_MULTI): TX_STATES,
    (ESME, CommandId.DATA_SM): TX_STATES,
    (ESME, CommandId.QUERY_SM): TX_STATES,
    (ESME, CommandId.CANCEL_SM): TX_STATES,
    (ESME, CommandId.REPLACE_SM): TX_STATES,
    (SMSC, CommandId.DELIVER_SM): RX_STATES,
    (SMSC, CommandId.DATA_SM): RX_STATES,
    (SMSC, CommandId.ALERT_NOTIFICATION): RX_STATES,
    # SMPP 3.4 allows enquire_link when bound; SMPP 5.0 also while OPEN.
    (ESME, CommandId.ENQUIRE_LINK): BOUND | {OPEN},
    (SMSC, CommandId.ENQUIRE_LINK): BOUND | {OPEN},
    (ESME, CommandId.UNBIND): BOUND,
    (SMSC, CommandId.UNBIND): BOUND,
}
"""Requests (§2.4, table 2-1): (sender's role, command_id) → states it may be sent in."""

_BIND_TRIGGERS: dict[int, Trigger] = {
    CommandId.BIND_TRANSMITTER: Trigger.BOUND_TX,
    CommandId.BIND_RECEIVER: Trigger.BOUND_RX,
    CommandId.BIND_TRANSCEIVER: Trigger.BOUND_TRX,
}
_GENERIC_NACK = CommandId.GENERIC_NACK
_UNBIND = CommandId.UNBIND
_ENQUIRE_LINK = CommandId.ENQUIRE_LINK


class Session:
    """One SMPP bind as ESME or SMSC; see the module docstring for how to drive it."""

    def __init__(
        self,
        role: Role,
        *,
        window: int = 10,
        response_timeout_s: float = 30.0,
        enquire_link_interval_s: float | None = 30.0,
        inactivity_timeout_s: float | None = None,
        max_frame_octets: int = DEFAULT_MAX_FRAME_OCTETS,
        now: float | None = None,
    ) -> None:
        if window < 1:
            raise ValueError("window must be at least 1")
        self.role = role
        self.peer_role = SMSC if role is ESME else ESME
        self.window = window
        self.response_timeout_s = response_timeout_s
        self.enquire_link_interval_s = enquire_link_interval_s
        self.inactivity_timeout_s = inactivity_timeout_s
        self._state = OPEN
        self._bound_state = OPEN  # the bound state an UNBINDING session came from
        self._frames = FrameBuffer(max_frame_octets=max_frame_octets)
        self._events: deque[Event] = deque()
        self._outbox = bytearray()
        self._next_sequence = 1
        # sequence_number → (request, deadline, sent by the session itself)
        self._outstanding: dict[int, tuple[Pdu, float, bool]] = {}
        self._in_flight = 0  # outstanding requests the driver sent
        self._enquiring = False  # the session's own enquire_link is outstanding
        self._pending: dict[int, int] = {}  # peer's sequence_number → command_id to answer
        self._bind_pending = False
        self._last_received = now
        self._inactivity_reported = False

    # --- state ------------------------------------------------------------------

    @property
    def state(self) -> SessionState:
        return self._state

    @property
    def window_available(self) -> int:
        """How many more requests ``send`` accepts before the window is full."""
        return self.window - self._in_flight

    @property
    def unanswered_requests(self) -> tuple[Pdu, ...]:
        """Requests the driver sent that have neither a response nor a timeout yet."""
        return tuple(req for req, _, internal in self._outstanding.values() if not internal)

    @property
    def pending_responses(self) -> int:
        """Peer requests still waiting for our ``send_response``."""
        return len(self._pending)

    def _transition(self, trigger: Trigger) -> None:
        try:
            self._state = TRANSITIONS[self._state, trigger]
        except KeyError:
            raise LocalProtocolError(
                f"{trigger.value!r} is not allowed in state {self._state.name}",
                status=S.ESME_RINVBNDSTS,
            ) from None
        if self._state in BOUND:
            self._bound_state = self._state
        elif self._state is CLOSED:
            self._pending.clear()

    # --- sending ------------------------------------------------------------------

    def send(self, pdu: Pdu, now: float) -> bytes:
        """Number a request, enter it in the window and return its bytes.

        A ``sequence_number`` of 0 is replaced by the session's next number.

        Raises:
            LocalProtocolError: a response (use ``send_response``), a request not
                allowed in this state or role (ESME_RINVBNDSTS), a second bind
                (ESME_RALYBND), a full window (ESME_RTHROTTLED), or a
                sequence_number already in use.
            EncodeError: a field that does not fit its wire format.
        """
        command_id = pdu.command_id
        if command_id & RESPONSE_BIT:
            raise LocalProtocolError(f"{type(pdu).__name__} is a response; use send_response")
        allowed = ALLOWED.get((self.role, command_id))
        if allowed is None or self._state not in allowed:
            raise LocalProtocolError(
                f"{self.role.name} may not send {type(pdu).__name__} in state {self._state.name}",
                status=S.ESME_RINVBNDSTS,
            )
        if self._last_received is None:
            self._last_received = now
        if command_id not in RESPONSE_CLASSES:  # outbind, alert_notification
            return self._with_outbox(encode(pdu))
        if isinstance(pdu, Bind) and self._bind_pending:
            raise LocalProtocolError("a bind is already in progress", status=S.ESME_RALYBND)
        if self._in_flight >= self.window:
            raise LocalProtocolError(
                f"window of {self.window} outstanding requests is full", status=S.ESME_RTHROTTLED
            )
        seq = pdu.sequence_number
        if seq == 0:
            seq = self._take_sequence_number()
            pdu = with_sequence_number(pdu, seq)
        elif not 0 < seq <= MAX_SEQUENCE_NUMBER or seq in self._outstanding:
            raise LocalProtocolError(f"sequence_number {seq} is out of range or in use")
        frame = encode(pdu)
        if isinstance(pdu, Bind):
            self._bind_pending = True
        elif command_id == _UNBIND:
            self._transition(Trigger.UNBIND_SENT)
        self._outstanding[seq] = (pdu, now + self.response_timeout_s, False)
        self._in_flight += 1
        return self._with_outbox(frame)

    def send_response(self, request: Pdu | int, response: Pdu) -> bytes:
        """Answer a peer request (given as the PDU or its sequence_number).

        The response takes the request's sequence_number. Answering a bind with
        command_status 0 binds the session (SMSC role).

        Raises:
            LocalProtocolError: no request with that sequence_number awaits an
                answer, or ``response`` is not its response type nor a generic_nack.
            EncodeError: a field that does not fit its wire format.
        """
        seq = request if isinstance(request, int) else request.sequence_number
        command_id = self._pending.get(seq)
        if command_id is None:
            raise LocalProtocolError(f"no request with sequence_number {seq} awaits a response")
        if response.command_id not in (command_id | RESPONSE_BIT, _GENERIC_NACK):
            raise LocalProtocolError(
                f"{type(response).__name__} does not answer command_id 0x{command_id:08x}"
            )
        frame = encode(response, seq)
        del self._pending[seq]
        trigger = _BIND_TRIGGERS.get(command_id)
        if trigger is not None:
            self._bind_pending = False
            if response.command_status == 0 and isinstance(response, BindResp):
                self._transition(trigger)
        return self._with_outbox(frame)

    def data_to_send(self) -> bytes:
        """Bytes the session produced on its own since the last call (see Rule 1)."""
        data = bytes(self._outbox)
        self._outbox.clear()
        return data

    def _with_outbox(self, frame: bytes) -> bytes:
        if not self._outbox:
            return frame
        return self.data_to_send() + frame

    def _take_sequence_number(self) -> int:
        seq = self._next_sequence
        while seq in self._outstanding:
            seq = seq + 1 if seq < MAX_SEQUENCE_NUMBER else 1
        self._next_sequence = seq + 1 if seq < MAX_SEQUENCE_NUMBER else 1
        return seq

    # --- receiving ----------------------------------------------------------------

    def receive_data(self, data: bytes, now: float) -> None:
        """Feed bytes received from the peer; ``b""`` means the transport closed."""
        if self._state is CLOSED:
            return
        if not data:
            self._events.append(PeerClosed(unanswered=self.unanswered_requests))
            self._transition(Trigger.CLOSE)
            return
        self._last_received = now
        self._inactivity_reported = False
        self._frames.feed(data)
        while self._state is not CLOSED:
            try:
                frame = self._frames.pop()
            except PduDecodeError as exc:
                self._lose_framing(exc)
                return
            if frame is None:
                return
            self._receive_frame(frame)

    def next_event(self) -> Event | None:
        """The next event, or None when the session needs more bytes or time."""
        return self._events.popleft() if self._events else None

    def _lose_framing(self, exc: PduDecodeError) -> None:
        nack = GenericNack(sequence_number=exc.sequence_number or 0, command_status=exc.status)
        self._outbox += encode(nack)
        self._events.append(
            ProtocolFault(
                status=exc.status,
                description=str(exc),
                command_id=exc.command_id,
                sequence_number=exc.sequence_number,
                fatal=True,
            )
        )
        self._transition(Trigger.CLOSE)

    def _receive_frame(self, frame: bytes) -> None:
        try:
            pdu = decode(frame)
        except PduDecodeError as exc:
            self._fault(
                exc.status,
                str(exc),
                command_id=exc.command_id,
                sequence_number=exc.sequence_number,
            )
            return
        if pdu.command_id & RESPONSE_BIT:
            self._receive_response(pdu)
        else:
            self._receive_request(pdu)

    def _fault(
        self,
        status: int,
        description: str,
        *,
        command_id: int | None,
        sequence_number: int | None,
        pdu: Pdu | None = None,
        request: Pdu | None = None,
    ) -> None:
        response = None
        answerable = command_id is not None and not command_id & RESPONSE_BIT
        if answerable and sequence_number is not None and command_id not in _NO_RESPONSE:
            assert command_id is not None
            response = error_response(command_id, sequence_number, status)
            self._pending[sequence_number] = command_id
        self._events.append(
            ProtocolFault(
                status=status,
                description=description,
                command_id=command_id,
                sequence_number=sequence_number,
                pdu=pdu,
                request=request,
                response=response,
            )
        )

    def _receive_request(self, pdu: Pdu) -> None:
        command_id, seq = pdu.command_id, pdu.sequence_number
        state = self._bound_state if self._state is UNBINDING else self._state
        allowed = ALLOWED.get((self.peer_role, command_id))
        if allowed is None or state not in allowed:
            status = (
                S.ESME_RALYBND if isinstance(pdu, Bind) and state in BOUND else S.ESME_RINVBNDSTS
            )
            self._fault(
                status,
                f"{type(pdu).__name__} from the {self.peer_role.name} in state {state.name}",
                command_id=command_id,
                sequence_number=seq,
                pdu=pdu,
            )
        elif command_id == _ENQUIRE_LINK:
            self._outbox += encode(EnquireLinkResp(sequence_number=seq))
        elif command_id == _UNBIND:
            self._outbox += encode(UnbindResp(sequence_number=seq))
            self._transition(Trigger.UNBIND_RECEIVED)
            self._events.append(
                Unbound(initiated_by_peer=True, unanswered=self.unanswered_requests)
            )
        elif isinstance(pdu, Bind):
            if self._bind_pending:
                self._fault(
                    S.ESME_RALYBND,
                    "bind while another bind is unanswered",
                    command_id=command_id,
                    sequence_number=seq,
                    pdu=pdu,
                )
                return
            self._bind_pending = True
            self._pending[seq] = command_id
            self._events.append(BindRequested(request=pdu))
        else:
            if command_id in RESPONSE_CLASSES:
                self._pending[seq] = command_id
            self._events.append(RequestReceived(pdu=pdu))

    def _receive_response(self, pdu: Pdu) -> None:
        seq = pdu.sequence_number
        entry = self._outstanding.pop(seq, None)
        if entry is None:
            self._fault(
                S.ESME_RINVCMDID,
                f"{type(pdu).__name__} answers no outstanding request (sequence_number {seq})",
                command_id=pdu.command_id,
                sequence_number=seq,
                pdu=pdu,
            )
            return
        request, _, internal = entry
        if internal:
            self._enquiring = False
        else:
            self._in_flight -= 1
        if pdu.command_id not in (request.command_id | RESPONSE_BIT, _GENERIC_NACK):
            self._fault(
                S.ESME_RINVCMDID,
                f"{type(pdu).__name__} does not answer {type(request).__name__}",
                command_id=pdu.command_id,
                sequence_number=seq,
                pdu=pdu,
                request=request,
            )
        elif isinstance(request, Bind):
            self._bind_pending = False
            if pdu.command_status == 0 and isinstance(pdu, BindResp):
                self._transition(_BIND_TRIGGERS[request.command_id])
                self._events.append(Bound(request=request, response=pdu))
            else:
                self._events.append(BindFailed(request=request, response=pdu))
        elif request.command_id == _UNBIND:
            if self._state is UNBINDING:
                self._transition(Trigger.UNBIND_RESP_RECEIVED)
                self._events.append(
                    Unbound(initiated_by_peer=False, unanswered=self.unanswered_requests)
                )
        elif not internal:
            self._events.append(ResponseReceived(pdu=pdu, request=request))

    # --- time -----------------------------------------------------------------------

    def next_deadline(self) -> float | None:
        """When ``handle_timer`` must next be called, or None if nothing is timed."""
        if self._state is CLOSED:
            return None
        deadlines = []
        if self._outstanding:
            # Deadlines are send time + a constant, so the oldest entry expires first.
            deadlines.append(next(iter(self._outstanding.values()))[1])
        last = self._last_received
        if last is not None:
            interval = self.enquire_link_interval_s
            if interval is not None and self._enquire_link_due():
                deadlines.append(last + interval)
            if self.inactivity_timeout_s is not None and not self._inactivity_reported:
                deadlines.append(last + self.inactivity_timeout_s)
        return min(deadlines) if deadlines else None

    def handle_timer(self, now: float) -> None:
        """Expire requests, queue an enquire_link, report inactivity (see Rules 3-4)."""
        if self._state is CLOSED:
            return
        last = self._last_received
        if last is None:
            last = self._last_received = now
        self._expire_requests(now)
        if self._state is CLOSED:
            return
        interval = self.enquire_link_interval_s
        if interval is not None and self._enquire_link_due() and now >= last + interval:
            seq = self._take_sequence_number()
            enquire_link = EnquireLink(sequence_number=seq)
            self._outbox += encode(enquire_link)
            self._outstanding[seq] = (enquire_link, now + self.response_timeout_s, True)
            self._enquiring = True
        timeout = self.inactivity_timeout_s
        if timeout is not None and not self._inactivity_reported and now >= last + timeout:
            self._inactivity_reported = True
            self._events.append(InactivityTimedOut(idle_s=now - last))

    def _enquire_link_due(self) -> bool:
        return (
            self.enquire_link_interval_s is not None
            and not self._enquiring
            and self._state in BOUND
        )

    def _expire_requests(self, now: float) -> None:
        expired = []
        for seq, (request, deadline, internal) in self._outstanding.items():
            if deadline > now:
                break
            expired.append((seq, request, internal))
        for seq, request, internal in expired:
            del self._outstanding[seq]
            if internal:
                self._enquiring = False
            else:
                self._in_flight -= 1
                if isinstance(request, Bind):
                    self._bind_pending = False
            self._events.append(ResponseTimedOut(request=request))
            if request.command_id == _UNBIND and self._state is UNBINDING:
                self._transition(Trigger.CLOSE)


_NO_RESPONSE = frozenset({CommandId.OUTBIND, CommandId.ALERT_NOTIFICATION})
