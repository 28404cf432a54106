"""SMPP session: an ESME and an SMSC session wired back to back (h11 ConnectionPair style)."""

from __future__ import annotations

from typing import Any

import pytest

from heliograph.wire.errors import LocalProtocolError
from heliograph.wire.smpp import codec
from heliograph.wire.smpp.constants import MAX_SEQUENCE_NUMBER
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
from heliograph.wire.smpp.pdus import (
    Bind,
    BindReceiver,
    BindReceiverResp,
    BindTransceiver,
    BindTransceiverResp,
    BindTransmitter,
    BindTransmitterResp,
    DeliverSm,
    DeliverSmResp,
    EnquireLink,
    EnquireLinkResp,
    GenericNack,
    Outbind,
    Pdu,
    QuerySmResp,
    SubmitSm,
    SubmitSmResp,
    Unbind,
    UnbindResp,
)
from heliograph.wire.smpp.session import (
    ALLOWED,
    TRANSITIONS,
    Role,
    Session,
    SessionState,
    Trigger,
)

RESPONSES: dict[type[Bind], type[Pdu]] = {
    BindTransmitter: BindTransmitterResp,
    BindReceiver: BindReceiverResp,
    BindTransceiver: BindTransceiverResp,
}
BOUND_STATE = {
    BindTransmitter: SessionState.BOUND_TX,
    BindReceiver: SessionState.BOUND_RX,
    BindTransceiver: SessionState.BOUND_TRX,
}


class SessionPair:
    """ESME and SMSC sessions connected by an in-memory wire and one fake clock."""

    def __init__(self, *, byte_by_byte: bool = False, **options: Any) -> None:
        self.now = 0.0
        self.byte_by_byte = byte_by_byte
        self.esme = Session(Role.ESME, now=self.now, **options)
        self.smsc = Session(Role.SMSC, now=self.now, **options)

    def peer(self, session: Session) -> Session:
        return self.smsc if session is self.esme else self.esme

    def wire(self, sender: Session, data: bytes) -> None:
        receiver = self.peer(sender)
        if self.byte_by_byte:
            for i in range(len(data)):
                receiver.receive_data(data[i : i + 1], self.now)
        elif data:
            receiver.receive_data(data, self.now)
        self.pump()

    def pump(self) -> None:
        """Carry what the sessions produced on their own until both are quiet."""
        moved = True
        while moved:
            moved = False
            for session in (self.esme, self.smsc):
                data = session.data_to_send()
                if data:
                    moved = True
                    self.peer(session).receive_data(data, self.now)

    def send(self, sender: Session, pdu: Pdu) -> list[Event]:
        self.wire(sender, sender.send(pdu, self.now))
        return events(self.peer(sender))

    def respond(self, sender: Session, request: Pdu | int, response: Pdu) -> list[Event]:
        self.wire(sender, sender.send_response(request, response))
        return events(self.peer(sender))

    def advance(self, seconds: float) -> None:
        self.now += seconds
        for session in (self.esme, self.smsc):
            deadline = session.next_deadline()
            if deadline is not None and deadline <= self.now:
                session.handle_timer(self.now)
        self.pump()

    def bind(self, kind: type[Bind] = BindTransceiver) -> None:
        (requested,) = self.send(self.esme, kind(system_id="acme", password="secret"))
        assert isinstance(requested, BindRequested)
        (bound,) = self.respond(self.smsc, requested.request, RESPONSES[kind](system_id="SMSC"))
        assert isinstance(bound, Bound)


def events(session: Session) -> list[Event]:
    out = []
    while (event := session.next_event()) is not None:
        out.append(event)
    return out


def only_request(received: list[Event]) -> Pdu:
    """The PDU of the one RequestReceived event in ``received``."""
    (event,) = received
    assert isinstance(event, RequestReceived)
    return event.pdu


def submit(n: int = 0) -> SubmitSm:
    return SubmitSm(destination_addr="447700900123", short_message=b"part %d" % n)


# --- tables -------------------------------------------------------------------------


def test_smpp_session_every_state_can_close() -> None:
    assert all(TRANSITIONS[state, Trigger.CLOSE] is SessionState.CLOSED for state in SessionState)


def test_smpp_session_closed_is_terminal() -> None:
    assert {
        target for (source, _), target in TRANSITIONS.items() if source is SessionState.CLOSED
    } == {SessionState.CLOSED}


