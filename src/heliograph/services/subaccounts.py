"""SubAccountService: a parent account's children, funded, configured and overseen by it.

The rules are ``domain.family``'s: an admin or an account's parent manages it;
families are one level deep; a child's senders and prices stay within its
parent's. Credit is never created here, only moved between a parent and its
child, in one store transaction (``AccountAdmin.transfer_credit``).

Reading several accounts' messages at once merges each account's own page
(newest first, ordered by message id, which sorts by creation time), so the
single-account query that every client uses is the only query there is: the
family view costs one such query per account, and only when it is asked for.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Sequence

from heliograph.domain.accounts import Account
from heliograph.domain.family import check_child_price, check_child_sender, may_manage
from heliograph.domain.ids import AccountId, MessageId
from heliograph.domain.messages import MessageView
from heliograph.domain.pricing import PriceList, from_micros
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.domain.senders import Senders, validate_sender
from heliograph.services.accounts import AccountService, NewAccount
from heliograph.services.messages import MAX_PAGE
from heliograph.services.ports import Clock
from heliograph.store.base import (
    AccountAdmin,
    Balance,
    Bucket,
    Conflict,
    InsufficientCredit,
    MessageFilter,
    MessageStats,
    NotFound,
    Store,
)


class SubAccountService:
    def __init__(
        self,
        store: Store,
        accounts: AccountService,
        clock: Clock,
        *,
        administration: AccountAdmin | None,
    ) -> None:
        self._store = store
        self._accounts = accounts
        self._clock = clock
        self._administration = administration

    def _admin(self) -> AccountAdmin:
        if self._administration is None:
            raise Rejected(
                RejectReason.NOT_SUPPORTED, "sub-accounts are not supported on this store"
            )
        return self._administration

    # the family ----------------------------------------------------------------

    async def children(self, parent: Account) -> list[Account]:
        return await self._admin().children(parent.id)

    async def managed(self, caller: Account, name: str, *, sub_only: bool = True) -> Account:
        """The account named ``name`` if ``caller`` manages it (an admin, or its parent);
        with ``sub_only``, only if it is a sub-account (an admin manages the others with
        the admin API).

        Raises: Rejected(NOT_FOUND), alike for no such account and for another's.
        """
        target = await self._store.find_account(name)
        if (
            target is None
            or not may_manage(caller, target)
            or (sub_only and target.parent_id is None)
        ):
            raise Rejected(RejectReason.NOT_FOUND, f"no sub-account named {name!r}", field="name")
        return target

    async def parent_name(self, account: Account) -> str:
        """The name of the account's parent ('' for none)."""
        if account.parent_id is None:
            return ""
        parent = await self._store.get_account(account.parent_id)
        return parent.name if parent is not None else ""

    async def create(
        self,
        parent: Account,
        name: str,
        *,
        callback_url: str | None = None,
        ip_allowlist: tuple[str, ...] = (),
    ) -> NewAccount:
        """A child of ``parent`` (never an admin). Raises: Rejected(INVALID_REQUEST)."""
        if parent.parent_id is not None:
            raise Rejected(
                RejectReason.INVALID_REQUEST,
                f"{parent.name} is a sub-account: sub-accounts cannot have their own",
                field="parent",
            )
        return await self._accounts.create(
            name, callback_url=callback_url, ip_allowlist=ip_allowlist, parent_id=parent.id
        )

    async def set_parent(self, account: Account, parent: Account | None) -> Account:
        """Attach an account to a parent, or detach it (None). Raises: Rejected."""
        if account.is_admin and parent is not None:
            raise Rejected(
                RejectReason.INVALID_REQUEST,
                "an admin account cannot be a sub-account",
                field="parent",
            )
        try:
            changed = await self._admin().set_parent(account.id, parent.id if parent else None)
        except Conflict as exc:
            raise Rejected(RejectReason.INVALID_REQUEST, str(exc), field="parent") from exc
        except NotFound as exc:
            raise Rejected(RejectReason.NOT_FOUND, str(exc), field="parent") from exc
        self._accounts.forget_prices()
        return changed

    # funding -------------------------------------------------------------------

    async def transfer(self, child: Account, amount_micros: int) -> tuple[Balance, Balance]:
        """Move credit from the child's parent to it (negative: back). Returns (parent, child).

        Raises: Rejected(INVALID_REQUEST | INSUFFICIENT_CREDIT | NOT_FOUND).
        """
        if child.parent_id is None:
            raise Rejected(
                RejectReason.INVALID_REQUEST, f"{child.name} has no parent account", field="name"
            )
        if amount_micros == 0:
            raise Rejected(RejectReason.INVALID_REQUEST, "amount must not be 0", field="amount")
        parent_id, now = child.parent_id, self._clock.now()
        try:
            if amount_micros > 0:
                return await self._admin().transfer_credit(
                    parent_id, child.id, amount_micros, f"transfer to {child.name}", now
                )
            back, to_parent = await self._admin().transfer_credit(
                child.id, parent_id, -amount_micros, f"transfer back from {child.name}", now
            )
            return to_parent, back
        except InsufficientCredit as exc:
            payer = "the parent account" if amount_micros > 0 else child.name
            raise Rejected(
                RejectReason.INSUFFICIENT_CREDIT,
                f"{payer} has {from_micros(exc.balance_micros)}, the transfer needs"
                f" {from_micros(exc.needed_micros)}",
                field="amount",
            ) from exc
        except Conflict as exc:
            raise Rejected(RejectReason.INVALID_REQUEST, str(exc), field="amount") from exc
        except NotFound as exc:
            raise Rejected(RejectReason.NOT_FOUND, str(exc), field="name") from exc

    # senders and prices, within the parent's -----------------------------------

    async def senders(self, account: Account) -> tuple[list[tuple[str, bool]], Senders]:
        """(the account's own sender ids, those in force for it)."""
        return await self._store.senders(account.id), await self._accounts.senders(account.id)

    async def add_sender(self, account: Account, sender: str, *, default: bool) -> str:
        """Raises: Rejected(INVALID_SENDER | SENDER_NOT_ALLOWED)."""
        value = validate_sender(sender)
        if account.parent_id is not None:
            check_child_sender(await self._accounts.senders(account.parent_id), value)
        await self._store.add_sender(account.id, value, default=default, now=self._clock.now())
        self._accounts.forget_prices()
        return value

    async def remove_sender(self, account: Account, sender: str) -> None:
        """Raises: Rejected(NOT_FOUND)."""
        if not await self._store.remove_sender(account.id, sender):
            raise Rejected(
                RejectReason.NOT_FOUND, f"{account.name} has no sender {sender!r}", field="sender"
            )
        self._accounts.forget_prices()

    async def prices(self, account: Account) -> tuple[dict[str, int], PriceList]:
        """(the account's own prices by prefix, the list in force for it)."""
        own, _ = await self._store.price_lists(account.id)
        return own, await self._accounts.prices(account.id)

    async def set_price(self, account: Account, prefix: str, price_micros: int) -> None:
        """Raises: Rejected(INVALID_REQUEST) for a bad prefix or a price below the parent's."""
        if prefix and not prefix.isdigit():
            raise Rejected(
                RejectReason.INVALID_REQUEST,
                "the prefix is digits only (no '+'), or '' for the default",
                field="prefix",
            )
        if price_micros < 0:
            raise Rejected(
                RejectReason.INVALID_REQUEST, "a price cannot be negative", field="price"
            )
        if account.parent_id is not None:
            check_child_price(await self._accounts.prices(account.parent_id), prefix, price_micros)
        await self._store.set_price(account.id, prefix, price_micros)
        self._accounts.forget_prices()

    async def delete_price(self, account: Account, prefix: str) -> None:
        if not await self._store.delete_price(account.id, prefix):
            raise Rejected(
                RejectReason.NOT_FOUND,
                f"{account.name} has no price for {prefix!r}",
                field="prefix",
            )
        self._accounts.forget_prices()

    # seeing --------------------------------------------------------------------

    async def visible(
        self, caller: Account, name: str | None, *, include_children: bool
    ) -> list[Account]:
        """The accounts a read covers: ``name`` (the caller, or one it manages; None: the
        caller), and with ``include_children`` that account's children too.

        Raises: Rejected(NOT_FOUND) for an account the caller does not manage.
        """
        chosen = (
            caller
            if name is None or name == caller.name
            else await self.managed(caller, name, sub_only=False)
        )
        if not include_children:
            return [chosen]
        return [chosen, *await self._admin().children(chosen.id)]

    async def list_messages(
        self,
        account_ids: Sequence[AccountId],
        flt: MessageFilter,
        *,
        cursor: str | None,
        limit: int,
    ) -> tuple[list[MessageView], str | None]:
        """A page of the accounts' messages together, newest first, and the next cursor."""
        if not 1 <= limit <= MAX_PAGE:
            raise Rejected(
                RejectReason.INVALID_REQUEST, f"limit must be 1 to {MAX_PAGE}", field="limit"
            )
        before = MessageId(cursor) if cursor else None
        pages = [
            await self._store.list_messages(a, flt, before=before, limit=limit + 1)
            for a in account_ids
        ]
        merged = list(heapq.merge(*pages, key=lambda v: v.id, reverse=True))[: limit + 1]
        if len(merged) > limit:
            return merged[:limit], merged[limit - 1].id
        return merged, None

    async def find_message(
        self, caller: Account, message_id: MessageId
    ) -> tuple[Account, MessageView] | None:
        """A message of an account the caller manages, with that account (not the caller's
        own messages: MessageService reads those)."""
        if caller.parent_id is not None and not caller.is_admin:
            return None  # a sub-account has no children
        owner = await self._admin().message_account(message_id)
        if owner is None or owner == caller.id:
            return None
        account = await self._store.get_account(owner)
        if account is None or not may_manage(caller, account):
            return None
        view = await self._store.get_message(owner, message_id)
        return (account, view) if view is not None else None

    async def stats(
        self, accounts: Sequence[Account], created_from: float | None, created_to: float | None
    ) -> tuple[MessageStats, list[tuple[Account, Bucket]]]:
        """The accounts' figures added up, and each account's total."""
        each = [await self._store.message_stats(a.id, created_from, created_to) for a in accounts]
        return merge_stats(each), [(a, s.total) for a, s in zip(accounts, each, strict=True)]


def merge_stats(stats: Sequence[MessageStats]) -> MessageStats:
    """Several accounts' figures as one: buckets with the same key added up, in key order."""
    return MessageStats(
        total=_sum(None, [s.total for s in stats]),
        test_messages=sum(s.test_messages for s in stats),
        by_status=_add([b for s in stats for b in s.by_status]),
        by_day=_add([b for s in stats for b in s.by_day]),
        by_connector=_add([b for s in stats for b in s.by_connector]),
    )


def _sum(key: str | None, buckets: Sequence[Bucket]) -> Bucket:
    return Bucket(
        key=key,
        messages=sum(b.messages for b in buckets),
        parts=sum(b.parts for b in buckets),
        cost_micros=sum(b.cost_micros for b in buckets),
    )


def _add(buckets: Sequence[Bucket]) -> list[Bucket]:
    by_key: dict[str | None, list[Bucket]] = defaultdict(list)
    for b in buckets:
        by_key[b.key].append(b)
    keys = sorted(by_key, key=lambda k: (k is not None, k or ""))  # no key first
    return [_sum(k, by_key[k]) for k in keys]
