"""Credit and sender id lists on the PostgreSQL store: not supported yet.

Price lists and sender id lists cannot be set on PostgreSQL in this version,
so every price list is empty (sending is free, credit is not enforced) and
every account may use any valid sender; the operations that would change them
answer with a clear error instead of doing nothing.
"""

from __future__ import annotations

from heliograph.domain.ids import AccountId
from heliograph.store.base import Balance, StoreError

NOT_SUPPORTED = "credit and price lists are not supported on the PostgreSQL store in this version"
SENDERS_NOT_SUPPORTED = "sender id lists are not supported on the PostgreSQL store in this version"


class PostgresCredit:
    async def balance(self, account_id: AccountId) -> Balance:
        return Balance(account_id=account_id, balance_micros=0, currency="EUR")

    async def adjust_balance(
        self, account_id: AccountId, amount_micros: int, reason: str, now: float
    ) -> Balance:
        raise StoreError(NOT_SUPPORTED)

    async def set_price(self, account_id: AccountId | None, prefix: str, price_micros: int) -> None:
        raise StoreError(NOT_SUPPORTED)

    async def delete_price(self, account_id: AccountId | None, prefix: str) -> bool:
        raise StoreError(NOT_SUPPORTED)

    async def price_lists(self, account_id: AccountId) -> tuple[dict[str, int], dict[str, int]]:
        return {}, {}

    async def senders(self, account_id: AccountId) -> list[tuple[str, bool]]:
        return []

    async def add_sender(
        self, account_id: AccountId, sender: str, *, default: bool, now: float
    ) -> None:
        raise StoreError(SENDERS_NOT_SUPPORTED)

    async def remove_sender(self, account_id: AccountId, sender: str) -> bool:
        raise StoreError(SENDERS_NOT_SUPPORTED)
