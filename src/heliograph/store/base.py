"""The Store protocol: everything the services persist, behind one interface.

Errors::

    StoreError
    ├── Conflict       a uniqueness or state rule refused the write
    ├── NotFound       no such row (for the caller's account)
    └── Unavailable    the database cannot be reached or is overloaded; retry

Driver exceptions (sqlite3, asyncpg) are mapped to these at the boundary and
chained with ``from exc``; services never see driver types.

Every write method is one transaction: it commits entirely or not at all, and
returns only after the commit. Methods take ``now`` (seconds since the epoch)
from the caller's clock. The protocol speaks domain types only; nothing in it is
particular to one database, so memory, SQLite and PostgreSQL can all pass the
one contract suite in ``tests/store/test_contract.py``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, runtime_checkable

from heliograph.domain.accounts import (
    Account,
    AccountRules,
    Credential,
    CredentialKind,
    ReceiptMail,
)
from heliograph.domain.ids import AccountId, ConnectorId, MessageId, PartId, UpstreamId
from heliograph.domain.inbound import MoPlan, MoRecord, MoRoute, MoRouteSpec
from heliograph.domain.messages import MessageState, MessageView, NewMessage
from heliograph.domain.optout import Consent, OptOut
from heliograph.domain.outcomes import Receipt


class StoreError(Exception):
    pass


class Conflict(StoreError):
    pass


class NotFound(StoreError):
    pass


class Unavailable(StoreError):
    pass


class InsufficientCredit(StoreError):
    def __init__(self, needed_micros: int, balance_micros: int) -> None:
        super().__init__(f"needs {needed_micros} micro-units, balance is {balance_micros}")
        self.needed_micros = needed_micros
        self.balance_micros = balance_micros


@dataclass(slots=True, kw_only=True)
class ClaimedPart:
    """A part handed to the dispatcher, with everything a connector needs.

    Not frozen, unlike the other values here: one is built per claimed part on
    the store's writer thread, and a frozen dataclass's ``__init__`` (one
    ``object.__setattr__`` per field) costs four times as much. Treat it as
    read-only all the same.
    """

    part_id: PartId
    message_id: MessageId
    account_id: AccountId
    seq: int
    parts: int
    to: str
    sender: str | None
    text: str
    encoding: str
    data_coding: int
    concat_ref: int
    priority: int
    attempts: int
    expires_at: float | None
    udh: bytes | None = None  # a client's own UDH: the text is this one part
    test: bool = False  # test mode: for the built-in "test" connector only
    payload: bytes | None = None  # binary content, split with split_binary
    dest_port: int | None = None
    src_port: int | None = None
    message_class: int | None = None
    languages: frozenset[int] | None = None
    forced: ConnectorId | None = None  # the message's own connector (NewMessage.connector)
    tlvs: tuple[tuple[int, bytes], ...] | None = None  # NewMessage.tlvs


@dataclass(slots=True, kw_only=True)
class PartResult:
    """The dispatcher's decision for one claimed part (not frozen: see ClaimedPart)."""

    part_id: PartId
    state: MessageState  # SENT, QUEUED (retry at due_at), FAILED or EXPIRED
    connector: ConnectorId | None = None
    upstream_id: UpstreamId | None = None
    error: str | None = None
    due_at: float | None = None


@dataclass(slots=True)
class Changes:
    """What a write did: message state changes by new state, receipts left pending."""

    states: Counter[MessageState] = field(default_factory=Counter)
    pending: int = 0
    resent: int = 0
    callbacks: int = 0

    def merge(self, other: Changes) -> None:
        self.states.update(other.states)
        self.pending += other.pending
        self.resent += other.resent
        self.callbacks += other.callbacks


@dataclass(frozen=True, slots=True, kw_only=True)
class Balance:
    """``balance_micros`` is available to spend; ``reserved_micros`` is held by parts
    on their way whose price settles on delivery ([credit] settle = "delivery")."""

    account_id: AccountId
    balance_micros: int
    currency: str
    reserved_micros: int = 0


class LedgerKind(StrEnum):
    """What a ledger row is. ``amount_micros`` is its change of the available balance,
    ``reserve_change_micros`` its change of the reserved amount."""

    ADJUST = "adjust"  # credit added or taken by an administrator, or moved to a sub-account
    CHARGE = "charge"  # messages accepted, their price final once sent (settle = "submit")
    RESERVE = "reserve"  # messages accepted, their price held until delivery
    SETTLE = "settle"  # reserved price made final by a delivered receipt
    REFUND = "refund"  # price given back: a part failed, expired or was cancelled