def test_smpp_session_allowed_table_sends_submit_only_from_esme_when_transmitting() -> None:
    assert ALLOWED[Role.ESME, SubmitSm.command_id] == {
        SessionState.BOUND_TX,
        SessionState.BOUND_TRX,
    }
    assert (Role.SMSC, SubmitSm.command_id) not in ALLOWED
    assert ALLOWED[Role.SMSC, DeliverSm.command_id] == {
        SessionState.BOUND_RX,
        SessionState.BOUND_TRX,
    }
    assert (Role.ESME, DeliverSm.command_id) not in ALLOWED


# --- bind ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [BindTransmitter, BindReceiver, BindTransceiver])
def test_smpp_session_bind(kind: type[Bind]) -> None:
    pair = SessionPair()
    (requested,) = pair.send(pair.esme, kind(system_id="acme", password="secret"))
    assert isinstance(requested, BindRequested)
    assert requested.request.sequence_number == 1
    assert pair.smsc.state is SessionState.OPEN
    (bound,) = pair.respond(pair.smsc, requested.request, RESPONSES[kind](system_id="SMSC"))
    assert isinstance(bound, Bound)
    assert bound.response.system_id == "SMSC"
    assert pair.esme.state is pair.smsc.state is BOUND_STATE[kind]


def test_smpp_session_bind_refused_then_retried() -> None:
    pair = SessionPair()
    (requested,) = pair.send(pair.esme, BindTransmitter(system_id="acme", password="wrong"))
    refusal = BindTransmitterResp(command_status=S.ESME_RINVPASWD)
    assert isinstance(requested, BindRequested)
    (failed,) = pair.respond(pair.smsc, requested.request, refusal)
    assert isinstance(failed, BindFailed)
    assert failed.response.command_status == S.ESME_RINVPASWD
    assert pair.esme.state is pair.smsc.state is SessionState.OPEN
    pair.bind(BindTransmitter)
    assert pair.esme.state is SessionState.BOUND_TX


def test_smpp_session_bind_answered_with_generic_nack_fails() -> None:
    pair = SessionPair()
    pair.send(pair.esme, BindTransceiver())
    (failed,) = pair.respond(pair.smsc, 1, GenericNack(command_status=S.ESME_RSYSERR))
    assert isinstance(failed, BindFailed)
    assert pair.esme.state is SessionState.OPEN


def test_smpp_session_second_bind_is_a_local_error() -> None:
    pair = SessionPair()
    pair.esme.send(BindTransceiver(), 0.0)
    with pytest.raises(LocalProtocolError) as info:
        pair.esme.send(BindTransmitter(), 0.0)
    assert info.value.status == S.ESME_RALYBND


def test_smpp_session_bind_while_bound_is_answered_ralybnd() -> None:
    pair = SessionPair()
    pair.bind()
    frame = codec.encode(BindTransmitter(sequence_number=50))
    pair.smsc.receive_data(frame, pair.now)
    (fault,) = events(pair.smsc)
    assert isinstance(fault, ProtocolFault)
    assert fault.status == S.ESME_RALYBND
    assert fault.response == BindTransmitterResp(sequence_number=50, command_status=S.ESME_RALYBND)
    data = pair.smsc.send_response(fault.sequence_number or 0, fault.response)
    assert codec.decode(data) == fault.response
    assert pair.smsc.state is SessionState.BOUND_TRX


def test_smpp_session_outbind_then_bind_receiver() -> None:
    pair = SessionPair()
    (outbind,) = pair.send(pair.smsc, Outbind(system_id="SMSC", password="pw"))
    assert isinstance(outbind, RequestReceived)
    assert isinstance(outbind.pdu, Outbind)
    assert pair.esme.pending_responses == 0
    pair.bind(BindReceiver)
    assert pair.esme.state is SessionState.BOUND_RX


# --- requests and responses ---------------------------------------------------------------


def test_smpp_session_submit_and_response() -> None:
    pair = SessionPair()
    pair.bind()
    (received,) = pair.send(pair.esme, submit())
    assert isinstance(received, RequestReceived)
    assert received.pdu.sequence_number == 2
    assert pair.smsc.pending_responses == 1
    (answered,) = pair.respond(pair.smsc, received.pdu, SubmitSmResp(message_id="m-1"))
    assert isinstance(answered, ResponseReceived)
    assert answered.pdu == SubmitSmResp(sequence_number=2, message_id="m-1")
    assert answered.request == SubmitSm(
        sequence_number=2, destination_addr="447700900123", short_message=b"part 0"
    )
    assert pair.esme.window_available == pair.esme.window
    assert pair.smsc.pending_responses == 0


