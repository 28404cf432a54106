"""The SMPP 3.4 server for client applications (ESMEs), on top of ``wire.smpp.Session``.

Theory of operation
-------------------
Each TCP connection is a ``_Client`` protocol driving one sans-IO Session in
the SMSC role: bytes in through ``data_received``, events out, bytes back
(coalesced into one write per turn of the event loop), and one ``call_at``
timer for the session's deadlines (our deliver_sm response timeouts,
enquire_link, the inactivity timer). Nothing here decides policy:

* a bind is checked by ``AccountService.by_secret(SMPP, system_id, password)``;
  ``max_bind_failures`` failures from one address for one system_id lock it
  out for ``lockout_s``; an account holds at most ``max_binds_per_account``
  binds; ``system_types`` optionally restricts system_type, and ``ISO``
  makes data_coding 0 mean Latin-1 for that bind;
* submit_sm, data_sm and submit_multi go through the one submit path, with
  every policy the HTTP edge has: the submits that arrive in one read become
  one ``SubmitService.submit_many`` call (each planned, guarded and priced on
  its own, all committed in one store write) run as a task, and each is
  answered when that commit is done. Reads go on meanwhile, so a client's
  whole window is in progress at once; past ``window`` requests in progress
  the connection stops reading until answers go out;
* query_sm and cancel_sm are answered from the store (``MessageService``);
  replace_sm is answered ESME_RREPLACEFAIL: replacing is not supported;
* a malformed PDU gets its generic_nack or ``*_resp`` with the status the
  codec names; ``max_junk_pdus`` of them in a row, or a lost framing, close
  the connection. One bad connection never affects another.

Receipts and MO go the other way through the callback outbox: ``deliver``
is the outbox target of the ``"smpp"`` format. It sends the event as a
deliver_sm on one of the account's receiver binds and reports the
deliver_sm_resp; with no receiver bind the event stays in the outbox, and a
new receiver bind makes the account's held events due at once (``on_bound``).
"""

from __future__ import annotations

import asyncio
import logging
import struct
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, cast

import msgspec

from heliograph.domain.accounts import Account, CredentialKind
from heliograph.domain.ids import AccountId, MessageId
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.domain.submission import RecipientPlan, SubmitRequest
from heliograph.servers.smpp import translate as tr
from heliograph.servers.smpp.statuses import SMPP_STATUS
from heliograph.services.accounts import AccountService
from heliograph.services.messages import MessageService
from heliograph.services.ports import BindState, Clock
from heliograph.services.submit import SubmitResult, SubmitService
from heliograph.store.base import CallbackJob, IdempotentAnswer
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
    DataSmResp,
    DeliverSm,
    Pdu,
    QuerySm,
    QuerySmResp,
    ReplaceSm,
    ReplaceSmResp,
    SubmitMulti,
    SubmitMultiResp,
    SubmitSm,
    SubmitSmResp,
    Unbind,
    UnsuccessSme,
)
from heliograph.wire.smpp.session import Role, Session, SessionState

__all__ = ["SmppServer", "SmppServerSettings", "SmppServices"]

S = CommandStatus
_SEQ = struct.Struct(">I")
_decode_json = msgspec.json.Decoder().decode
_RX = (SessionState.BOUND_RX, SessionState.BOUND_TRX)
_MODES = {BindTransceiver: "transceiver", BindReceiver: "receiver"}


@dataclass(frozen=True, slots=True, kw_only=True)
class SmppServerSettings:
    host: str = "127.0.0.1"
    port: int = 2775
    system_id: str = "heliograph"
    max_connections: int = 1000
    max_binds_per_account: int = 10
    window: int = 100
    max_bind_failures: int = 5
    lockout_s: float = 300.0
    response_timeout_s: float = 30.0
    enquire_link_interval_s: float = 60.0
    inactivity_timeout_s: float = 300.0
    max_junk_pdus: int = 10
    system_types: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class SmppServices:
    accounts: AccountService
    submit: SubmitService
    messages: MessageService
    # A receiver bind came up: make the account's held outbox events due now.
    on_bound: Callable[[AccountId], Coroutine[Any, Any, None]] | None = None


