"""The SMTP listener: aiosmtpd's SMTP protocol on an asyncio server, with explicit limits.

Limits: ``max_message_bytes`` (announced as SIZE, RFC 1870; larger mail is
refused with 552), ``max_recipients`` per mail (452 4.5.3), an idle
``timeout_s``, at most ``MAX_AUTH`` AUTH commands per connection and a few
unknown commands before the connection is closed (aiosmtpd's own limits).
AUTH is refused without TLS (538 5.7.11) unless the listener is on a loopback
address or ``auth_require_tls`` is false; with a certificate and key, STARTTLS
is offered (RFC 3207).

Shutdown (``aclose``) stops accepting first, waits up to ``grace_s`` for mail
being submitted, then says ``421`` to the sessions still open and closes them.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import ssl
import weakref
from dataclasses import dataclass, field

from aiosmtpd.smtp import SMTP

from heliograph.servers.smtp.handler import Handler, Policy, SmtpServices, parsed

log = logging.getLogger("heliograph.smtp")

MAX_AUTH = 5
SHUTTING_DOWN = b"421 4.3.2 Service shutting down\r\n"


@dataclass(frozen=True, slots=True, kw_only=True)
class SmtpSettings:
    host: str = "127.0.0.1"
    port: int = 2525
    hostname: str = ""  # greeting; default: policy.domain
    auth_require_tls: bool = True  # the caller leaves loopback listeners out (is_loopback)
    max_message_bytes: int = 256 * 1024
    timeout_s: float = 300.0
    tls_cert_file: str = ""
    tls_key_file: str = ""
    policy: Policy = field(default_factory=Policy)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _QuietAiosmtpd(logging.Filter):
    """aiosmtpd warns on every AUTH that a field it sets itself is deprecated."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Session.login_data is deprecated")


class SmtpServer:
    def __init__(self, settings: SmtpSettings, services: SmtpServices) -> None:
        self._settings = settings
        self._handler = Handler(settings.policy, services)
        self._server: asyncio.Server | None = None
        self._sessions: weakref.WeakSet[SMTP] = weakref.WeakSet()
        self.port: int | None = None

    def _tls(self) -> ssl.SSLContext | None:
        s = self._settings
        if not s.tls_cert_file:
            return None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(s.tls_cert_file, s.tls_key_file)
        return context

    async def start(self) -> None:
        s = self._settings
        loop = asyncio.get_running_loop()
        tls = self._tls()
        aiosmtpd_log = logging.getLogger("mail.log")
        aiosmtpd_log.addFilter(_QuietAiosmtpd())
        if aiosmtpd_log.level == logging.NOTSET:
            aiosmtpd_log.setLevel(logging.WARNING)  # it logs every connection at INFO

        def session() -> SMTP:
            smtp = SMTP(
                self._handler,
                data_size_limit=s.max_message_bytes,
                hostname=s.hostname or s.policy.domain,
                ident="Heliograph ESMTP",
                tls_context=tls,
                timeout=s.timeout_s,
                auth_require_tls=s.auth_require_tls,
                authenticator=parsed,
                command_call_limit={"AUTH": MAX_AUTH, "*": 1_000_000},
                loop=loop,
            )
            self._sessions.add(smtp)
            return smtp

        self._server = await loop.create_server(session, s.host, s.port)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("SMTP listening on %s:%d for <number>@%s", s.host, self.port, s.policy.domain)

    async def aclose(self, grace_s: float = 5.0) -> None:
        if self._server is None:
            return
        self._server.close()
        try:
            await asyncio.wait_for(self._handler.idle.wait(), grace_s)
        except TimeoutError:
            log.warning("SMTP: mail still being submitted after %.0f s; closing", grace_s)
        for smtp in list(self._sessions):
            transport = smtp.transport
            if transport is not None and not transport.is_closing():
                # uvloop's transports are not asyncio.WriteTransport subclasses: duck-type
                write = getattr(transport, "write", None)
                if write is not None:
                    write(SHUTTING_DOWN)
                transport.close()
        try:
            await asyncio.wait_for(self._server.wait_closed(), grace_s)
        except TimeoutError:
            log.warning("SMTP sessions still open after %.0f s", grace_s)
        self._server = None