def test_smpp_session_byte_by_byte_delivery() -> None:
    pair = SessionPair(byte_by_byte=True)
    pair.bind()
    request = only_request(pair.send(pair.esme, submit()))
    (answered,) = pair.respond(pair.smsc, request, SubmitSmResp(message_id="x"))
    assert isinstance(answered, ResponseReceived)


def test_smpp_session_deliver_sm_to_receiver() -> None:
    pair = SessionPair()
    pair.bind(BindReceiver)
    (received,) = pair.send(pair.smsc, DeliverSm(source_addr="447700900123", short_message=b"hi"))
    assert isinstance(received, RequestReceived)
    (answered,) = pair.respond(pair.esme, received.pdu, DeliverSmResp())
    assert isinstance(answered, ResponseReceived)
    assert answered.request.sequence_number == 1  # the SMSC numbers its own requests


def test_smpp_session_pipelined_responses_out_of_order() -> None:
    pair = SessionPair(window=5)
    pair.bind()
    requests = [only_request(pair.send(pair.esme, submit(n))) for n in range(5)]
    assert pair.esme.window_available == 0
    answered: list[Event] = []
    for request in reversed(requests):
        answered += pair.respond(pair.smsc, request, SubmitSmResp(message_id="id"))
    assert [e.request for e in answered if isinstance(e, ResponseReceived)] == requests[::-1]
    assert pair.esme.window_available == 5


def test_smpp_session_window_full_is_a_local_error() -> None:
    pair = SessionPair(window=2)
    pair.bind()
    first = only_request(pair.send(pair.esme, submit(1)))
    pair.send(pair.esme, submit(2))
    with pytest.raises(LocalProtocolError) as info:
        pair.esme.send(submit(3), pair.now)
    assert info.value.status == S.ESME_RTHROTTLED
    pair.respond(pair.smsc, first, SubmitSmResp())
    assert pair.esme.window_available == 1
    pair.send(pair.esme, submit(3))


def test_smpp_session_sequence_numbers_wrap() -> None:
    pair = SessionPair(window=3)
    pair.bind()
    pair.esme._next_sequence = MAX_SEQUENCE_NUMBER  # reach the wrap without 2**31 requests
    seqs = [only_request(pair.send(pair.esme, submit(n))).sequence_number for n in range(2)]
    assert seqs == [MAX_SEQUENCE_NUMBER, 1]


def test_smpp_session_sequence_numbers_skip_outstanding() -> None:
    pair = SessionPair(window=3)
    pair.bind()
    pair.send(pair.esme, SubmitSm(sequence_number=3))
    seqs = [only_request(pair.send(pair.esme, submit(n))).sequence_number for n in range(2)]
    assert seqs == [2, 4]
    with pytest.raises(LocalProtocolError):
        pair.esme.send(SubmitSm(sequence_number=4), pair.now)


def test_smpp_session_explicit_sequence_number_out_of_range() -> None:
    pair = SessionPair()
    pair.bind()
    with pytest.raises(LocalProtocolError):
        pair.esme.send(SubmitSm(sequence_number=MAX_SEQUENCE_NUMBER + 1), pair.now)


def test_smpp_session_response_via_send_is_a_local_error() -> None:
    pair = SessionPair()
    with pytest.raises(LocalProtocolError):
        pair.esme.send(EnquireLinkResp(), pair.now)


def test_smpp_session_send_response_checks_request() -> None:
    pair = SessionPair()
    pair.bind()
    request = only_request(pair.send(pair.esme, submit()))
    with pytest.raises(LocalProtocolError):
        pair.smsc.send_response(99, SubmitSmResp())
    with pytest.raises(LocalProtocolError):
        pair.smsc.send_response(request, QuerySmResp())
    assert pair.smsc.pending_responses == 1
    pair.respond(pair.smsc, request, GenericNack(command_status=S.ESME_RSYSERR))
    assert pair.smsc.pending_responses == 0


def test_smpp_session_automatic_bytes_precede_sent_pdu() -> None:
    pair = SessionPair(enquire_link_interval_s=None)
    pair.bind(BindReceiver)
    pair.smsc.receive_data(codec.encode(EnquireLink(sequence_number=77)), pair.now)
    data = pair.smsc.send(DeliverSm(short_message=b"mo"), pair.now)
    assert data[:16] == codec.encode(EnquireLinkResp(sequence_number=77))
    assert isinstance(codec.decode(data[16:]), DeliverSm)
    assert pair.smsc.data_to_send() == b""


