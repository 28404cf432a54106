"""MO routing: which route wins, what an MO writes, the message.received event."""

from __future__ import annotations

from dataclasses import replace

import pytest

from heliograph.domain.accounts import Account
from heliograph.domain.ids import AccountId, ConnectorId, MessageId
from heliograph.domain.inbound import (
    SMPP_MO_URL,
    DeliveryMethod,
    MoRoute,
    mo_route_spec,
    plan_mo,
    route_number,
    select_mo_route,
)
from heliograph.domain.messages import MoMessage
from heliograph.domain.optout import ConsentAction, KeywordAction, Keywords
from heliograph.domain.rejections import Rejected

T0 = 1_800_000_000.0
A = AccountId("acct-a")
B = AccountId("acct-b")


def route(
    id: int,
    number: str,
    account: AccountId = A,
    keyword: str | None = None,
    method: DeliveryMethod = DeliveryMethod.HTTP,
    url: str | None = None,
) -> MoRoute:
    return MoRoute(
        id=id,
        number=number,
        keyword=keyword,
        account_id=account,
        method=method,
        url=url,
        created_at=T0,
    )


def mo(text: str = "hello", to: str = "+447700900000", sender: str = "+447911123456") -> MoMessage:
    return MoMessage(
        id=MessageId("MO1"),
        connector=ConnectorId("loopback"),
        sender=sender,
        to=to,
        text=text,
        received_at=T0 + 0.1234,
    )


def account(callback_url: str | None = "https://a.example/hook", id: AccountId = A) -> Account:
    return Account(
        id=id, name="shop", callback_url=callback_url, callback_secret="whsec", created_at=T0
    )


def test_route_numbers_exact_prefix_and_any() -> None:
    assert route_number("+447700900000") == "447700900000"
    assert route_number("4477009*") == "4477009*"
    assert route_number("+4477*") == "4477*"
    assert route_number("12345") == "12345"
    assert route_number("*") == "*"
    for bad in ("", "+", "44 77", "abc", "44*7", "1234567890123456", "**"):
        with pytest.raises(Rejected) as info:
            route_number(bad)
        assert info.value.field == "number"


def test_route_spec_validation_names_the_field() -> None:
    spec = mo_route_spec("+447700900000", keyword="Pizza", method="http", url="https://x.example/")
    assert spec.keyword == "pizza" and spec.method is DeliveryMethod.HTTP
    for kwargs, field in (
        ({"method": "fax"}, "method"),
        ({"method": "email", "url": "https://x.example/"}, "url"),
        ({"method": "email", "format": "ozeki"}, "format"),
        ({"method": "smpp", "url": "https://x.example/"}, "url"),
        ({"url": "ftp://x"}, "url"),
        ({"keyword": "two words"}, "keyword"),
        ({"keyword": ""}, "keyword"),
    ):
        with pytest.raises(Rejected) as info:
            mo_route_spec("447700900000", **kwargs)  # type: ignore[arg-type]
        assert info.value.field == field


def test_most_specific_route_wins() -> None:
    routes = [
        route(1, "*", B),
        route(2, "4477*", B),
        route(3, "447700*"),
        route(4, "447700900000", B),
        route(5, "447700900000", A, keyword="pizza"),
    ]
    assert select_mo_route(routes, "+447700900000", "PIZZA please").id == 5  # type: ignore[union-attr]
    assert select_mo_route(routes, "447700900000", "Pizza.").id == 5  # type: ignore[union-attr]
    assert select_mo_route(routes, "+447700900000", "pasta").id == 4  # type: ignore[union-attr]
    assert select_mo_route(routes, "+447700900001", "x").id == 3  # type: ignore[union-attr]
    assert select_mo_route(routes, "+447711000000", "x").id == 2  # type: ignore[union-attr]
    assert select_mo_route(routes, "12345", "x").id == 1  # type: ignore[union-attr]
    assert select_mo_route(routes[1:], "12345", "x") is None


def test_keyword_route_on_a_prefix_loses_to_an_exact_number() -> None:
    routes = [route(1, "4477*", B, keyword="pizza"), route(2, "447700900000")]
    assert select_mo_route(routes, "+447700900000", "pizza").id == 2  # type: ignore[union-attr]
    assert select_mo_route(routes, "+447700900001", "pizza").id == 1  # type: ignore[union-attr]
    assert select_mo_route(routes, "+447700900001", "pasta") is None


