"""A minimal ESME test client built on ``wire.smpp.Session``, over a real socket.

``await Esme.connect(port)`` then ``bind()``, ``request(pdu)`` (one request,
its response), ``request_many(pdus)`` (windowed: every request written before
the first response is awaited), ``send_raw(bytes)`` for junk. deliver_sm
from the gateway land in ``delivered`` and are answered with
``deliver_sm_status`` (0 by default). ``closed`` resolves when the gateway
closes the connection. Every wait has a timeout.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

from heliograph.wire.smpp.events import (
    BindFailed,
    Bound,
    PeerClosed,
    ProtocolFault,
    RequestReceived,
    ResponseReceived,
    ResponseTimedOut,
    Unbound,
)
from heliograph.wire.smpp.pdus import (
    Bind,
    BindTransceiver,
    DeliverSm,
    DeliverSmResp,
    Pdu,
    Unbind,
    UnbindResp,
)
from heliograph.wire.smpp.session import Role, Session

WAIT_S = 5.0
_SEQ = struct.Struct(">I")


@dataclass
class Esme(asyncio.Protocol):
    window: int = 1000
    session: Session = field(init=False)
    transport: asyncio.Transport | None = None
    delivered: asyncio.Queue[DeliverSm] = field(default_factory=asyncio.Queue)
    deliver_sm_status: int = 0
    answer_deliver_sm: bool = True
    faults: list[ProtocolFault] = field(default_factory=list)
    closed: asyncio.Future[None] = field(init=False)
    raw: bytearray = field(default_factory=bytearray)
    _waiters: dict[int, asyncio.Future[Pdu]] = field(default_factory=dict)
    _unbind_seq: int = 0

    def __post_init__(self) -> None:
        self.session = Session(Role.ESME, window=self.window, enquire_link_interval_s=None)
        self.closed = asyncio.get_running_loop().create_future()

    @classmethod
    async def connect(cls, port: int, **kw: object) -> Esme:
        loop = asyncio.get_running_loop()
        _, esme = await asyncio.wait_for(
            loop.create_connection(lambda: cls(**kw), "127.0.0.1", port),  # type: ignore[arg-type]
            WAIT_S,
        )
        return esme

    # --- protocol ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses; they have its methods
        self.transport = cast(asyncio.Transport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self.session.receive_data(b"", 0.0)
        self._events()
        for fut in self._waiters.values():
            if not fut.done():
                fut.set_exception(ConnectionError("connection closed"))
        if not self.closed.done():
            self.closed.set_result(None)

    def data_received(self, data: bytes) -> None:
        self.raw += data
        self.session.receive_data(data, 0.0)
        self._events()

    def _events(self) -> None:
        session = self.session
        while (event := session.next_event()) is not None:
            match event:
                case (
                    ResponseReceived(pdu=resp, request=request)
                    | Bound(response=resp, request=request)
                    | BindFailed(response=resp, request=request)
                ):
                    fut = self._waiters.pop(request.sequence_number, None)
                    if fut is not None and not fut.done():
                        fut.set_result(resp)
                case Unbound(initiated_by_peer=False):
                    for seq, fut in list(self._waiters.items()):
                        if self._unbind_seq == seq and not fut.done():
                            fut.set_result(UnbindResp(sequence_number=seq))
                case RequestReceived(pdu=DeliverSm() as pdu):
                    self.delivered.put_nowait(pdu)
                    if self.answer_deliver_sm:
                        self._write(
                            session.send_response(
                                pdu, DeliverSmResp(command_status=self.deliver_sm_status)
                            )
                        )
                case ProtocolFault() as fault:
                    self.faults.append(fault)
                    if fault.request is not None:
                        fut = self._waiters.pop(fault.request.sequence_number, None)
                        if fut is not None and fault.pdu is not None and not fut.done():
                            fut.set_result(fault.pdu)
                case ResponseTimedOut() | Unbound() | PeerClosed():
                    pass
                case _:
                    pass
        self._write(session.data_to_send())

    def _write(self, data: bytes) -> None:
        if data and self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    # --- API ------------------------------------------------------------------------------

    def send(self, pdu: Pdu) -> asyncio.Future[Pdu]:
        self._write(self.session.data_to_send())
        frame = self.session.send(pdu, 0.0)
        fut: asyncio.Future[Pdu] = asyncio.get_running_loop().create_future()
        seq = _SEQ.unpack_from(frame, 12)[0]
        self._waiters[seq] = fut
        if isinstance(pdu, Unbind):
            self._unbind_seq = seq
        self._write(frame)
        return fut

    async def request(self, pdu: Pdu, within_s: float = WAIT_S) -> Pdu:
        return await asyncio.wait_for(self.send(pdu), within_s)

    async def request_many(self, pdus: Sequence[Pdu], within_s: float = WAIT_S) -> list[Pdu]:
        futures = [self.send(pdu) for pdu in pdus]
        return list(await asyncio.wait_for(asyncio.gather(*futures), within_s))

    async def bind(
        self,
        system_id: str,
        password: str,
        *,
        kind: type[Bind] = BindTransceiver,
        system_type: str = "",
    ) -> Pdu:
        return await self.request(
            kind(system_id=system_id, password=password, system_type=system_type)
        )

    async def next_deliver_sm(self, within_s: float = WAIT_S) -> DeliverSm:
        return await asyncio.wait_for(self.delivered.get(), within_s)

    async def unbind(self) -> Pdu:
        return await self.request(Unbind())

    def send_raw(self, data: bytes) -> None:
        assert self.transport is not None
        self.transport.write(data)

    async def wait_closed(self, within_s: float = WAIT_S) -> None:
        await asyncio.wait_for(asyncio.shield(self.closed), within_s)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
