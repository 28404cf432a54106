"""Credit, sender ids, MO routing, opt-outs and test mode on PostgreSQL: not supported yet.

Price lists and sender id lists cannot be set on PostgreSQL in this version,
so every price list is empty (sending is free, credit is not enforced) and
every account may use any valid sender; the operations that would change them
answer with a clear error instead of doing nothing. Likewise there are no MO
routes (an MO is not stored: ``insert_mo`` refuses), no opt-outs and no test
mode (``AccountModes.test_supported`` is False, so a test request is refused),
and statistics answer not supported.
"""

from __future__ import annotations

from collections.abc import Sequence

from heliograph.domain.ids import AccountId, MessageId
from heliograph.domain.inbound import MoPlan, MoRecord, MoRoute, MoRouteSpec
from heliograph.domain.optout import Consent, OptOut
from heliograph.store.base import AccountModes, Balance, MessageStats, StoreError

NOT_SUPPORTED = "credit and price lists are not supported on the PostgreSQL store in this version"
SENDERS_NOT_SUPPORTED = "sender id lists are not supported on the PostgreSQL store in this version"
INBOUND_NOT_SUPPORTED = (
    "MO routing, opt-out lists and test mode are not supported on the PostgreSQL store "
    "in this version"
)
STATS_NOT_SUPPORTED = "statistics are not supported on the PostgreSQL store in this version"


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

    async def add_mo_route(self, spec: MoRouteSpec, account_id: AccountId, now: float) -> MoRoute:
        raise StoreError(INBOUND_NOT_SUPPORTED)

    async def mo_routes(self) -> list[MoRoute]:
        return []

    async def remove_mo_route(self, route_id: int) -> bool:
        raise StoreError(INBOUND_NOT_SUPPORTED)

    async def insert_mo(self, plans: Sequence[MoPlan], now: float) -> list[MessageId]:
        raise StoreError(INBOUND_NOT_SUPPORTED)

    async def list_mo(
        self, account_id: AccountId | None, *, before: MessageId | None, limit: int
    ) -> list[MoRecord]:
        return []

    async def account_modes(self, account_id: AccountId) -> AccountModes:
        return AccountModes(test_supported=False)

    async def set_test_mode(self, account_id: AccountId, on: bool) -> None:
        raise StoreError(INBOUND_NOT_SUPPORTED)

    async def record_consent(self, consent: Consent) -> bool:
        raise StoreError(INBOUND_NOT_SUPPORTED)

    async def opted_out(self, account_id: AccountId, numbers: Sequence[str]) -> set[str]:
        return set()

    async def optouts(
        self, account_id: AccountId, *, after: str | None, limit: int
    ) -> list[OptOut]:
        return []

    async def consents(self, account_id: AccountId, number: str) -> list[Consent]:
        return []

    async def message_stats(
        self, account_id: AccountId, created_from: float | None, created_to: float | None
    ) -> MessageStats:
        raise StoreError(STATS_NOT_SUPPORTED)