# --- illegal PDUs from the peer ---------------------------------------------------------


def test_smpp_session_submit_before_bind_is_answered_rinvbndsts() -> None:
    smsc = Session(Role.SMSC)
    smsc.receive_data(codec.encode(SubmitSm(sequence_number=7)), 0.0)
    (fault,) = events(smsc)
    assert isinstance(fault, ProtocolFault)
    assert not fault.fatal
    assert fault.status == S.ESME_RINVBNDSTS
    assert fault.response == SubmitSmResp(sequence_number=7, command_status=S.ESME_RINVBNDSTS)
    assert len(smsc.send_response(7, fault.response)) == 16
    assert smsc.state is SessionState.OPEN


def test_smpp_session_submit_to_receiver_bind_is_refused() -> None:
    pair = SessionPair()
    pair.bind(BindReceiver)
    with pytest.raises(LocalProtocolError) as info:
        pair.esme.send(submit(), pair.now)
    assert info.value.status == S.ESME_RINVBNDSTS
    pair.smsc.receive_data(codec.encode(SubmitSm(sequence_number=9)), pair.now)
    (fault,) = events(pair.smsc)
    assert isinstance(fault, ProtocolFault)
    assert fault.status == S.ESME_RINVBNDSTS


def test_smpp_session_deliver_sm_from_esme_is_refused() -> None:
    pair = SessionPair()
    pair.bind()
    with pytest.raises(LocalProtocolError):
        pair.esme.send(DeliverSm(), pair.now)
    pair.smsc.receive_data(codec.encode(DeliverSm(sequence_number=4)), pair.now)
    (fault,) = events(pair.smsc)
    assert isinstance(fault, ProtocolFault)
    assert fault.response == DeliverSmResp(sequence_number=4, command_status=S.ESME_RINVBNDSTS)


def test_smpp_session_malformed_request_is_answered_with_its_status() -> None:
    pair = SessionPair()
    pair.bind()
    frame = bytearray(codec.encode(SubmitSm(sequence_number=11, source_addr="1" * 20)))
    frame[19 + 20] = ord("1")  # overwrite source_addr's NUL: 21 octets without one
    pair.smsc.receive_data(bytes(frame), pair.now)
    (fault,) = events(pair.smsc)
    assert isinstance(fault, ProtocolFault)
    assert (fault.status, fault.sequence_number) == (S.ESME_RINVSRCADR, 11)
    assert fault.response == SubmitSmResp(sequence_number=11, command_status=S.ESME_RINVSRCADR)
    assert pair.smsc.state is SessionState.BOUND_TRX


def test_smpp_session_unknown_command_is_answered_with_generic_nack() -> None:
    smsc = Session(Role.SMSC)
    smsc.receive_data(bytes.fromhex("00000010000001110000000000000005"), 0.0)
    (fault,) = events(smsc)
    assert isinstance(fault, ProtocolFault)
    assert fault.response == GenericNack(sequence_number=5, command_status=S.ESME_RINVCMDID)
    assert codec.decode(smsc.send_response(5, fault.response)) == fault.response


def test_smpp_session_unexpected_response_is_a_fault_without_answer() -> None:
    pair = SessionPair()
    pair.bind()
    pair.esme.receive_data(codec.encode(SubmitSmResp(sequence_number=40)), pair.now)
    (fault,) = events(pair.esme)
    assert isinstance(fault, ProtocolFault)
    assert fault.response is None
    assert fault.as_error().status == fault.status


def test_smpp_session_response_of_wrong_type_names_the_request() -> None:
    pair = SessionPair()
    pair.bind()
    seq = only_request(pair.send(pair.esme, submit())).sequence_number
    pair.esme.receive_data(codec.encode(QuerySmResp(sequence_number=seq)), pair.now)
    (fault,) = events(pair.esme)
    assert isinstance(fault, ProtocolFault)
    assert fault.request is not None and fault.request.sequence_number == seq
    assert pair.esme.window_available == pair.esme.window


def test_smpp_session_framing_error_is_fatal() -> None:
    pair = SessionPair()
    pair.bind()
    pair.smsc.receive_data(bytes.fromhex("0000000800000015000000000000002a"), pair.now)
    (fault,) = events(pair.smsc)
    assert isinstance(fault, ProtocolFault)
    assert fault.fatal
    assert fault.status == S.ESME_RINVCMDLEN
    assert pair.smsc.state is SessionState.CLOSED
    assert codec.decode(pair.smsc.data_to_send()) == GenericNack(
        sequence_number=42, command_status=S.ESME_RINVCMDLEN
    )
    pair.smsc.receive_data(codec.encode(EnquireLink(sequence_number=1)), pair.now)
    assert events(pair.smsc) == []