@dataclass(frozen=True, slots=True, kw_only=True)
class LedgerEntry:
    id: int
    account_id: AccountId
    kind: LedgerKind
    amount_micros: int
    reserve_change_micros: int
    balance_micros: int  # the available balance after this row
    reason: str
    at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Charge:
    """Take ``amount_micros`` from the account with the messages, or write nothing."""

    account_id: AccountId
    amount_micros: int
    reason: str
    # settle = "delivery": hold the price as reserved until each part's final state
    reserve: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class IdempotentAnswer:
    status: int
    body: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageFilter:
    state: MessageState | None = None
    to: str | None = None
    created_from: float | None = None
    created_to: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackJob:
    id: int
    account_id: AccountId
    message_id: MessageId
    url: str
    format: str
    body: bytes
    secret: str
    attempts: int
    created_at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackRetry:
    id: int
    next_attempt_at: float
    error: str


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueDepth:
    scheduled: int
    queued: int
    sending: int
    sent: int
    callbacks: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountModes:
    """What the submit path needs to know about an account beyond its prices and senders."""

    test_mode: bool = False  # every message of the account is a test message
    has_optouts: bool = False  # its opt-out list is not empty: check recipients against it
    test_supported: bool = True  # the store can keep test messages apart


@dataclass(frozen=True, slots=True, kw_only=True)
class Bucket:
    """One line of the statistics: messages, parts and what was charged for them."""

    key: str | None
    messages: int
    parts: int
    cost_micros: int


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageStats:
    """An account's MT history in a time range (by creation time), in figures.

    ``cost_micros`` is what was charged less what was refunded (parts that never
    reached an upstream); test messages cost nothing. ``by_connector`` counts
    parts (a message's parts may take different connectors; key None: none yet).
    """

    total: Bucket
    test_messages: int
    by_status: list[Bucket]
    by_day: list[Bucket]  # key: the UTC day, YYYY-MM-DD
    by_connector: list[Bucket]


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountChanges:
    """Settings to change on an account; None leaves a setting as it is."""

    callback_url: str | None = None
    clear_callback_url: bool = False
    disabled: bool | None = None
    is_admin: bool | None = None
    ip_allowlist: tuple[str, ...] | None = None
    rules: AccountRules | None = None
    email: str | None = None
    clear_email: bool = False
    email_receipts: ReceiptMail | None = None


@runtime_checkable
class AccountAdmin(Protocol):
    """Administration of accounts and their credentials (backends that support it)."""

    async def list_credentials(self, account_id: AccountId) -> list[Credential]: ...
    async def revoke_credential(
        self, account_id: AccountId, kind: CredentialKind, lookup: str
    ) -> bool: ...
    async def update_account(self, account_id: AccountId, changes: AccountChanges) -> Account:
        """Raises: NotFound."""

    # sub-accounts: one level, a parent has no parent (docs/api.md "Sub-accounts")
    async def children(self, parent_id: AccountId) -> list[Account]:
        """The accounts whose parent is ``parent_id``, by name."""

    async def set_parent(self, account_id: AccountId, parent_id: AccountId | None) -> Account:
        """Make the account a child of ``parent_id`` (None: top level again).

        Raises: NotFound (either account); Conflict when the parent is itself a child,
        is the account, or the account has children of its own, or their currencies differ.
        """

    async def transfer_credit(
        self, from_id: AccountId, to_id: AccountId, amount_micros: int, reason: str, now: float
    ) -> tuple[Balance, Balance]:
        """Move ``amount_micros`` (> 0) from one balance to the other in one transaction:
        the first goes down by exactly what the second goes up, or nothing changes.
        Returns both balances after the move. Raises: NotFound; Conflict when the
        currencies differ; InsufficientCredit when ``from_id`` lacks the amount.
        """

    async def message_account(self, message_id: MessageId) -> AccountId | None:
        """The account that owns the MT message, if it exists."""


