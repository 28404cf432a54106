"""aiosmtpd hooks: AUTH against accounts, RCPT checks, DATA → one submit, a reply.

aiosmtpd runs the protocol (RFC 5321, RFC 4954 AUTH, RFC 3207 STARTTLS, the
size limit); this handler only decides. AUTH PLAIN and LOGIN are aiosmtpd's
own mechanisms, wrapped: aiosmtpd reads the exchange and hands the login and
password over (``parsed``, its synchronous authenticator), and the wrapper
checks them against the account's username + password, which needs an await.

A transaction is either mail to numbers at the configured domain (several
RCPT, at most ``max_recipients``; SMTP AUTH first, unless the listener sends
mail without AUTH on a configured account) or one mail to the SMS Center
address, whose text names the account itself (``smsc_mail.py``). Every
refusal is a ``Rejected`` rendered through ``statuses.py``; nothing is
committed unless the submit service accepts it. A failure of the gateway is
logged and answered ``451`` (the client tries again), and never ends the server.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from heliograph.domain.accounts import Account, CredentialKind
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.domain.submission import RecipientPlan
from heliograph.servers.smtp import smsc_mail, statuses, translate
from heliograph.services.accounts import AccountService
from heliograph.services.ports import Clock
from heliograph.services.submit import SubmitService

log = logging.getLogger("heliograph.smtp")


@dataclass(frozen=True, slots=True, kw_only=True)
class SmtpServices:
    accounts: AccountService
    submit: SubmitService
    find_account: Callable[[str], Awaitable[Account | None]]
    clock: Clock


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    domain: str = "sms.localhost"
    require_auth: bool = True
    account: str = ""  # sends mail without AUTH when require_auth is false
    sender: str = ""
    smsc_address: str = "send"
    max_recipients: int = 100
    receipts: bool = False  # a relay takes receipts mailed back (receipts.py)


def parsed(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
) -> AuthResult:
    """aiosmtpd's authenticator: pass what it read on to ``Handler._verify``."""
    return AuthResult(success=True, auth_data=data)