# --- enquire_link and timers --------------------------------------------------------------


def test_smpp_session_response_timeout() -> None:
    pair = SessionPair(response_timeout_s=5.0, enquire_link_interval_s=None)
    pair.bind()
    request = pair.esme.send(submit(), pair.now)  # never delivered
    assert pair.esme.next_deadline() == pytest.approx(5.0)
    pair.advance(4.9)
    assert events(pair.esme) == []
    pair.advance(0.1)
    (timed_out,) = events(pair.esme)
    assert isinstance(timed_out, ResponseTimedOut)
    assert codec.encode(timed_out.request) == request
    assert pair.esme.window_available == pair.esme.window
    assert pair.esme.next_deadline() is None
    assert pair.smsc.pending_responses == 0


def test_smpp_session_late_response_after_timeout_is_a_fault() -> None:
    pair = SessionPair(response_timeout_s=5.0, enquire_link_interval_s=None)
    pair.bind()
    request = only_request(pair.send(pair.esme, submit()))
    pair.advance(5.0)
    assert isinstance(events(pair.esme)[0], ResponseTimedOut)
    (fault,) = pair.respond(pair.smsc, request, SubmitSmResp(message_id="late"))
    assert isinstance(fault, ProtocolFault)
    assert fault.response is None


def test_smpp_session_bind_timeout_allows_new_bind() -> None:
    esme = Session(Role.ESME, response_timeout_s=2.0)
    esme.send(BindTransceiver(), 0.0)
    esme.handle_timer(2.0)
    (timed_out,) = events(esme)
    assert isinstance(timed_out, ResponseTimedOut)
    esme.send(BindTransceiver(), 2.0)


def test_smpp_session_enquire_link_when_idle() -> None:
    pair = SessionPair(enquire_link_interval_s=30.0, response_timeout_s=10.0)
    pair.bind()
    assert pair.esme.next_deadline() == pytest.approx(30.0)
    pair.now = 30.0
    pair.esme.handle_timer(pair.now)
    data = pair.esme.data_to_send()
    assert codec.decode(data) == EnquireLink(sequence_number=2)
    assert pair.esme.window_available == pair.esme.window  # not counted in the window
    pair.esme.handle_timer(pair.now)
    assert pair.esme.data_to_send() == b""  # one at a time
    assert pair.esme.next_deadline() == pytest.approx(40.0)
    pair.wire(pair.esme, data)  # the SMSC answers by itself
    assert events(pair.esme) == events(pair.smsc) == []
    assert pair.esme.next_deadline() == pytest.approx(60.0)


def test_smpp_session_enquire_link_both_sides_keep_link() -> None:
    pair = SessionPair(enquire_link_interval_s=30.0, response_timeout_s=10.0)
    pair.bind()
    for _ in range(10):
        pair.advance(15.0)
    assert events(pair.esme) == events(pair.smsc) == []
    assert pair.esme.state is pair.smsc.state is SessionState.BOUND_TRX


def test_smpp_session_enquire_link_unanswered_times_out() -> None:
    pair = SessionPair(enquire_link_interval_s=30.0, response_timeout_s=10.0)
    pair.bind()
    pair.now = 30.0
    pair.esme.handle_timer(pair.now)
    pair.esme.data_to_send()  # lost on the way
    pair.now = 40.0
    pair.esme.handle_timer(pair.now)
    (timed_out,) = events(pair.esme)
    assert isinstance(timed_out, ResponseTimedOut)
    assert isinstance(timed_out.request, EnquireLink)


def test_smpp_session_no_enquire_link_before_bind() -> None:
    esme = Session(Role.ESME, enquire_link_interval_s=30.0, now=0.0)
    assert esme.next_deadline() is None
    esme.handle_timer(100.0)
    assert esme.data_to_send() == b""


