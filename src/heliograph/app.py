"""Composition root: build the gateway from a Config and run it.

Every component runs as a task of one TaskGroup under a supervisor: a worker
that fails is logged with its name and restarted after a pause, so one bad
batch does not take the gateway down; ``CancelledError`` always propagates.

Start-up order: open the store (migrations), queue again any part left in
flight by a crash (at-least-once, counted), create the admin account on first
start, start connectors, start the workers, and only then accept HTTP traffic.

Shutdown order (SIGTERM/SIGINT, see ``cli.py``): stop accepting, stop claiming
new work, wait for result writes in flight, apply receipts already received,
give callbacks a moment to flush, close connectors, close the store.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from functools import partial
from pathlib import Path

from aiohttp import web

from heliograph.callbacks import HttpCallbackSender
from heliograph.config import Config, ConfigError, ConnectorConfig, SmtpConfig
from heliograph.connectors.loopback import LoopbackConnector, LoopbackSettings
from heliograph.connectors.smpp import BindMode, IdFormat, SmppConnector, SmppSettings
from heliograph.connectors.smpp import SubmitDefaults as SmppSubmitDefaults
from heliograph.domain.ids import AccountId, ConnectorId
from heliograph.domain.messages import MessageState, MoMessage
from heliograph.domain.pricing import PriceList, to_micros
from heliograph.domain.protection import ProtectionRules
from heliograph.domain.quiet import QuietHours
from heliograph.domain.rejections import Rejected
from heliograph.domain.retry import Backoff
from heliograph.domain.routing import Route, Strategy
from heliograph.domain.submission import SubmitLimits
from heliograph.domain.tlvs import TlvDefinition
from heliograph.servers.http import cluster as cluster_routes
from heliograph.servers.http import connectors as connectors_routes
from heliograph.servers.http import content as content_routes
from heliograph.servers.http import dialects
from heliograph.servers.http import rest as rest_routes
from heliograph.servers.http.app import build_app, dialect_paths, restrict
from heliograph.servers.http.connectors import ClientBind, ConnectorReport
from heliograph.servers.http.connectors import Report as ConnectorsReport
from heliograph.servers.http.context import HttpServices
from heliograph.servers.http.fastlane import FastSite
from heliograph.servers.http.optouts import InboundHttp
from heliograph.servers.smpp import SmppServer, SmppServerSettings, SmppServices
from heliograph.servers.smtp import (
    RECEIPTS_FORMAT,
    MailDeliverer,
    Policy,
    Relay,
    SmtpServer,
    SmtpServices,
    SmtpSettings,
    is_loopback,
)
from heliograph.services.accounts import AccountService, NewAccount
from heliograph.services.books import BookService
from heliograph.services.callbacks import CallbackService, ReceiverRegistry, SubmitReplies
from heliograph.services.content import MmsService
from heliograph.services.dispatch import TEST_CONNECTOR, Dispatcher
from heliograph.services.edits import EditService
from heliograph.services.guards import Guards, GuardSettings
from heliograph.services.inbound import InboundService, InboundSettings, ModesCache, OptOutService
from heliograph.services.leases import cluster_service
from heliograph.services.library import LibraryService
from heliograph.services.messages import MessageService
from heliograph.services.metrics import Metrics
from heliograph.services.ports import CallbackSender, Clock, Connector, SystemClock
from heliograph.services.receipts import ReceiptService
from heliograph.services.scheduler import Scheduler
from heliograph.services.subaccounts import SubAccountService
from heliograph.services.submit import SubmitService
from heliograph.store.base import Changes, Store, StoreError
from heliograph.store.edits import message_edits
from heliograph.store.sqlite import SqliteStore
from heliograph.store.sqlite_admin import account_admin
from heliograph.store.sqlite_books import address_books
from heliograph.store.sqlite_library import content_library

log = logging.getLogger("heliograph.app")

ADMIN_CREDENTIALS_FILE = "admin-credentials.json"


def open_store(cfg: Config) -> Store:
    """The store named by ``store.url``. Raises: ConfigError for an unsupported one."""
    url = cfg.store_url
    if url == "memory://":
        return SqliteStore(":memory:")
    if url.startswith("sqlite://"):
        path = url.removeprefix("sqlite://").removeprefix("/")
        if url.startswith("sqlite:////"):
            path = "/" + path.lstrip("/")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return SqliteStore(path, synchronous=cfg.store.synchronous.upper())
    if url.startswith("postgresql://"):
        from heliograph.store.postgres import PostgresStore

        try:
            return PostgresStore.from_url(url, http_port=cfg.http.port)
        except ValueError as exc:
            raise ConfigError("store.url", str(exc)) from None
    raise ConfigError("store.url", f"{url.split(':', 1)[0]} is not supported in this version")


def _connector(cfg: Config, index: int, clock: Clock) -> Connector:
    c = cfg.connectors[index]
    if c.type == "smpp":
        return _smpp_connector(c, clock)
    settings = LoopbackSettings(
        receipt_delay_s=c.receipt_delay_s,
        delivery_ratio=c.delivery_ratio,
        failure_state=MessageState(c.failure_state),
        failure_error=c.failure_error,
        temporary_failure_ratio=c.temporary_failure_ratio,
        permanent_failure_ratio=c.permanent_failure_ratio,
    )
    return LoopbackConnector(ConnectorId(c.name), settings, clock)


def mt_routes(cfg: Config) -> list[Route]:
    """The configured ``[[routes]]``; without any, one route per connector: its
    prefixes, then its failovers."""
    costs = {
        ConnectorId(c.name): PriceList.of((p, to_micros(Decimal(str(v)))) for p, v in c.costs)
        for c in cfg.connectors
        if c.costs
    }
    if cfg.routes:
        return [
            Route(
                name=r.name,
                connectors=tuple(ConnectorId(n) for n in r.connectors),
                strategy=Strategy(r.strategy),
                prefixes=r.prefixes,
                pattern=re.compile(r.pattern) if r.pattern else None,
                accounts=frozenset(r.accounts),
                senders=frozenset(r.senders),
                kinds=frozenset(r.kinds),
                costs=costs,
            )
            for r in cfg.routes
        ]
    return [
        Route(
            connectors=tuple(ConnectorId(n) for n in (c.name, *c.failover)),
            prefixes=c.prefixes,
        )
        for c in cfg.connectors
    ]


def _smpp_connector(c: ConnectorConfig, clock: Clock) -> SmppConnector:
    settings = SmppSettings(
        host=c.host,
        port=c.port,
        system_id=c.system_id,
        password=os.environ.get(c.password_env, "") if c.password_env else "",
        system_type=c.system_type,
        bind_mode=BindMode(c.bind_mode),
        binds=c.binds,
        receiver_binds=c.receiver_binds,
        window=c.window,
        throughput_per_s=c.throughput_per_s,
        enquire_link_interval_s=c.enquire_link_interval_s,
        mo_reassembly_timeout_s=c.mo_reassembly_timeout_s,
        response_timeout_s=c.response_timeout_s,
        reconnect_backoff_base_s=c.reconnect_backoff_base_s,
        reconnect_backoff_max_s=c.reconnect_backoff_max_s,
        tls=c.tls,
        tls_verify=c.tls_verify,
        id_format=IdFormat(c.message_id_type),
        submit=SmppSubmitDefaults(
            system_sender=c.system_sender,
            source_addr_ton=None if c.source_addr_ton < 0 else c.source_addr_ton,
            source_addr_npi=None if c.source_addr_npi < 0 else c.source_addr_npi,
            dest_addr_ton=c.dest_addr_ton,
            dest_addr_npi=c.dest_addr_npi,
            data_coding_gsm7=c.data_coding_gsm7,
            data_coding_latin1=c.data_coding_latin1,
            data_coding_ucs2=c.data_coding_ucs2,
        ),
    )
    return SmppConnector(ConnectorId(c.name), settings, clock)


def _smpp_server(cfg: Config, gw: Gateway) -> SmppServer:
    s = cfg.smpp
    settings = SmppServerSettings(
        host=s.host,
        port=s.port,
        max_connections=s.max_connections,
        max_binds_per_account=s.max_binds_per_account,
        window=s.window,
        max_bind_failures=s.max_bind_failures,
        lockout_s=s.lockout_s,
        response_timeout_s=s.response_timeout_s,
        enquire_link_interval_s=s.enquire_link_interval_s,
        inactivity_timeout_s=s.inactivity_timeout_s,
        max_junk_pdus=s.max_junk_pdus,
        system_types=s.system_types,
    )
    services = SmppServices(
        accounts=gw.accounts,
        submit=gw.submit,
        messages=gw.messages,
        edits=gw.edits,
        on_bound=gw.release_held,
        on_unbound=gw.sync_receiver,
    )
    return SmppServer(settings, services, gw.clock)


def _smtp_server(cfg: Config, gw: Gateway) -> SmtpServer:
    s = cfg.smtp
    settings = SmtpSettings(
        host=s.host,
        port=s.port,
        hostname=s.hostname,
        auth_require_tls=s.auth_require_tls and not is_loopback(s.host),
        max_message_bytes=s.max_message_bytes,
        timeout_s=s.timeout_s,
        tls_cert_file=s.tls_cert_file,
        tls_key_file=s.tls_key_file,
        policy=Policy(
            domain=s.domain,
            require_auth=s.require_auth,
            account=s.account,
            sender=s.sender,
            smsc_address=s.smsc_address,
            max_recipients=min(s.max_recipients, cfg.dispatch.max_recipients),
            receipts=bool(s.relay_host),
        ),
    )
    services = SmtpServices(
        accounts=gw.accounts, submit=gw.submit, find_account=gw.store.find_account, clock=gw.clock
    )
    return SmtpServer(settings, services)


def _relay(s: SmtpConfig) -> Relay:
    return Relay(
        host=s.relay_host,
        port=s.relay_port,
        sender=s.relay_from or f"heliograph@{s.domain}",
        domain=s.domain if s.enabled else "",  # no listener: forwarded MO get no Reply-To
        starttls=s.relay_starttls,
        tls=s.relay_tls,
        username=s.relay_username,
        password=os.environ.get(s.relay_password_env, "") if s.relay_password_env else "",
    )


def _write_private_json(path: Path, data: dict[str, str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=2)
    return path


class Gateway:
    def __init__(
        self,
        cfg: Config,
        *,
        clock: Clock | None = None,
        store: Store | None = None,
        callback_sender: CallbackSender | None = None,
    ) -> None:
        self.cfg = cfg
        self.clock = clock or SystemClock()
        self.store = store or open_store(cfg)
        self.metrics = Metrics()
        self.connectors: dict[ConnectorId, Connector] = {
            ConnectorId(c.name): _connector(cfg, i, self.clock)
            for i, c in enumerate(cfg.connectors)
        }
        routes = mt_routes(cfg)
        d = cfg.dispatch
        self.sender = callback_sender or HttpCallbackSender(
            timeout_s=cfg.callbacks.timeout_s, concurrency=cfg.callbacks.concurrency
        )
        self.callbacks = CallbackService(
            self.store,
            self.sender,
            self.clock,
            self.metrics,
            backoff=Backoff(base_s=cfg.callbacks.backoff_base_s, max_s=cfg.callbacks.backoff_max_s),
            max_age_s=cfg.callbacks.max_age_s,
            renderers=dialects.callback_renderers(),
        )
        # Test mode's simulated SMSC: always there, never routed to, not a configured upstream.
        self.test_connector = LoopbackConnector(TEST_CONNECTOR, LoopbackSettings(), self.clock)
        self.dispatcher = Dispatcher(
            self.store,
            self.all_connectors,
            routes,
            self.clock,
            self.metrics,
            backoff=Backoff(
                base_s=d.backoff_base_s, max_s=d.backoff_max_s, max_attempts=d.max_attempts
            ),
            batch_size=d.batch_size,
            on_changes=self._changed,
            account_names=self._account_name,
        )
        self.receipts = ReceiptService(
            self.store, self.clock, self.metrics, on_mo=self._mo, on_changes=self._changed
        )
        self.scheduler = Scheduler(
            self.store,
            self.clock,
            self.metrics,
            on_released=self.dispatcher.wake,
            on_changes=self._changed,
            # reserved parts exist wherever an account settles on delivery (its rules)
            receipt_wait_s=cfg.credit.receipt_wait_s,
        )
        self.accounts = AccountService(
            self.store, self.clock, administration=account_admin(self.store)
        )
        self.subaccounts = SubAccountService(  # docs/api.md "Sub-accounts"
            self.store, self.accounts, self.clock, administration=account_admin(self.store)
        )
        self.modes = ModesCache(self.store, self.clock)
        self.books = BookService(  # address books and templates: docs/books.md
            address_books(self.store), self.clock, max_recipients=d.max_recipients
        )
        self.submit = SubmitService(
            self.store,
            self.clock,
            self.metrics,
            SubmitLimits(
                max_recipients=d.max_recipients,
                max_parts=d.max_parts,
                default_validity_s=d.default_validity_s,
            ),
            on_accepted=self.dispatcher.wake,
            prices=self.accounts.prices,
            senders=self.accounts.senders,
            modes=self.modes,
            books=self.books,
            settle_on_delivery=cfg.credit.on_delivery,
            guards=Guards(
                GuardSettings(
                    rules=ProtectionRules(
                        duplicate_window_s=cfg.protection.duplicate_window_s,
                        flood_gap_s=cfg.protection.flood_gap_s,
                        flood_max=cfg.protection.flood_max,
                        history_limit=cfg.protection.history_limit,
                    ),
                    rate_per_s=cfg.protection.rate_per_s,
                    burst=cfg.protection.burst,
                )
            ),
        )
        if cfg.protection.quiet_hours:
            self.submit.quiet_hours = QuietHours.parse(cfg.protection.quiet_hours)
        self.callbacks.replies = SubmitReplies(self.store, self.submit)
        self.messages = MessageService(self.store, self.clock)
        # replace_sm and cancel_sm by address (SMPP): services/edits.py
        self.edits = EditService(
            message_edits(self.store), self.submit, self.clock, on_changed=self.dispatcher.wake
        )
        self.mms = MmsService(  # MMS sent by WAP Push, fetched at /mms/...: services/content.py
            self.store,  # type: ignore[arg-type]
            self.submit,
            self.clock,
            public_url=cfg.http.public_url or None,
            on_fetched=self.receipts.accept,
            walled_garden=cfg.content.walled_garden,
        )
        self.inbound = InboundService(
            self.store,
            self.clock,
            self.metrics,
            InboundSettings(keywords=cfg.inbound.keywords(), help_text=cfg.inbound.help_text),
            submit=self.submit,
            modes=self.modes,
            on_queued=self.callbacks.wake,
            connectors=self.all_connectors,
        )
        self.smpp = _smpp_server(cfg, self) if cfg.smpp.enabled else None
        if self.smpp is not None:
            self.callbacks.targets["smpp"] = self.smpp.deliver
        self.smtp = _smtp_server(cfg, self) if cfg.smtp.enabled else None
        if cfg.smtp.relay_host:
            self.callbacks.targets[RECEIPTS_FORMAT] = MailDeliverer(_relay(cfg.smtp))
        self.cluster = cluster_service(
            self.store,
            self.clock,
            self.metrics,
            self.connectors,
            binds={ConnectorId(c.name): c.binds + c.receiver_binds for c in cfg.connectors},
            on_requeued=lambda _: self.dispatcher.wake(),
        )
        self.http_port: int | None = None
        self.listener_ports: dict[str, int] = {}  # [[listeners]] name → port bound
        self.ready = asyncio.Event()
        self._receivers_lock = asyncio.Lock()
        self._runner: web.AppRunner | None = None
        self._listener_runners: list[web.AppRunner] = []

    def connectors_report(self) -> ConnectorsReport:
        """Every connector and SMPP client bind, for GET /v1/connectors and /metrics."""
        connectors = [
            ConnectorReport(
                id=str(cid),
                type="smpp" if isinstance(c, SmppConnector) else type(c).__name__.lower(),
                ready=c.is_ready(),
                window_in_use=c.window_in_use,
                binds=c.bind_states() if isinstance(c, SmppConnector) else [],
            )
            for cid, c in self.connectors.items()
        ]
        clients = [] if self.smpp is None else self.smpp.client_binds()
        return ConnectorsReport(
            connectors=connectors,
            smpp_server=self.smpp is not None,
            client_binds=[ClientBind(account=name, bind=b) for name, b in clients],
        )

    async def release_held(self, account_id: AccountId) -> None:
        """An SMPP client bound a receiver: its held receipts and MO are due now (and, on a
        shared store, this node is where they go)."""
        await self.sync_receiver(account_id)
        await self.store.release_callbacks(account_id, "smpp", self.clock.now())
        self.callbacks.wake()  # also for events that were due already

    async def sync_receiver(self, account_id: AccountId) -> None:
        """Tell a shared store whether this node holds a receiver bind of the account, as
        the SMPP server says now (binds and unbinds of one account may overtake each other;
        the last call writes the last word)."""
        if not isinstance(self.store, ReceiverRegistry) or self.smpp is None:
            return
        async with self._receivers_lock:
            present = bool(self.smpp.registry.receivers(account_id))
            try:
                await self.store.set_receiver(account_id, present, self.clock.now())
            except StoreError as exc:
                log.warning("receiver bind of %s not recorded yet: %s", account_id, exc)

    def _outbox_event(self, account_id: AccountId) -> None:
        self.callbacks.wake()

    async def _account_name(self, account_id: AccountId) -> str | None:
        account = await self.store.get_account(account_id)
        return account.name if account is not None else None

    def _changed(self, changes: Changes) -> None:
        if changes.callbacks:
            self.callbacks.wake()

    async def refresh_gauges(self) -> None:
        depth = await self.store.queue_depth()
        for state in ("scheduled", "queued", "sending", "callbacks"):
            self.metrics.queue_depth.labels(state).set(getattr(depth, state))
        for cid, connector in self.connectors.items():
            self.metrics.window_in_use.labels(cid).set(connector.window_in_use)
        report = self.connectors_report()
        binds: Counter[tuple[str, str]] = Counter()
        for c in report.connectors:
            binds.update((f"connector:{c.id}", b.state) for b in c.binds)
        binds.update(("smpp-server", cb.bind.state) for cb in report.client_binds)
        self.metrics.binds.clear()
        for (owner, state), count in binds.items():
            self.metrics.binds.labels(owner, state).set(count)

    async def open(self) -> None:
        await self.store.open()
        recovered = await self.store.recover_inflight(self.clock.now())
        if recovered.resent:
            self.metrics.parts_resent.inc(recovered.resent)
            log.warning(
                "%d parts were in flight when the gateway stopped; queued again (they may "
                "reach the handset twice)",
                recovered.resent,
            )
        if not await self.store.list_accounts():
            await self._create_admin()

    async def _create_admin(self) -> None:
        try:
            new = await self.accounts.create("admin", is_admin=True)
        except Rejected:  # nodes of a cluster starting at once: another one created it
            log.info("account 'admin' was created by another node")
            return
        path = _write_private_json(Path(self.cfg.data_dir) / ADMIN_CREDENTIALS_FILE, new.as_json())
        log.warning(
            "first start: created account 'admin'; its API key is %s (all its credentials are "
            "in %s; they are not shown again)",
            new.api_key,
            path,
        )

    async def create_account(self, name: str, callback_url: str | None = None) -> NewAccount:
        return await self.accounts.create(name, callback_url=callback_url)

    @property
    def all_connectors(self) -> dict[ConnectorId, Connector]:
        """The configured connectors and the built-in test connector."""
        return {**self.connectors, TEST_CONNECTOR: self.test_connector}

    def _mo(self, mo: MoMessage) -> None:
        self.inbound.accept(mo)

    def inbound_http(self) -> InboundHttp:
        return InboundHttp(
            inbound=self.inbound,
            optouts=OptOutService(self.store, self.clock, self.modes),
            stats=self.store.message_stats,
        )

    def http_services(self) -> HttpServices:
        return HttpServices(
            accounts=self.accounts,
            submit=self.submit,
            messages=self.messages,
            connectors=self.connectors,
            metrics=self.metrics,
            refresh_gauges=self.refresh_gauges,
            store_balance=self.store.balance,
            adjust_balance=self.store.adjust_balance,
            clock=self.clock,
            books=self.books,
            library=LibraryService(content_library(self.store), self.clock),
            subaccounts=self.subaccounts,
            smpp_tlvs={
                t.name: TlvDefinition(name=t.name, tag=t.tag, type=t.type, length=t.length)
                for t in self.cfg.smpp_tlvs
            },
        )

    def _http_app(self) -> web.Application:
        app = build_app(
            self.http_services(),
            max_body_bytes=self.cfg.http.max_body_bytes,
            inbound=self.inbound_http(),
        )
        connectors_routes.add_routes(app, self.connectors_report)
        content_routes.add_routes(app, self.mms)
        cluster_routes.add_routes(app, self.cluster.snapshot)
        return app

    async def _serve_http(
        self, app: web.Application, host: str, port: int, *, fast_lane: bool = False
    ) -> tuple[web.AppRunner, int]:
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site: web.TCPSite
        if fast_lane:  # POST /v1/messages without aiohttp's per-request work
            site = FastSite(
                runner,
                host,
                port,
                routes=rest_routes.fast_routes(app),
                max_body=self.cfg.http.max_body_bytes,
            )
        else:
            site = web.TCPSite(runner, host, port, backlog=1024)
        await site.start()
        server = site._server
        assert server is not None
        return runner, server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def _start_http(self) -> None:
        cfg = self.cfg.http
        self._runner, self.http_port = await self._serve_http(
            self._http_app(), cfg.host, cfg.port, fast_lane=cfg.fast_lane
        )
        log.info("HTTP API listening on http://%s:%d", self.cfg.http.host, self.http_port)
        for listener in self.cfg.listeners:
            paths = dialect_paths(listener.dialect) if listener.dialect else frozenset()
            prefixes = listener.paths

            def keep(
                path: str, paths: frozenset[str] = paths, prefixes: Sequence[str] = prefixes
            ) -> bool:
                return path in paths or any(path.startswith(p) for p in prefixes)

            app = restrict(self._http_app(), keep, max_body_bytes=cfg.max_body_bytes)
            runner, port = await self._serve_http(app, listener.host, listener.port)
            self._listener_runners.append(runner)
            self.listener_ports[listener.name] = port
            log.info(
                "HTTP listener %s on http://%s:%d serving %s",
                listener.name,
                listener.host,
                self.listener_ports[listener.name],
                ", ".join(sorted(paths) + [f"{p}*" for p in prefixes]),
            )

    async def run(self, stop: asyncio.Event) -> None:
        """Open, serve until ``stop`` is set, then shut down in order."""
        await self.open()
        try:
            async with asyncio.TaskGroup() as tg:
                for connector in self.all_connectors.values():
                    await connector.start()
                    connector.resume(await self.store.awaiting_receipt(connector.id))
                    tg.create_task(
                        self._supervise(
                            f"inbound-{connector.id}", partial(self.receipts.consume, connector)
                        )
                    )
                workers = [
                    tg.create_task(self._supervise("receipts", self.receipts.run)),
                    tg.create_task(self._supervise("callbacks", self.callbacks.run)),
                    tg.create_task(self._supervise("scheduler", self.scheduler.run)),
                    tg.create_task(self._supervise("cluster", self.cluster.run)),
                    tg.create_task(self._supervise("inbound", self.inbound.run)),
                ]
                if isinstance(self.store, ReceiverRegistry) and self.smpp is not None:
                    listen = partial(self.store.listen_outbox, self._outbox_event)
                    workers.append(tg.create_task(self._supervise("outbox-listener", listen)))
                dispatch = tg.create_task(self._supervise("dispatch", self.dispatcher.run))
                if self.smpp is not None:
                    await self.smpp.start()
                if self.smtp is not None:
                    await self.smtp.start()
                await self._start_http()
                self.ready.set()
                await stop.wait()
                log.info("shutting down")
                await self._shutdown(dispatch, workers)
                for task in tg._tasks:  # inbound consumers end when connectors close
                    task.cancel()
        finally:
            await self.sender.aclose()
            await self.store.close()
            log.info("stopped")

    async def _shutdown(
        self, dispatch: asyncio.Task[None], workers: list[asyncio.Task[None]]
    ) -> None:
        started = time.monotonic()

        def step(name: str) -> None:
            log.debug("shutdown: %s (%.3f s)", name, time.monotonic() - started)

        if self._runner is not None:
            await self._runner.cleanup()
        for runner in self._listener_runners:
            await runner.cleanup()
        step("HTTP closed")
        if self.smtp is not None:
            await self.smtp.aclose()
        if self.smpp is not None:
            await self.smpp.aclose()
        step("SMTP and SMPP closed")
        dispatch.cancel()
        await asyncio.wait([dispatch])
        await self.dispatcher.drain()
        step("dispatcher drained")
        await self.receipts.flush()
        try:
            await self.inbound.flush()
        except StoreError:
            log.warning(
                "%d MO not stored at shutdown (the store is unavailable)", self.inbound.backlog
            )
        step("receipts and MO applied")
        try:
            await asyncio.wait_for(self.callbacks.deliver_once(), 5.0)
        except Exception:
            log.warning("callbacks not flushed at shutdown; they stay in the outbox")
        step("callbacks flushed")
        for task in workers:
            task.cancel()
        await asyncio.wait(workers)
        step("workers stopped")
        for connector in self.all_connectors.values():
            await connector.aclose()
        step("connectors closed")

    async def _supervise(self, name: str, work: Callable[[], Awaitable[None]]) -> None:
        delay = 0.5
        while True:
            try:
                await work()
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s failed; restarting in %.1f s", name, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
