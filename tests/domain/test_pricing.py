from __future__ import annotations

from decimal import Decimal

import pytest

from heliograph.domain.ids import AccountId
from heliograph.domain.pricing import (
    PriceList,
    from_micros,
    merge,
    parse_amount,
    price_plans,
    to_micros,
)
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.domain.submission import SubmitLimits, SubmitRequest, plan_submission
from heliograph.services.ids import message_ids

T0 = 1_800_000_000.0


def test_longest_prefix_wins_and_empty_prefix_is_the_default() -> None:
    prices = PriceList.of([("", 50_000), ("44", 40_000), ("447", 30_000)])
    assert prices.price_micros("+447700900001") == 30_000
    assert prices.price_micros("+441234567890") == 40_000
    assert prices.price_micros("+33612345678") == 50_000


def test_no_entry_for_destination_is_none_and_empty_list_is_free() -> None:
    assert PriceList.of([("44", 1)]).price_micros("+33612345678") is None
    assert PriceList().price_micros("+33612345678") == 0
    assert not PriceList().enforced


def test_account_list_overrides_default_prefix_by_prefix() -> None:
    merged = merge(PriceList.of([("44", 10)]), PriceList.of([("44", 20), ("33", 30)]))
    assert merged.prices == {"44": 10, "33": 30}


def test_micros_round_trip_exactly() -> None:
    assert to_micros(Decimal("0.045")) == 45_000
    assert from_micros(45_000) == Decimal("0.045000")
    assert to_micros(Decimal("-12.5")) == -12_500_000
    with pytest.raises(ValueError, match="6 decimals"):
        to_micros(Decimal("0.0000001"))


@pytest.mark.parametrize("text", ["abc", "1e400000", "0.1234567", "NaN", "Infinity"])
def test_parse_amount_refuses_garbage(text: str) -> None:
    with pytest.raises(Rejected) as info:
        parse_amount(text)
    assert info.value.reason is RejectReason.INVALID_REQUEST and info.value.field == "amount"


def test_price_plans_charges_per_part_and_refuses_unpriced_destinations() -> None:
    req = SubmitRequest(
        account_id=AccountId("a"),
        to=("+447700900001", "+33612345678", "+491701234567"),
        text="x" * 200,  # two parts
    )
    plans = plan_submission(req, now=T0, ids=message_ids(T0), limits=SubmitLimits())
    priced, total = price_plans(plans, PriceList.of([("44", 30_000), ("49", 70_000)]))
    assert total == 2 * 30_000 + 2 * 70_000
    assert priced[0].message is not None and priced[0].message.price_micros == 30_000
    assert priced[1].message is None and priced[1].error is not None
    assert priced[1].error.reason is RejectReason.NO_ROUTE
    assert priced[2].message is not None and priced[2].message.price_micros == 70_000


def test_price_plans_without_a_list_is_free() -> None:
    req = SubmitRequest(account_id=AccountId("a"), to=("+447700900001",), text="x")
    plans = plan_submission(req, now=T0, ids=message_ids(T0), limits=SubmitLimits())
    priced, total = price_plans(plans, PriceList())
    assert total == 0 and priced == plans