def test_smpp_session_inactivity_reported_once() -> None:
    smsc = Session(Role.SMSC, inactivity_timeout_s=60.0, now=0.0)
    assert smsc.next_deadline() == pytest.approx(60.0)
    smsc.handle_timer(59.0)
    assert events(smsc) == []
    smsc.handle_timer(60.0)
    (idle,) = events(smsc)
    assert idle == InactivityTimedOut(idle_s=60.0)
    assert smsc.next_deadline() is None
    smsc.handle_timer(200.0)
    assert events(smsc) == []
    smsc.receive_data(codec.encode(EnquireLink(sequence_number=1)), 200.0)
    assert smsc.next_deadline() == pytest.approx(260.0)


# --- unbind and close ---------------------------------------------------------------------


def test_smpp_session_unbind_handshake_from_esme() -> None:
    pair = SessionPair()
    pair.bind()
    data = pair.esme.send(Unbind(), pair.now)
    assert pair.esme.state is SessionState.UNBINDING
    with pytest.raises(LocalProtocolError):
        pair.esme.send(submit(), pair.now)
    pair.wire(pair.esme, data)
    (smsc_event,) = events(pair.smsc)
    (esme_event,) = events(pair.esme)
    assert smsc_event == Unbound(initiated_by_peer=True, unanswered=())
    assert esme_event == Unbound(initiated_by_peer=False, unanswered=())
    assert pair.esme.state is pair.smsc.state is SessionState.CLOSED
    assert pair.esme.next_deadline() is pair.smsc.next_deadline() is None


def test_smpp_session_unbind_from_smsc_reports_unanswered() -> None:
    pair = SessionPair()
    pair.bind()
    pair.esme.send(submit(1), pair.now)  # in flight when the SMSC unbinds
    (unbound,) = pair.send(pair.smsc, Unbind())
    assert isinstance(unbound, Unbound)
    assert unbound.initiated_by_peer
    assert unbound.unanswered == (
        SubmitSm(sequence_number=2, destination_addr="447700900123", short_message=b"part 1"),
    )
    assert isinstance(events(pair.smsc)[0], Unbound)
    with pytest.raises(LocalProtocolError):
        pair.esme.send(submit(2), pair.now)


def test_smpp_session_requests_answered_while_unbinding() -> None:
    pair = SessionPair()
    pair.bind()
    unbind = pair.esme.send(Unbind(), pair.now)
    (mo,) = pair.send(pair.smsc, DeliverSm(short_message=b"crossing"))
    assert isinstance(mo, RequestReceived)
    pair.respond(pair.esme, mo.pdu, DeliverSmResp())
    pair.wire(pair.esme, unbind)
    assert pair.esme.state is SessionState.CLOSED


def test_smpp_session_simultaneous_unbind() -> None:
    pair = SessionPair()
    pair.bind()
    from_esme = pair.esme.send(Unbind(), pair.now)
    from_smsc = pair.smsc.send(Unbind(), pair.now)
    pair.wire(pair.smsc, from_smsc)
    pair.wire(pair.esme, from_esme)
    assert pair.esme.state is pair.smsc.state is SessionState.CLOSED
    assert all(isinstance(e, Unbound) for e in events(pair.esme) + events(pair.smsc))


def test_smpp_session_unbind_unanswered_closes() -> None:
    pair = SessionPair(response_timeout_s=5.0)
    pair.bind()
    pair.esme.send(Unbind(), pair.now)
    pair.advance(5.0)
    (timed_out,) = events(pair.esme)
    assert isinstance(timed_out, ResponseTimedOut)
    assert pair.esme.state is SessionState.CLOSED


def test_smpp_session_unbind_before_bind_is_refused() -> None:
    smsc = Session(Role.SMSC)
    smsc.receive_data(codec.encode(Unbind(sequence_number=3)), 0.0)
    (fault,) = events(smsc)
    assert isinstance(fault, ProtocolFault)
    assert fault.response == UnbindResp(sequence_number=3, command_status=S.ESME_RINVBNDSTS)


def test_smpp_session_peer_closed() -> None:
    pair = SessionPair()
    pair.bind()
    pair.esme.send(submit(), pair.now)
    pair.esme.receive_data(b"", pair.now)
    (closed,) = events(pair.esme)
    assert isinstance(closed, PeerClosed)
    assert len(closed.unanswered) == 1
    assert pair.esme.state is SessionState.CLOSED
    assert pair.esme.unanswered_requests == closed.unanswered
    pair.esme.receive_data(b"", pair.now)
    assert events(pair.esme) == []
    with pytest.raises(LocalProtocolError):
        pair.esme.send(submit(), pair.now)


def test_smpp_session_window_must_be_positive() -> None:
    with pytest.raises(ValueError, match="window"):
        Session(Role.ESME, window=0)