class Handler:
    def __init__(self, policy: Policy, services: SmtpServices) -> None:
        self._policy = policy
        self._services = services
        self._busy = 0
        self.idle = asyncio.Event()  # no DATA being handled (shutdown waits for it)
        self.idle.set()

    async def auth_PLAIN(self, server: SMTP, args: list[str]) -> AuthResult:
        return await self._verify(await SMTP.auth_PLAIN(server, server, args), _peer(server))

    async def auth_LOGIN(self, server: SMTP, args: list[str]) -> AuthResult:
        return await self._verify(await SMTP.auth_LOGIN(server, server, args), _peer(server))

    async def _verify(self, result: AuthResult, peer: str | None) -> AuthResult:
        if not result.success or not isinstance(result.auth_data, LoginPassword):
            return result
        try:
            login, password = (v.decode() for v in result.auth_data)
            account = await self._services.accounts.by_secret(
                CredentialKind.PASSWORD, login, password, peer=peer
            )
        except UnicodeDecodeError:
            return AuthResult(success=False, handled=False)
        except Rejected as exc:
            return AuthResult(success=False, handled=False, message=statuses.reply(exc))
        return AuthResult(success=True, auth_data=account, message=statuses.AUTH_OK)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        p = self._policy
        try:
            kind = translate.classify(address, domain=p.domain, smsc_address=p.smsc_address)
        except Rejected as exc:
            return statuses.reply(exc)
        if kind is None:
            return statuses.RELAY_DENIED.format(domain=p.domain)
        smsc = [a for a in envelope.rcpt_tos if self._is_smsc(a)]
        if (kind == translate.SMSC_ADDRESS and envelope.rcpt_tos) or smsc:
            return statuses.NOT_ALONE.format(address=(smsc or [address])[0])
        if kind != translate.SMSC_ADDRESS:
            if p.require_auth and not session.authenticated:
                return statuses.AUTH_REQUIRED
            if len(envelope.rcpt_tos) >= p.max_recipients:
                return statuses.reply(
                    Rejected(
                        RejectReason.TOO_MANY_RECIPIENTS,
                        f"at most {p.max_recipients} per mail; send the others in another",
                    )
                )
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 2.1.5 OK"

    def _is_smsc(self, address: str) -> bool:
        p = self._policy
        return bool(p.smsc_address) and address.rpartition("@")[0].lower() == p.smsc_address.lower()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self._busy += 1
        self.idle.clear()
        try:
            content = envelope.original_content or b""
            if self._is_smsc(envelope.rcpt_tos[0]):
                return await self._smsc(session, content)
            return await self._numbers(session, envelope.rcpt_tos, content)
        except Rejected as exc:
            return statuses.reply(exc)
        finally:
            self._busy -= 1
            if not self._busy:
                self.idle.set()

    async def _numbers(self, session: Session, rcpt_tos: list[str], content: bytes) -> str:
        p = self._policy
        to = tuple(
            dict.fromkeys(
                str(translate.classify(a, domain=p.domain, smsc_address="")) for a in rcpt_tos
            )
        )
        senders = {s for s in map(translate.subaddress, rcpt_tos) if s is not None}
        if len(senders) > 1:
            raise Rejected(
                RejectReason.INVALID_REQUEST,
                f"the recipients name different senders ({', '.join(sorted(senders))}): "
                "send one mail per sender",
                field="to",
            )
        account = await self._account(session)
        mail = translate.read_mail(content)
        req = translate.number_request(
            mail,
            account_id=account.id,
            to=to,
            default_sender=p.sender,
            receipts=p.receipts,
            reply_sender=next(iter(senders), None),
        )
        key = translate.idempotency_key(mail, to)
        result = await self._services.submit.submit(
            req, account, statuses.accepted, idempotency_key=key
        )
        return result.answer.body.decode()

    async def _account(self, session: Session) -> Account:
        if session.authenticated and isinstance(session.auth_data, Account):
            return session.auth_data
        account = await self._services.find_account(self._policy.account)
        if account is None:
            log.error("smtp.account names no account: %r", self._policy.account)
            raise Rejected(RejectReason.UNAVAILABLE, "the gateway's mail account is missing")
        if account.disabled:
            raise Rejected(RejectReason.ACCOUNT_DISABLED, f"account {account.name} is disabled")
        return account

    async def _smsc(self, session: Session, content: bytes) -> str:
        mail = translate.read_mail(content, default_charset=smsc_mail.DEFAULT_CHARSET)
        order = smsc_mail.parse_order(smsc_mail.order_text(mail), self._services.clock.now())
        accounts = self._services.accounts
        peer = session.peer[0] if isinstance(session.peer, tuple) else None
        if order.login:
            account = await accounts.by_secret(
                CredentialKind.PASSWORD, order.login, order.psw, peer=peer
            )
        else:
            account = await accounts.by_api_key(order.psw, peer=peer)
        if isinstance(session.auth_data, Account) and session.auth_data.id != account.id:
            raise Rejected(
                RejectReason.BAD_CREDENTIALS,
                "the login in the mail is not the account that authenticated with AUTH",
            )
        plans: list[RecipientPlan] = []
        for req in smsc_mail.requests(order, account):
            try:
                plans += (await self._services.submit.submit(req, account, statuses.accepted)).plans
            except Rejected as exc:  # this entry only: the ones before it are committed
                plans += [RecipientPlan(to=to, message=None, error=exc) for to in req.to]
        return statuses.accepted(plans).body.decode()

    async def handle_exception(self, error: Exception) -> str:
        log.error("SMTP session failed: %r", error, exc_info=error)
        return statuses.INTERNAL_ERROR


def _peer(server: SMTP) -> str | None:
    """The client's IP address, for the account's allowlist."""
    peer = server.session.peer if server.session is not None else None
    return str(peer[0]) if isinstance(peer, tuple) else None
