"""AccountService: create accounts with all their credentials; authenticate.

Credentials are generated here (the domain stays pure) and returned once, in
the clear, by ``create()``; only hashes are stored. API-key lookups are cached
for a few seconds so that a busy client does not cost a database read per
request; a revoked or new key takes effect within ``cache_ttl_s``.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import string
import uuid
from dataclasses import dataclass, replace

from heliograph.domain.accounts import (
    Account,
    Credential,
    CredentialKind,
    ReceiptMail,
    api_key_credential,
    hash_api_key,
    ip_allowed,
    secret_credential,
    verify_secret,
)
from heliograph.domain.family import child_prices, child_senders
from heliograph.domain.ids import AccountId
from heliograph.domain.pricing import PriceList, merge
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.domain.senders import Senders
from heliograph.services.ports import Clock
from heliograph.store.base import AccountAdmin, AccountChanges, Conflict, NotFound, Store

_NAME_CHARS = frozenset(string.ascii_letters + string.digits + "-_.")


@dataclass(frozen=True, slots=True, kw_only=True)
class NewAccount:
    """An account and every credential it can use, shown once."""

    account: Account
    api_key: str
    callback_secret: str
    username: str
    password: str
    pin: str
    smpp_system_id: str
    smpp_password: str

    def as_json(self) -> dict[str, str]:
        return {
            "account": self.account.name,
            "account_id": self.account.id,
            "api_key": self.api_key,
            "callback_secret": self.callback_secret,
            "username": self.username,
            "password": self.password,
            "pin": self.pin,
            "smpp_system_id": self.smpp_system_id,
            "smpp_password": self.smpp_password,
        }


class AccountService:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        cache_ttl_s: float = 10.0,
        administration: AccountAdmin | None = None,
    ) -> None:
        self._administration = administration
        self._store = store
        self._clock = clock
        self._ttl = cache_ttl_s
        # API key → (until, account): keyed by the key itself, so that a cached key is
        # not hashed again (hashing is a tenth of a small request's cost)
        self._keys: dict[str, tuple[float, Account | None]] = {}
        self._secrets: dict[tuple[CredentialKind, str, str], tuple[float, Account]] = {}
        self._prices: dict[str, tuple[float, PriceList]] = {}
        self._senders: dict[str, tuple[float, Senders]] = {}

    async def create(
        self,
        name: str,
        *,
        callback_url: str | None = None,
        is_admin: bool = False,
        ip_allowlist: tuple[str, ...] = (),
        parent_id: AccountId | None = None,
    ) -> NewAccount:
        """An account, a sub-account of ``parent_id`` when given (domain/family.py).

        Raises: Rejected(INVALID_REQUEST) for a bad or taken name or a parent that is a
        sub-account itself; Rejected(NOT_FOUND) for no such parent.
        """
        if not name or len(name) > 64 or not set(name) <= _NAME_CHARS:
            raise Rejected(
                RejectReason.INVALID_REQUEST,
                "account name must be 1-64 letters, digits, '-', '_' or '.'",
                field="name",
            )
        now = self._clock.now()
        account = Account(
            id=AccountId(uuid.uuid4().hex),
            name=name,
            callback_url=callback_url,
            callback_secret="whsec_" + secrets.token_urlsafe(24),
            created_at=now,
            is_admin=is_admin,
            ip_allowlist=ip_allowlist,
            parent_id=parent_id,
        )
        new = NewAccount(
            account=account,
            api_key="hg_" + secrets.token_urlsafe(30),
            callback_secret=account.callback_secret,
            username=name,
            password=secrets.token_urlsafe(12),
            pin="".join(secrets.choice(string.digits) for _ in range(8)),
            # SMPP 3.4 §5.2.1: system_id ≤ 15 characters, password ≤ 8.
            smpp_system_id=name[:15],
            smpp_password=secrets.token_urlsafe(6)[:8],
        )
        secret_creds = [
            (CredentialKind.PASSWORD, name, new.password),
            (CredentialKind.PIN, name, new.pin),
            (CredentialKind.SMPP, new.smpp_system_id, new.smpp_password),
        ]
        # scrypt is slow on purpose: keep it off the event loop.
        hashed = await asyncio.to_thread(
            lambda: [
                secret_credential(account.id, kind, lookup, secret, os.urandom(16), now)
                for kind, lookup, secret in secret_creds
            ]
        )
        creds = [api_key_credential(account.id, new.api_key, now), *hashed]
        try:
            await self._store.create_account(account, creds)
        except Conflict as exc:
            field = "name" if "is taken" in str(exc) else "parent"
            raise Rejected(RejectReason.INVALID_REQUEST, str(exc), field=field) from exc
        except NotFound as exc:
            raise Rejected(RejectReason.NOT_FOUND, str(exc), field="parent") from exc
        return new

    async def prices(self, account_id: AccountId) -> PriceList:
        """The account's effective price list (own over gateway-wide), cached briefly."""
        now = self._clock.now()
        cached = self._prices.get(account_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        own, default = await self._store.price_lists(account_id)
        prices = merge(PriceList(prices=own), PriceList(prices=default))
        parent_id = await self._parent_of(account_id)
        if parent_id is not None:  # never below the parent's own prices
            prices = child_prices(prices, await self.prices(parent_id))
        self._prices[account_id] = (now + self._ttl, prices)
        return prices

    async def senders(self, account_id: AccountId) -> Senders:
        """The account's sender ids and default, cached briefly."""
        now = self._clock.now()
        cached = self._senders.get(account_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        rows = await self._store.senders(account_id)
        senders = Senders(
            allowed=frozenset(s for s, _ in rows),
            default=next((s for s, is_default in rows if is_default), None),
        )
        parent_id = await self._parent_of(account_id)
        if parent_id is not None:  # within the parent's own senders
            senders = child_senders(senders, await self.senders(parent_id))
        self._senders[account_id] = (now + self._ttl, senders)
        return senders

    async def _parent_of(self, account_id: AccountId) -> AccountId | None:
        account = await self._store.get_account(account_id)
        return account.parent_id if account is not None else None

    async def _with_parent(self, account: Account | None) -> Account | None:
        """A sub-account of a disabled parent is disabled too."""
        if account is None or account.parent_id is None or account.disabled:
            return account
        parent = await self._store.get_account(account.parent_id)
        return replace(account, disabled=True) if parent is None or parent.disabled else account

    def forget_prices(self) -> None:
        self._prices.clear()
        self._senders.clear()

    async def by_api_key(self, api_key: str, *, peer: str | None = None) -> Account:
        """The account of an API key, used from ``peer`` (an IP address; None: not known).

        Raises: Rejected(BAD_CREDENTIALS | ACCOUNT_DISABLED).
        """
        now = self._clock.now()
        cached = self._keys.get(api_key)
        if cached is not None and cached[0] > now:
            account = cached[1]
        else:
            digest = hash_api_key(api_key)
            found = await self._store.find_credential(CredentialKind.API_KEY, digest)
            account = found[0] if found is not None and not found[1].revoked else None
            account = await self._with_parent(account)
            if len(self._keys) > 100_000:
                self._keys.clear()
            self._keys[api_key] = (now + self._ttl, account)
        return _usable(account, peer)

    async def by_secret(
        self, kind: CredentialKind, lookup: str, secret: str, *, peer: str | None = None
    ) -> Account:
        """Username + password / PIN, or SMPP system_id + password, used from ``peer``.

        Raises: Rejected(BAD_CREDENTIALS | ACCOUNT_DISABLED).
        """
        now = self._clock.now()
        key = (kind, lookup, hash_api_key(secret))
        cached = self._secrets.get(key)
        if cached is not None and cached[0] > now:
            return _usable(cached[1], peer)
        found = await self._store.find_credential(kind, lookup)
        if found is None or found[1].revoked:
            return _usable(None, peer)
        ok = await asyncio.to_thread(verify_secret, secret, found[1].secret_hash)
        if not ok:
            return _usable(None, peer)
        account = await self._with_parent(found[0])
        assert account is not None
        self._secrets[key] = (now + self._ttl, account)
        return _usable(account, peer)

    # administration ------------------------------------------------------------

    def _admin(self) -> AccountAdmin:
        if self._administration is None:
            raise Rejected(
                RejectReason.NOT_SUPPORTED,
                "account administration is not supported on this store in this version",
            )
        return self._administration

    async def all(self) -> list[Account]:
        return await self._store.list_accounts()

    async def named(self, name: str, *, field: str = "name") -> Account:
        """Raises: Rejected(NOT_FOUND) naming ``field``."""
        account = await self._store.find_account(name)
        if account is None:
            raise Rejected(RejectReason.NOT_FOUND, f"no account named {name!r}", field=field)
        return account

    async def add_api_key(self, account: Account) -> str:
        """A new API key for the account, returned once (only its hash is kept)."""
        key = "hg_" + secrets.token_urlsafe(30)
        await self._store.add_credentials([api_key_credential(account.id, key, self._clock.now())])
        return key

    async def api_keys(self, account: Account) -> list[Credential]:
        creds = await self._admin().list_credentials(account.id)
        return [c for c in creds if c.kind is CredentialKind.API_KEY]

    async def revoke_api_key(self, account: Account, key_id: str) -> None:
        """Revoke the key whose id (the start of its hash, as listed) is ``key_id``.

        Raises: Rejected(NOT_FOUND) when no key or more than one matches.
        """
        matches = [
            c for c in await self.api_keys(account) if c.lookup.startswith(key_id) and key_id
        ]
        if len(matches) != 1 or not await self._admin().revoke_credential(
            account.id, CredentialKind.API_KEY, matches[0].lookup
        ):
            raise Rejected(
                RejectReason.NOT_FOUND, f"no active key {key_id!r} for {account.name}", field="key"
            )
        self._keys.clear()

    async def update(self, account: Account, changes: AccountChanges) -> Account:
        """Raises: Rejected(NOT_FOUND; INVALID_REQUEST: receipts by e-mail without an address)."""
        email = None if changes.clear_email else (changes.email or account.email)
        receipts = changes.email_receipts or account.email_receipts
        if receipts is not ReceiptMail.OFF and email is None:
            raise Rejected(
                RejectReason.INVALID_REQUEST,
                f"receipts by e-mail ({receipts.value}) need the account's e-mail address",
                field="email_receipts",
            )
        try:
            updated = await self._admin().update_account(account.id, changes)
        except NotFound as exc:
            raise Rejected(RejectReason.NOT_FOUND, str(exc)) from exc
        self._keys.clear()
        self._secrets.clear()
        return updated


def _usable(account: Account | None, peer: str | None) -> Account:
    if account is None:
        raise Rejected(RejectReason.BAD_CREDENTIALS, "unknown or revoked credentials")
    if account.disabled:
        raise Rejected(RejectReason.ACCOUNT_DISABLED, f"account {account.name} is disabled")
    if not ip_allowed(account, peer):
        raise Rejected(
            RejectReason.BAD_CREDENTIALS,
            f"account {account.name} may not connect from {peer or 'an unknown address'}",
        )
    return account
