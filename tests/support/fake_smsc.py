"""A scripted SMSC on 127.0.0.1:0, for connector tests, end-to-end tests and benchmarks.

It speaks the SMSC role of ``wire.smpp.Session`` over real sockets. A
``Behaviour`` decides how each submit_sm is answered:

* ``Happy``: submit_sm_resp with a fresh message_id, then a delivery receipt;
* ``Throttling``: ESME_RTHROTTLED for the first ``first`` submits, then happy;
* ``NoResponse``: submits are never answered (enquire_link still is);
* ``UnbindOnSubmit``: after ``after`` submits it unbinds (or drops the TCP
  connection) with the rest of the window unanswered;
* ``LateReceipt``: the receipt is sent before the submit_sm_resp;
* ``GenericNack``: every submit is answered with a generic_nack.

Receipts follow the SMSC's ``receipt_style``: Appendix B text plus the
receipted_message_id and message_state TLVs (``"tlv"``), the text alone
(``"text"``), or the text with the id in decimal while submit_sm_resp gave it
in hex (``"text_dec"``). Receipts go out on the bind that submitted when it
is a transceiver, else on a receiver bind of the same system_id, else they
wait for one. Tests wait on ``wait_for(predicate)``; nothing sleeps.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from heliograph.wire.receipt import Receipt as ReceiptText
from heliograph.wire.receipt import format_receipt
from heliograph.wire.smpp import tlv
from heliograph.wire.smpp.constants import CommandStatus, EsmClass, MessageState
from heliograph.wire.smpp.events import (
    BindRequested,
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
    BindTransmitterResp,
    DeliverSm,
    Pdu,
    SubmitSm,
    SubmitSmResp,
    Unbind,
)
from heliograph.wire.smpp.pdus import GenericNack as GenericNackPdu
from heliograph.wire.smpp.session import Role, Session, SessionState

_STATE_OF_STAT = {
    "DELIVRD": MessageState.DELIVERED,
    "UNDELIV": MessageState.UNDELIVERABLE,
    "EXPIRED": MessageState.EXPIRED,
    "REJECTD": MessageState.REJECTED,
    "ENROUTE": MessageState.ENROUTE,
}


class Behaviour:
    """How the SMSC answers each submit_sm; the base class is ``Happy``."""

    def on_submit(self, smsc: FakeSmsc, link: SmscLink, pdu: SubmitSm) -> None:
        smsc.accept(link, pdu)


class Happy(Behaviour):
    pass


@dataclass
class Throttling(Behaviour):
    first: int = 1
    seen: int = 0

    def on_submit(self, smsc: FakeSmsc, link: SmscLink, pdu: SubmitSm) -> None:
        self.seen += 1
        if self.seen <= self.first:
            link.respond(pdu, SubmitSmResp(command_status=CommandStatus.ESME_RTHROTTLED))
        else:
            smsc.accept(link, pdu)


class NoResponse(Behaviour):
    def on_submit(self, smsc: FakeSmsc, link: SmscLink, pdu: SubmitSm) -> None:
        pass


@dataclass
class UnbindOnSubmit(Behaviour):
    """Answers ``answer`` submits, then on submit number ``after`` unbinds (or drops)."""

    after: int = 3
    answer: int = 1
    drop: bool = False
    seen: int = 0

    def on_submit(self, smsc: FakeSmsc, link: SmscLink, pdu: SubmitSm) -> None:
        self.seen += 1
        if self.seen <= self.answer:
            smsc.accept(link, pdu)
        if self.seen == self.after:
            if self.drop:
                link.drop()
            else:
                link.send(Unbind())


class LateReceipt(Behaviour):
    def on_submit(self, smsc: FakeSmsc, link: SmscLink, pdu: SubmitSm) -> None:
        smsc.accept(link, pdu, receipt_first=True)


@dataclass
class GenericNack(Behaviour):
    status: int = CommandStatus.ESME_RSYSERR

    def on_submit(self, smsc: FakeSmsc, link: SmscLink, pdu: SubmitSm) -> None:
        link.respond(pdu, GenericNackPdu(command_status=self.status))


@dataclass
class SmscLink(asyncio.Protocol):
    """One ESME connection to the fake SMSC."""

    smsc: FakeSmsc
    session: Session = field(init=False)
    transport: asyncio.Transport | None = None
    system_id: str = ""
    bind: Bind | None = None
    _out: bytearray = field(default_factory=bytearray)
    _flush_scheduled: bool = False

    def __post_init__(self) -> None:
        self.session = Session(
            Role.SMSC,
            window=self.smsc.window,
            response_timeout_s=self.smsc.response_timeout_s,
            enquire_link_interval_s=None,
        )

    @property
    def receives(self) -> bool:
        return self.session.state in (SessionState.BOUND_RX, SessionState.BOUND_TRX)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses; they have its methods
        self.transport = cast(asyncio.Transport, transport)
        self.smsc.links.append(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.session.receive_data(b"", 0.0)
        if self in self.smsc.links:
            self.smsc.links.remove(self)
        self.smsc.changed()

    def data_received(self, data: bytes) -> None:
        session = self.session
        session.receive_data(data, 0.0)
        while (event := session.next_event()) is not None:
            match event:
                case BindRequested(request=bind):
                    self._bind(bind)
                case RequestReceived(pdu=SubmitSm() as pdu):
                    self.smsc.submitted_count += 1
                    if self.smsc.keep:
                        self.smsc.submitted.append(pdu)
                    self.smsc.behaviour.on_submit(self.smsc, self, pdu)
                case RequestReceived(pdu=pdu):
                    self.smsc.other_requests.append(pdu)
                case ResponseReceived(request=DeliverSm()):
                    self.smsc.delivered_acked += 1
                case ProtocolFault(response=resp, sequence_number=seq) if resp and seq:
                    self.smsc.faults += 1
                    self._queue(session.send_response(seq, resp))
                case Unbound() | PeerClosed() | ResponseTimedOut():
                    self.drop()
                case _:
                    pass
        self._queue(session.data_to_send())
        self.smsc.changed()

    def _bind(self, bind: Bind) -> None:
        self.smsc.binds.append(bind)
        status = self.smsc.bind_status(bind)
        resp_cls = (
            BindTransceiverResp
            if isinstance(bind, BindTransceiver)
            else BindReceiverResp
            if isinstance(bind, BindReceiver)
            else BindTransmitterResp
        )
        self._queue(
            self.session.send_response(bind, resp_cls(system_id="fakesmsc", command_status=status))
        )
        if status == 0:
            self.system_id = bind.system_id
            self.bind = bind
            if self.receives:
                self.smsc.deliver_waiting(self)

    def respond(self, request: Pdu, response: Pdu) -> None:
        self._queue(self.session.send_response(request, response))

    def send(self, pdu: Pdu) -> None:
        self._queue(self.session.send(pdu, 0.0))

    def drop(self) -> None:
        if self.transport is not None:
            self._flush()
            self.transport.close()

    def _queue(self, data: bytes) -> None:
        if not data:
            return
        self._out += data
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        if self._out and self.transport is not None and not self.transport.is_closing():
            self.transport.write(bytes(self._out))
        self._out.clear()


class FakeSmsc:
    """See the module docstring. ``await start()``, then connect to ``port``."""

    def __init__(
        self,
        behaviour: Behaviour | None = None,
        *,
        system_id: str = "esme",
        password: str = "secret",
        receipts: bool = True,
        receipt_stat: str = "DELIVRD",
        receipt_style: str = "tlv",
        id_base: int = 16,
        window: int = 1000,
        response_timeout_s: float = 30.0,
        keep: bool = True,
    ) -> None:
        self.behaviour = behaviour or Happy()
        self.system_id = system_id
        self.password = password
        self.receipts = receipts
        self.receipt_stat = receipt_stat
        self.receipt_style = receipt_style
        self.id_base = id_base
        self.window = window
        self.response_timeout_s = response_timeout_s
        self.keep = keep
        self.links: list[SmscLink] = []
        self.binds: list[Bind] = []
        self.submitted: list[SubmitSm] = []
        self.submitted_count = 0
        self.accepted_ids: list[str] = []
        self.other_requests: list[Pdu] = []
        self.delivered_acked = 0
        self.receipts_sent = 0
        self.faults = 0
        self.waiting_receipts: list[DeliverSm] = []
        self.port = 0
        self._ids = itertools.count(0x1000)
        self._server: asyncio.Server | None = None
        self._waiters: list[tuple[Callable[[], bool], asyncio.Future[None]]] = []

    async def start(self, port: int = 0) -> int:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: SmscLink(self), "127.0.0.1", port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def aclose(self) -> None:
        for link in list(self.links):
            link.drop()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    # --- what tests wait on -----------------------------------------------------------

    def changed(self) -> None:
        for item in list(self._waiters):
            predicate, fut = item
            if not fut.done() and predicate():
                fut.set_result(None)
                self._waiters.remove(item)

    async def wait_for(self, predicate: Callable[[], bool], within_s: float = 5.0) -> None:
        if predicate():
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((predicate, fut))
        await asyncio.wait_for(fut, within_s)

    def bound_links(self) -> list[SmscLink]:
        return [link for link in self.links if link.bind is not None]

    # --- behaviour helpers ---------------------------------------------------------------

    def bind_status(self, bind: Bind) -> int:
        if bind.system_id != self.system_id:
            return CommandStatus.ESME_RINVSYSID
        if bind.password != self.password:
            return CommandStatus.ESME_RINVPASWD
        return CommandStatus.ESME_ROK

    def new_id(self) -> str:
        n = next(self._ids)
        return f"{n:X}" if self.id_base == 16 else str(n)

    def accept(self, link: SmscLink, pdu: SubmitSm, *, receipt_first: bool = False) -> str:
        message_id = self.new_id()
        if self.keep:
            self.accepted_ids.append(message_id)
        resp = SubmitSmResp(message_id=message_id)
        wants_receipt = self.receipts and pdu.registered_delivery & 0x03
        if receipt_first and wants_receipt:
            self.deliver(link, self.receipt(message_id, pdu))
        link.respond(pdu, resp)
        if wants_receipt and not receipt_first:
            self.deliver(link, self.receipt(message_id, pdu))
        return message_id

    def receipt(self, message_id: str, pdu: SubmitSm, stat: str | None = None) -> DeliverSm:
        stat = stat or self.receipt_stat
        text_id = message_id
        if self.receipt_style == "text_dec":
            text_id = str(int(message_id, self.id_base))
        now = datetime(2026, 1, 2, 3, 4)
        text = format_receipt(
            ReceiptText(
                id=text_id,
                stat=stat,
                sub=1,
                dlvrd=1 if stat == "DELIVRD" else 0,
                submit_date=now,
                done_date=now,
                err="000" if stat == "DELIVRD" else "001",
                text="",
            )
        )
        tlvs: tuple[tlv.Tlv, ...] = ()
        if self.receipt_style == "tlv":
            tlvs = (
                tlv.ReceiptedMessageId(value=message_id),
                tlv.MessageState(value=_STATE_OF_STAT.get(stat, MessageState.UNKNOWN)),
            )
        return DeliverSm(
            source_addr_ton=pdu.dest_addr_ton,
            source_addr_npi=pdu.dest_addr_npi,
            source_addr=pdu.destination_addr,
            dest_addr_ton=pdu.source_addr_ton,
            dest_addr_npi=pdu.source_addr_npi,
            destination_addr=pdu.source_addr,
            esm_class=EsmClass.SMSC_DELIVERY_RECEIPT,
            short_message=text.encode("latin-1"),
            tlvs=tlvs,
        )

    def deliver(self, via: SmscLink | None, pdu: DeliverSm) -> bool:
        """Send ``pdu`` on ``via`` if it receives, else on any receiver bind, else keep it."""
        target = via if via is not None and via.receives else None
        if target is None:
            target = next((link for link in self.links if link.receives), None)
        if target is None or target.session.window_available < 1:
            self.waiting_receipts.append(pdu)
            return False
        target.send(pdu)
        self.receipts_sent += 1
        return True

    def deliver_waiting(self, link: SmscLink) -> None:
        waiting, self.waiting_receipts = self.waiting_receipts, []
        for pdu in waiting:
            self.deliver(link, pdu)

    def send_mo(self, pdu: DeliverSm) -> bool:
        return self.deliver(None, pdu)