class Store(Protocol):
    async def open(self) -> None: ...
    async def close(self) -> None: ...

    # accounts
    async def create_account(self, account: Account, credentials: Sequence[Credential]) -> None:
        """Raises: Conflict if the name or a credential lookup is taken."""

    async def add_credentials(self, credentials: Sequence[Credential]) -> None: ...
    async def find_credential(
        self, kind: CredentialKind, lookup: str
    ) -> tuple[Account, Credential] | None: ...
    async def get_account(self, account_id: AccountId) -> Account | None: ...
    async def find_account(self, name: str) -> Account | None: ...
    async def list_accounts(self) -> list[Account]: ...

    # credit
    async def balance(self, account_id: AccountId) -> Balance:
        """Raises: NotFound."""

    async def adjust_balance(
        self, account_id: AccountId, amount_micros: int, reason: str, now: float
    ) -> Balance:
        """Add (or, negative, take) credit. Raises: NotFound; InsufficientCredit below zero."""

    async def ledger(self, account_id: AccountId, *, limit: int = 100) -> list[LedgerEntry]:
        """The account's most recent ledger rows, newest first."""

    async def set_price(self, account_id: AccountId | None, prefix: str, price_micros: int) -> None:
        """Set a price per part (account None: the gateway-wide list)."""

    async def delete_price(self, account_id: AccountId | None, prefix: str) -> bool: ...

    # sender ids
    async def senders(self, account_id: AccountId) -> list[tuple[str, bool]]:
        """(sender, is default) for the account, sorted by sender."""

    async def add_sender(
        self, account_id: AccountId, sender: str, *, default: bool, now: float
    ) -> None:
        """Add (or update) a sender id; ``default`` makes it the only default."""

    async def remove_sender(self, account_id: AccountId, sender: str) -> bool: ...

    async def price_lists(self, account_id: AccountId) -> tuple[dict[str, int], dict[str, int]]:
        """(the account's own prices, the gateway-wide prices) by prefix."""

    # submit
    async def insert_messages(
        self,
        messages: Sequence[NewMessage],
        *,
        idempotency: tuple[AccountId, str, IdempotentAnswer] | None = None,
        now: float,
        charge: Charge | None = None,
    ) -> IdempotentAnswer | None:
        """Persist messages and their parts atomically.

        With ``idempotency`` = (account, key, answer): if the key was used in the
        last 24 hours, nothing is written and the first answer is returned.
        With ``charge``: the amount is taken from the balance in the same
        transaction. Raises: InsufficientCredit (and nothing is written).
        """

    async def idempotent_answer(
        self, account_id: AccountId, key: str, now: float
    ) -> IdempotentAnswer | None: ...

    # reads
    async def get_message(
        self, account_id: AccountId, message_id: MessageId
    ) -> MessageView | None: ...

    async def list_messages(
        self, account_id: AccountId, flt: MessageFilter, *, before: MessageId | None, limit: int
    ) -> list[MessageView]: ...

    async def cancel_message(
        self, account_id: AccountId, message_id: MessageId, now: float
    ) -> MessageView:
        """Raises: NotFound; Conflict if any part has left the queue."""

    async def queue_depth(self) -> QueueDepth: ...

    # dispatch
    async def release_scheduled(self, now: float) -> Changes: ...
    async def claim_parts(self, now: float, limit: int) -> tuple[list[ClaimedPart], Changes]:
        """Move due queued parts to sending and return them. Expired parts are expired."""

    async def record_results(self, results: Sequence[PartResult], now: float) -> Changes: ...
    async def apply_receipts(self, receipts: Sequence[Receipt], now: float) -> Changes:
        """Advance parts named by receipts; keep receipts for unknown ids until they match."""

    async def expire_pending(
        self, now: float, *, unreceipted_before: float | None = None
    ) -> Changes:
        """Expire queued and scheduled messages whose validity has passed.

        ``unreceipted_before``: also expire (and refund) sent parts whose price is
        reserved and whose validity ended before this time without a final receipt.
        """

    async def awaiting_receipt(self, connector: ConnectorId) -> list[UpstreamId]:
        """Upstream ids of parts sent through ``connector`` and still without a final receipt."""

    async def recover_inflight(self, now: float) -> Changes:
        """After a restart: parts left in sending go back to queued (resent, counted)."""

    # callbacks
    async def claim_callbacks(
        self, now: float, limit: int, lease_s: float
    ) -> list[CallbackJob]: ...

    async def finish_callbacks(
        self, done: Sequence[int], retry: Sequence[CallbackRetry], dead: Sequence[int]
    ) -> None: ...

    async def copy_callback(self, job_id: int, url: str, format: str, now: float) -> bool:
        """Queue a copy of an outbox event for another destination, due now (a status event
        also mailed); False when the event is no longer in the outbox."""

    async def release_callbacks(self, account_id: AccountId, format: str, now: float) -> int:
        """Make the account's waiting outbox events of ``format`` due now; returns how many.

        An SMPP client that binds again gets the receipts held for it at once.
        """

    # inbound (MO), opt-outs, test mode, statistics
    async def add_mo_route(self, spec: MoRouteSpec, account_id: AccountId, now: float) -> MoRoute:
        """Raises: NotFound (no such account); Conflict (the number and keyword are taken)."""

    async def mo_routes(self) -> list[MoRoute]: ...
    async def remove_mo_route(self, route_id: int) -> bool: ...
    async def insert_mo(self, plans: Sequence[MoPlan], now: float) -> list[MessageId]:
        """Store MOs with their outbox events and consent changes, in one transaction.

        An MO whose id is already stored is skipped whole (a replay). Returns the
        ids of the new ones.
        """

    async def list_mo(
        self, account_id: AccountId | None, *, before: MessageId | None, limit: int
    ) -> list[MoRecord]:
        """An account's MOs (None: the unrouted ones), newest first."""

    async def account_modes(self, account_id: AccountId) -> AccountModes: ...
    async def set_test_mode(self, account_id: AccountId, on: bool) -> None:
        """Raises: NotFound."""

    async def record_consent(self, consent: Consent) -> bool:
        """Opt a number out (or back in) and log the consent; True when the list changed."""

    async def opted_out(self, account_id: AccountId, numbers: Sequence[str]) -> set[str]:
        """Those of ``numbers`` on the account's opt-out list."""

    async def optouts(
        self, account_id: AccountId, *, after: str | None, limit: int
    ) -> list[OptOut]:
        """The account's opt-out list, by number, after the number ``after``."""

    async def consents(self, account_id: AccountId, number: str) -> list[Consent]:
        """Every consent change recorded for the number, oldest first."""

    async def message_stats(
        self, account_id: AccountId, created_from: float | None, created_to: float | None
    ) -> MessageStats: ...