class _Client(asyncio.Protocol):
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
        self._out = bytearray()
        self._flush_scheduled = False
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

    def respond(self, request: Pdu | int, response: Pdu) -> None:
        if self.session.state is SessionState.CLOSED:
            return
        try:
            self._queue(self.session.send_response(request, response))
        except (LocalProtocolError, EncodeError) as exc:
            self.log.warning("%s: cannot answer: %s", self.name, exc)

    def close(self) -> None:
        """Write what is pending (an unbind_resp, a generic_nack), then close."""
        if self.transport is not None and not self.transport.is_closing():
            self._out += self.session.data_to_send()
            self._flush()
            self.transport.close()

    def unbind(self) -> None:
        if self.session.state in (SessionState.BOUND_TX, *_RX):
            self._queue(self.session.send(Unbind(), self.loop.time()))
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
        self._queue(session.data_to_send())
        self._arm_timer()

    def _fault(self, fault: ProtocolFault) -> None:
        self.junk += 1
        self.log.info("%s: %s", self.name, fault.description)
        if fault.response is not None and fault.sequence_number is not None:
            self.respond(fault.sequence_number, fault.response)
        if fault.fatal or self.junk >= self.server.settings.max_junk_pdus:
            self.log.warning("%s: closing after malformed PDUs", self.name)
            self._queue(self.session.data_to_send())
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
                self.respond(pdu, ReplaceSmResp(command_status=S.ESME_RREPLACEFAIL))
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
            # §4.9.1: cancelling by service_type and addresses is not supported.
            self.respond(pdu, CancelSmResp(command_status=S.ESME_RCANCELFAIL))
            return
        try:
            await self.server.services.messages.cancel(account.id, MessageId(pdu.message_id))
        except Rejected as exc:
            self.respond(pdu, CancelSmResp(command_status=SMPP_STATUS[exc.reason]))
            return
        self.respond(pdu, CancelSmResp())

    # --- deliver_sm to the client ------------------------------------------------------------

    def deliver(self, pdu: DeliverSm) -> asyncio.Future[str | None]:
        """Send ``pdu``; the future says None on deliver_sm_resp 0, else why not."""
        self._queue(self.session.data_to_send())
        frame = self.session.send(pdu, self.loop.time())
        fut: asyncio.Future[str | None] = self.loop.create_future()
        self.waiters[_SEQ.unpack_from(frame, 12)[0]] = fut
        self._queue(frame)
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
_RESP_OF: dict[type[Bind], type[BindResp]] = {
    BindTransceiver: BindTransceiverResp,
    BindReceiver: BindReceiverResp,
}


def _error(pdu: Pdu, status: int) -> Pdu:
    return error_response(pdu.command_id, pdu.sequence_number, status)


@dataclass(slots=True)
class _Failures:
    count: int = 0
    locked_until: float = 0.0


@dataclass(slots=True)
class _Registry:
    by_account: dict[AccountId, list[_Client]] = field(default_factory=dict)

    def add(self, client: _Client) -> None:
        assert client.account is not None
        self.by_account.setdefault(client.account.id, []).append(client)

    def remove(self, client: _Client) -> None:
        if client.account is None:
            return
        clients = self.by_account.get(client.account.id, [])
        if client in clients:
            clients.remove(client)
        if not clients:
            self.by_account.pop(client.account.id, None)

    def count(self, account_id: AccountId) -> int:
        return len(self.by_account.get(account_id, ()))

    def receivers(self, account_id: AccountId) -> list[_Client]:
        return [c for c in self.by_account.get(account_id, ()) if c.receives]


