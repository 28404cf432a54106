"""The SMPP 3.4 server for client applications (ESMEs), on top of ``wire.smpp.Session``.

Theory of operation
-------------------
Each TCP connection is a ``Client`` (``client.py``) driving one sans-IO Session in
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
* query_sm and cancel_sm with a message_id are answered from the store
  (``MessageService``); replace_sm and cancel_sm by source and destination
  address go through ``EditService`` (re-planned as a submit, swapped in by
  one store transaction);
* a malformed PDU gets its generic_nack or ``*_resp`` with the status the
  codec names; ``max_junk_pdus`` of them in a row, or a lost framing, close
  the connection. One bad connection never affects another.

Receipts and MO go the other way through the callback outbox: ``deliver``
is the outbox target of the ``"smpp"`` format. It sends the event as a
deliver_sm on one of the account's receiver binds and reports the
deliver_sm_resp; with no receiver bind the event stays in the outbox, and a
new receiver bind makes the account's held events due at once (``on_bound``;
``on_unbound`` says that one of its binds closed, so that a cluster routes its
events to another node once none is left here).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import msgspec

from heliograph.domain.accounts import CredentialKind
from heliograph.domain.ids import AccountId
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.domain.submission import RecipientPlan, SubmitRequest
from heliograph.servers.smpp import translate as tr
from heliograph.servers.smpp.client import MODES, Client
from heliograph.servers.smpp.statuses import SMPP_STATUS
from heliograph.services.accounts import AccountService
from heliograph.services.edits import EditService
from heliograph.services.messages import MessageService
from heliograph.services.ports import BindState, Clock
from heliograph.services.submit import SubmitResult, SubmitService
from heliograph.store.base import CallbackJob, IdempotentAnswer
from heliograph.wire.errors import EncodeError, LocalProtocolError
from heliograph.wire.smpp.constants import CommandStatus
from heliograph.wire.smpp.pdus import (
    Bind,
    DataSm,
    DataSmResp,
    Pdu,
    SubmitMulti,
    SubmitMultiResp,
    SubmitSm,
    SubmitSmResp,
    UnsuccessSme,
)

__all__ = ["SmppServer", "SmppServerSettings", "SmppServices"]

S = CommandStatus
_decode_json = msgspec.json.Decoder().decode


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
    edits: EditService | None = None  # replace_sm, cancel_sm by address
    # A receiver bind came up: make the account's held outbox events due now.
    on_bound: Callable[[AccountId], Coroutine[Any, Any, None]] | None = None
    # A bind of the account closed (whether a receiver bind of it is left, ask the registry).
    on_unbound: Callable[[AccountId], Coroutine[Any, Any, None]] | None = None


@dataclass(slots=True)
class _Failures:
    count: int = 0
    locked_until: float = 0.0


@dataclass(slots=True)
class _Registry:
    by_account: dict[AccountId, list[Client]] = field(default_factory=dict)

    def add(self, client: Client) -> None:
        assert client.account is not None
        self.by_account.setdefault(client.account.id, []).append(client)

    def remove(self, client: Client) -> None:
        if client.account is None:
            return
        clients = self.by_account.get(client.account.id, [])
        if client in clients:
            clients.remove(client)
        if not clients:
            self.by_account.pop(client.account.id, None)

    def count(self, account_id: AccountId) -> int:
        return len(self.by_account.get(account_id, ()))

    def receivers(self, account_id: AccountId) -> list[Client]:
        return [c for c in self.by_account.get(account_id, ()) if c.receives]


class SmppServer:
    """Listens for ESMEs; see the module docstring."""

    def __init__(self, settings: SmppServerSettings, services: SmppServices, clock: Clock) -> None:
        self.settings = settings
        self.services = services
        self.clock = clock
        self.clients: set[Client] = set()
        self.registry = _Registry()
        self.failures: dict[tuple[str, str], _Failures] = {}
        self.log = logging.getLogger("heliograph.smpp")
        self.port: int | None = None
        self._server: asyncio.Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._room: asyncio.Event | None = None
        self._hooks: set[asyncio.Task[None]] = set()

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
        client = Client(self)
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

    async def authenticate(self, client: Client, bind: Bind) -> int:
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
                CredentialKind.SMPP, bind.system_id, bind.password, peer=key[0]
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
        client.mode = MODES.get(type(bind), "transmitter")
        client.since = self.clock.now()
        self.registry.add(client)
        return 0

    def bound(self, client: Client) -> None:
        self.log.info("%s bound as %s", client.name, client.mode)
        if client.receives and client.account is not None and self.services.on_bound is not None:
            task = self.loop.create_task(self.services.on_bound(client.account.id))
            client.tasks.add(task)
            task.add_done_callback(client.tasks.discard)
        self.room.set()

    def forget(self, client: Client) -> None:
        self.clients.discard(client)
        self.registry.remove(client)
        account, hook = client.account, self.services.on_unbound
        serving = self._server is not None and self._server.is_serving()
        if account is not None and hook is not None and serving:
            task = self.loop.create_task(hook(account.id))
            self._hooks.add(task)
            task.add_done_callback(self._hooks.discard)
        self.room.set()

    # --- submit -----------------------------------------------------------------------------

    async def submit(
        self, client: Client, pdus: list[SubmitSm | DataSm | SubmitMulti]
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
        client: Client,
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
                async with asyncio.timeout(remaining):  # not wait_for: see services/worker.py
                    await self.room.wait()
            except TimeoutError:
                return "receiver binds busy"
            client = self._receiver(account_id)
            if client is None:
                return "held: no receiver bind for the account"
        try:
            return await client.deliver(pdu)
        except (LocalProtocolError, EncodeError) as exc:
            return f"deliver_sm not sent: {exc}"

    def _receiver(self, account_id: AccountId) -> Client | None:
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
