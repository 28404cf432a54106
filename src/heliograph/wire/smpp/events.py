"""Events a ``Session`` reports after it is fed bytes or time (SMPP 3.4 §2).

A driver pulls them with ``Session.next_event()`` and handles them with
``match``. Events are plain frozen values; they reference the PDUs involved
and never hold the session. What the driver is expected to do with each one is
in its docstring. This module knows nothing about sockets or clocks.
"""

from __future__ import annotations

from dataclasses import dataclass

from heliograph.wire.errors import RemoteProtocolError
from heliograph.wire.smpp.pdus import Bind, BindResp, Pdu

__all__ = [
    "BindFailed",
    "BindRequested",
    "Bound",
    "Event",
    "InactivityTimedOut",
    "PeerClosed",
    "ProtocolFault",
    "RequestReceived",
    "ResponseReceived",
    "ResponseTimedOut",
    "Unbound",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class BindRequested:
    """SMSC role: an ESME asks to bind. Check its credentials, then answer with
    ``send_response(request, BindTransmitterResp(...))`` (or the matching resp):
    command_status 0 binds the session, anything else leaves it OPEN."""

    request: Bind


@dataclass(frozen=True, slots=True, kw_only=True)
class Bound:
    """ESME role: the SMSC accepted our bind; ``Session.state`` is now BOUND_*."""

    request: Bind
    response: BindResp


@dataclass(frozen=True, slots=True, kw_only=True)
class BindFailed:
    """ESME role: the SMSC refused our bind (``response.command_status``) or
    answered it with a generic_nack; the session stays OPEN."""

    request: Bind
    response: Pdu


@dataclass(frozen=True, slots=True, kw_only=True)
class Unbound:
    """The unbind handshake completed and the session is CLOSED; close the transport.

    When the peer unbound, the session has already queued the unbind_resp: send
    ``data_to_send()`` first. ``unanswered`` are our requests that never got a
    response (resubmit them elsewhere).
    """

    initiated_by_peer: bool
    unanswered: tuple[Pdu, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestReceived:
    """A request the driver must act on (submit_sm, deliver_sm, query_sm, outbind...).

    Answer with ``send_response(pdu, <resp>)`` unless it is outbind or
    alert_notification, which have no response (§4.1.7, §4.12.1).
    """

    pdu: Pdu


@dataclass(frozen=True, slots=True, kw_only=True)
class ResponseReceived:
    """The response (or a generic_nack) to one of our requests."""

    pdu: Pdu
    request: Pdu


@dataclass(frozen=True, slots=True, kw_only=True)
class ResponseTimedOut:
    """No response to ``request`` within response_timeout_s; it leaves the window.

    For an enquire_link the link is presumed dead; for an unbind the session is
    now CLOSED. Either way the driver should close the transport.
    """

    request: Pdu


@dataclass(frozen=True, slots=True, kw_only=True)
class PeerClosed:
    """The transport closed (``receive_data(b"")``); the session is CLOSED."""

    unanswered: tuple[Pdu, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class InactivityTimedOut:
    """Nothing received for inactivity_timeout_s (SMPP 5.0's inactivity timer); unbind or close."""

    idle_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class ProtocolFault:
    """The peer broke the protocol: a malformed PDU, a request not allowed in this
    state or role, or a response nobody asked for.

    ``response`` is what the driver should answer with
    ``send_response(fault.sequence_number, fault.response)``: the bodyless
    ``*_resp`` or generic_nack carrying ``status`` (e.g. ESME_RINVBNDSTS,
    ESME_RINVCMDID). It is None when nothing may be answered (the faulty PDU was a
    response) or when the session answered itself: a ``fatal`` fault means the
    stream lost its framing, the session queued a generic_nack (see
    ``data_to_send()``) and is CLOSED. ``request`` is set when a response of the
    wrong type arrived for one of our requests, which then leaves the window.
    """

    status: int
    description: str
    command_id: int | None = None
    sequence_number: int | None = None
    pdu: Pdu | None = None
    request: Pdu | None = None
    response: Pdu | None = None
    fatal: bool = False

    def as_error(self) -> RemoteProtocolError:
        """The fault as an exception, for drivers that abort on any fault."""
        return RemoteProtocolError(self.description, status=self.status)


Event = (
    BindRequested
    | Bound
    | BindFailed
    | Unbound
    | RequestReceived
    | ResponseReceived
    | ResponseTimedOut
    | PeerClosed
    | InactivityTimedOut
    | ProtocolFault
)