class SmppServer:
    """Listens for ESMEs; see the module docstring."""

    def __init__(self, settings: SmppServerSettings, services: SmppServices, clock: Clock) -> None:
        self.settings = settings
        self.services = services
        self.clock = clock
        self.clients: set[_Client] = set()
        self.registry = _Registry()
        self.failures: dict[tuple[str, str], _Failures] = {}
        self.log = logging.getLogger("heliograph.smpp")
        self.port: int | None = None
        self._server: asyncio.Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._room: asyncio.Event | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        assert self._loop is not None, "server not started"
        return self._loop

    @property
    def room(self) -> asyncio.Event:
        assert self._room is not None, "server not started"
        return self._room

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._room = asyncio.Event()
        self._server = await self._loop.create_server(
            self._accept, self.settings.host, self.settings.port, backlog=512
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self.log.info("SMPP server listening on %s:%d", self.settings.host, self.port)

    def _accept(self) -> asyncio.Protocol:
        client = _Client(self)
        if len(self.clients) >= self.settings.max_connections:
            self.log.warning("connection refused: %d connections open", len(self.clients))
            self.loop.call_soon(client.close)
        return client

    async def aclose(self, timeout_s: float = 5.0) -> None:
        """Stop accepting, let submits in progress answer, unbind every client, close."""
        if self._server is not None:
            self._server.close()
        clients = list(self.clients)
        tasks = [t for c in clients for t in c.tasks]
        if tasks:
            await asyncio.wait(tasks, timeout=timeout_s)
        for client in clients:
            client.unbind()
        if clients:
            await asyncio.wait([c.closed for c in clients], timeout=timeout_s)
        for client in clients:
            client.close()
        if self._server is not None:
            try:
                await asyncio.wait_for(self._server.wait_closed(), timeout_s)
            except TimeoutError:
                self.log.warning("SMPP server: connections still open at shutdown")

    # --- binds ------------------------------------------------------------------------------

    async def authenticate(self, client: _Client, bind: Bind) -> int:
        """0 and the client knows its account, or the command_status refusing the bind."""
        s = self.settings
        key = (client.peer.rsplit(":", 1)[0], bind.system_id)
        now = time.monotonic()
        failures = self.failures.get(key)
        if failures is not None and failures.locked_until > now:
            self.log.warning("%s: bind refused, locked out after failed binds", client.name)
            return S.ESME_RBINDFAIL
        if s.system_types and bind.system_type not in s.system_types:
            return S.ESME_RINVSYSTYP
        try:
            account = await self.services.accounts.by_secret(
                CredentialKind.SMPP, bind.system_id, bind.password
            )
        except Rejected as exc:
            entry = self.failures.setdefault(key, _Failures())
            entry.count += 1
            if entry.count >= s.max_bind_failures:
                entry.count, entry.locked_until = 0, now + s.lockout_s
            self.log.warning("%s: bind refused: %s", client.name, exc.detail)
            return SMPP_STATUS[exc.reason]
        self.failures.pop(key, None)
        if self.registry.count(account.id) >= s.max_binds_per_account:
            self.log.warning(
                "%s: bind refused, account has %d binds", client.name, s.max_binds_per_account
            )
            return S.ESME_RBINDFAIL
        if client.transport is None or client.transport.is_closing():
            return S.ESME_RBINDFAIL
        client.account = account
        client.system_id = bind.system_id
        client.iso = bind.system_type.upper() == "ISO"
        client.mode = _MODES.get(type(bind), "transmitter")
        client.since = self.clock.now()
        self.registry.add(client)
        return 0

    def bound(self, client: _Client) -> None:
        self.log.info("%s bound as %s", client.name, client.mode)
        if client.receives and client.account is not None and self.services.on_bound is not None:
            task = self.loop.create_task(self.services.on_bound(client.account.id))
            client.tasks.add(task)
            task.add_done_callback(client.tasks.discard)
        self.room.set()

    def forget(self, client: _Client) -> None:
        self.clients.discard(client)
        self.registry.remove(client)
        self.room.set()

    # --- submit -----------------------------------------------------------------------------

    async def submit(
        self, client: _Client, pdus: list[SubmitSm | DataSm | SubmitMulti]
    ) -> list[Pdu]:
        """Answers to ``pdus``, all accepted messages committed in one store write."""
        account = client.account
        assert account is not None
        now = self.clock.now()
        answers: list[Pdu | None] = [None] * len(pdus)
        refused: list[list[UnsuccessSme]] = [[] for _ in pdus]
        reqs: list[SubmitRequest] = []
        index: list[int] = []
        for i, pdu in enumerate(pdus):
            to: tuple[str, ...] | None = None
            try:
                if isinstance(pdu, SubmitMulti):
                    ok, bad = tr.destinations(pdu)
                    refused[i] = [_unsuccess(item, status) for item, status in bad]
                    to = tuple(ok)
                    if not to:
                        raise tr.SmppRefusal(S.ESME_RINVDLNAME, "no destination to take")
                reqs.append(tr.submit_request(pdu, account.id, iso=client.iso, now=now, to=to))
                index.append(i)
            except tr.SmppRefusal as exc:
                self.log.info("%s: %s refused: %s", client.name, type(pdu).__name__, exc.detail)
                answers[i] = _submit_resp(pdu, exc.status, "", refused[i])
        try:
            results = await self.services.submit.submit_many(reqs, account, _render)
        except Exception:
            self.log.exception("%s: %d submits failed", client.name, len(reqs))
            results = [Rejected(RejectReason.UNAVAILABLE, "store write failed")] * len(reqs)
        for i, result in zip(index, results, strict=True):
            answers[i] = self._answer(client, pdus[i], result, refused[i])
        return [a for a in answers if a is not None]

    def _answer(
        self,
        client: _Client,
        pdu: SubmitSm | DataSm | SubmitMulti,
        result: SubmitResult | Rejected,
        refused: list[UnsuccessSme],
    ) -> Pdu:
        if isinstance(result, Rejected):
            self.log.info("%s: %s refused: %s", client.name, type(pdu).__name__, result)
            return _submit_resp(pdu, SMPP_STATUS[result.reason], "", refused)
        message_id = ""
        status = 0
        for plan in result.plans:
            if plan.message is not None:
                message_id = message_id or plan.message.id
            elif plan.error is not None:
                status = status or SMPP_STATUS[plan.error.reason]
                refused.append(_unsuccess_to(plan, SMPP_STATUS[plan.error.reason]))
        if not message_id:
            return _submit_resp(pdu, status or S.ESME_RSUBMITFAIL, "", refused)
        return _submit_resp(pdu, 0, message_id, refused)

    # --- the outbox target ------------------------------------------------------------------

    async def deliver(self, job: CallbackJob) -> str | None:
        """Deliver one outbox event to the account's receiver binds (see the module docstring)."""
        rd = tr.registered_delivery_of(job.url)
        try:
            event: dict[str, Any] = _decode_json(job.body)
        except msgspec.DecodeError:
            return None  # not ours to understand; dropping it is all that can be done
        account_id = job.account_id
        client = self._receiver(account_id)
        if client is None:
            return "held: no receiver bind for the account"
        try:
            pdu = tr.deliver_sm_for_event(event, rd or 0, iso=client.iso)
        except (KeyError, ValueError, EncodeError) as exc:
            self.log.warning("outbox event for message %s unusable: %s", job.message_id, exc)
            return None
        if pdu is None:
            return None
        deadline = self.loop.time() + self.settings.response_timeout_s
        while client is None or client.session.window_available < 1:
            self.room.clear()
            remaining = deadline - self.loop.time()
            if remaining <= 0:
                return "receiver binds busy"
            try:
                await asyncio.wait_for(self.room.wait(), remaining)
            except TimeoutError:
                return "receiver binds busy"
            client = self._receiver(account_id)
            if client is None:
                return "held: no receiver bind for the account"
        try:
            return await client.deliver(pdu)
        except (LocalProtocolError, EncodeError) as exc:
            return f"deliver_sm not sent: {exc}"

    def _receiver(self, account_id: AccountId) -> _Client | None:
        clients = self.registry.receivers(account_id)
        if not clients:
            return None
        return max(clients, key=lambda c: c.session.window_available)

    # --- operators -------------------------------------------------------------------------

    def bind_states(self) -> list[BindState]:
        return [state for _, state in self.client_binds()]

    def client_binds(self) -> list[tuple[str, BindState]]:
        """(account name, bind) for every client connection."""
        out = []
        for client in sorted(self.clients, key=lambda c: c.name):
            session = client.session
            state = session.state.name.lower()
            account = client.account.name if client.account is not None else "-"
            out.append(
                (
                    account,
                    BindState(
                        name=client.system_id or "-",
                        mode=client.mode,
                        state=state,
                        peer=client.peer,
                        window=session.window,
                        window_in_use=session.window
                        - session.window_available
                        + client.in_progress,
                        since=client.since,
                        requests_sent=client.sent,
                        requests_received=client.received,
                    ),
                )
            )
        return out


def _render(plans: list[RecipientPlan]) -> IdempotentAnswer:
    ids = [p.message.id for p in plans if p.message is not None]
    return IdempotentAnswer(status=0, body=",".join(ids).encode())


def _unsuccess(item: Any, status: int) -> UnsuccessSme:
    if hasattr(item, "destination_addr"):
        return UnsuccessSme(
            dest_addr_ton=item.dest_addr_ton,
            dest_addr_npi=item.dest_addr_npi,
            destination_addr=item.destination_addr,
            error_status_code=status,
        )
    return UnsuccessSme(destination_addr=item.dl_name[:20], error_status_code=status)


def _unsuccess_to(plan: RecipientPlan, status: int) -> UnsuccessSme:
    digits = plan.to.removeprefix("+")
    ton = 1 if plan.to.startswith("+") else 0
    return UnsuccessSme(
        dest_addr_ton=ton, dest_addr_npi=1, destination_addr=digits[:20], error_status_code=status
    )


def _submit_resp(
    pdu: SubmitSm | DataSm | SubmitMulti, status: int, message_id: str, refused: list[UnsuccessSme]
) -> Pdu:
    if isinstance(pdu, SubmitMulti):
        return SubmitMultiResp(
            command_status=status, message_id=message_id, unsuccess_sme=tuple(refused)
        )
    if isinstance(pdu, DataSm):
        return DataSmResp(command_status=status, message_id=message_id)
    return SubmitSmResp(command_status=status, message_id=message_id)
