"""Credit on the PostgreSQL store: not supported yet.

Price lists cannot be set on PostgreSQL in this version, so every price list
is empty and sending is free (credit is not enforced); the operations that
would change credit answer with a clear error instead of doing nothing.
"""

from __future__ import annotations

from heliograph.domain.ids import AccountId
from heliograph.store.base import Balance, StoreError

NOT_SUPPORTED = "credit and price lists are not supported on the PostgreSQL store in this version"


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
