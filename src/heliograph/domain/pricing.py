"""Money and price lists.

Amounts are ``Decimal`` in the domain and whole micro-units (10⁻⁶ of the
currency unit) in storage, so sums are exact everywhere. A price list maps
destination prefixes (digits after ``+``) to a price per part; the longest
matching prefix wins and the empty prefix is the default. An account's own
list takes precedence over the gateway-wide one. No list at all means sending
is free and credit is not enforced; a list that has no entry for a
destination means there is no price, and the message is refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation

from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.domain.submission import RecipientPlan

MICROS = Decimal(1_000_000)


def to_micros(amount: Decimal) -> int:
    """Raises: ValueError when the amount has more than six decimals."""
    micros = amount * MICROS
    if micros != micros.to_integral_value():
        raise ValueError(f"{amount} has more than 6 decimals")
    return int(micros)


def from_micros(micros: int) -> Decimal:
    return (Decimal(micros) / MICROS).quantize(Decimal("0.000001"))


def parse_amount(text: str, *, field: str = "amount") -> Decimal:
    """A decimal amount from text. Raises: Rejected(INVALID_REQUEST)."""
    try:
        amount = Decimal(text)
        if not amount.is_finite() or abs(amount) >= 10**12:
            raise ValueError("not a finite amount below 10^12")
        to_micros(amount)
    except (InvalidOperation, ValueError) as exc:
        raise Rejected(
            RejectReason.INVALID_REQUEST,
            f"{text!r} is not an amount below 10^12 with at most 6 decimals",
            field=field,
        ) from exc
    return amount


@dataclass(frozen=True, slots=True, kw_only=True)
class PriceList:
    """Price per part in micro-units by destination prefix."""

    prices: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, entries: Iterable[tuple[str, int]]) -> PriceList:
        return cls(prices=dict(entries))

    @property
    def enforced(self) -> bool:
        return bool(self.prices)

    def price_micros(self, to: str) -> int | None:
        """Price per part for a destination, or None when the list has none for it."""
        if not self.prices:
            return 0
        digits = to.lstrip("+")
        for end in range(len(digits), -1, -1):
            price = self.prices.get(digits[:end])
            if price is not None:
                return price
        return None


def merge(account: PriceList, default: PriceList) -> PriceList:
    """The account's list over the gateway-wide one (prefix by prefix)."""
    return PriceList(prices={**default.prices, **account.prices})


def price_plans(plans: list[RecipientPlan], prices: PriceList) -> tuple[list[RecipientPlan], int]:
    """Give every planned message its price per part; a recipient without a price is
    refused with NO_ROUTE. Returns the plans and the total cost in micro-units."""
    if not prices.enforced:
        return plans, 0
    out: list[RecipientPlan] = []
    total = 0
    for plan in plans:
        msg = plan.message
        if msg is not None:
            price = prices.price_micros(msg.to)
            if price is None:
                plan = replace(
                    plan,
                    message=None,
                    error=Rejected(
                        RejectReason.NO_ROUTE,
                        f"no price for {msg.to} in the price list",
                        field="to",
                    ),
                )
            else:
                plan = replace(plan, message=replace(msg, price_micros=price))
                total += price * msg.parts
        out.append(plan)
    return out, total