def test_an_equal_tie_goes_to_the_oldest_route() -> None:
    routes = [route(7, "4477*", B), route(3, "4478*"), route(2, "4477*", A)]
    assert select_mo_route(routes, "+447700900000", "x").id == 2  # type: ignore[union-attr]


def test_routed_mo_is_delivered_as_a_json_event_to_the_accounts_callback() -> None:
    plan = plan_mo(mo(), route(1, "447700900000"), account(), Keywords.of(), T0 + 1)
    assert plan.record.account_id == A and plan.record.route_id == 1
    assert plan.delivery is not None and plan.delivery.format == "json"
    assert plan.delivery.url == "https://a.example/hook"
    assert plan.delivery.event == {
        "event": "message.received",
        "id": "MO1",
        "from": "+447911123456",
        "to": "+447700900000",
        "text": "hello",
        "received_at": round(T0 + 0.1234, 3),
        "incomplete": False,
        "keyword": None,
    }
    assert plan.consent is None and plan.undelivered is None


def test_route_url_overrides_and_smpp_goes_to_the_receiver_binds() -> None:
    own = plan_mo(mo(), route(1, "*", url="https://r.example/mo"), account(), None, T0)
    assert own.delivery is not None and own.delivery.url == "https://r.example/mo"
    smpp = plan_mo(
        mo("Pizza now"),
        route(1, "*", keyword="pizza", method=DeliveryMethod.SMPP),
        account(),
        None,
        T0,
    )
    assert smpp.delivery is not None
    assert smpp.delivery.url == SMPP_MO_URL and smpp.delivery.format == "smpp"
    assert smpp.delivery.event["keyword"] == "pizza" and smpp.record.keyword == "pizza"


def test_an_email_route_mails_the_account_address_or_says_why_not() -> None:
    email = route(1, "*", method=DeliveryMethod.EMAIL)
    shop = replace(account(), email="desk@shop.example")
    plan = plan_mo(mo("STOP"), email, shop, Keywords.of(), T0)
    assert plan.delivery is not None
    assert (plan.delivery.url, plan.delivery.format) == ("mailto:desk@shop.example", "email")
    assert plan.delivery.event["text"] == "STOP" and plan.delivery.event["to"] == "+447700900000"
    assert plan.consent is not None  # keywords act whatever the delivery method
    none = plan_mo(mo(), email, account(), None, T0)
    assert none.delivery is None and none.record.account_id == A
    assert none.undelivered == "account shop has no e-mail address (accounts set --email)"


def test_routed_mo_without_any_url_is_kept_with_a_reason() -> None:
    plan = plan_mo(mo(), route(1, "*"), account(callback_url=None), None, T0)
    assert plan.record.account_id == A and plan.delivery is None
    assert plan.undelivered is not None and "callback URL" in plan.undelivered


def test_unrouted_mo_is_kept_without_account_and_keywords_are_ignored() -> None:
    for r, acct in ((None, None), (route(1, "*"), None)):
        plan = plan_mo(mo("STOP"), r, acct, Keywords.of(), T0)
        assert plan.record.account_id is None and plan.record.route_id is None
        assert plan.delivery is None and plan.consent is None and plan.record.action is None


def test_stop_in_a_routed_mo_opts_the_sender_out_and_is_still_delivered() -> None:
    plan = plan_mo(mo("Stop", sender="447911123456"), route(1, "*"), account(), Keywords.of(), T0)
    assert plan.record.action is KeywordAction.STOP
    assert plan.consent is not None and plan.consent.action is ConsentAction.OPT_OUT
    assert plan.consent.number == "+447911123456" and plan.consent.mo_id == "MO1"
    assert plan.consent.at == T0 and plan.consent.keyword == "STOP"
    assert plan.delivery is not None and plan.delivery.event["text"] == "Stop"


def test_keywords_off_means_no_consent() -> None:
    plan = plan_mo(mo("STOP"), route(1, "*"), account(), None, T0)
    assert plan.consent is None and plan.record.action is None


def test_help_is_marked_for_an_answer_without_consent() -> None:
    plan = plan_mo(mo("help"), route(1, "*"), account(), Keywords.of(), T0)
    assert plan.record.action is KeywordAction.HELP and plan.consent is None
