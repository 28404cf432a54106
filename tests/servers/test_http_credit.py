"""Credit over REST: balance, cost estimates, charges, refusals when credit runs out."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp.test_utils import TestClient, TestServer

from heliograph.app import Gateway
from heliograph.config import Config, CreditConfig, StoreConfig
from heliograph.domain.accounts import AccountRules, parse_rules
from heliograph.servers.http.app import build_app
from heliograph.store.base import AccountChanges
from tests.support.clock import FakeClock


@dataclass
class Api:
    client: TestClient  # type: ignore[type-arg]
    gateway: Gateway
    headers: dict[str, str]
    account_id: str


@pytest.fixture
async def api(tmp_path: object) -> AsyncIterator[Api]:
    async with _serve(tmp_path, CreditConfig()) as served:
        yield served


@pytest.fixture
async def delivery_api(tmp_path: object) -> AsyncIterator[Api]:
    async with _serve(tmp_path, CreditConfig(settle="delivery")) as served:
        yield served


@contextlib.asynccontextmanager
async def _serve(tmp_path: object, credit: CreditConfig) -> AsyncIterator[Api]:
    clock = FakeClock()
    gateway = Gateway(
        Config(data_dir=str(tmp_path), store=StoreConfig(url="memory://"), credit=credit),
        clock=clock,
    )
    await gateway.store.open()
    new = await gateway.create_account("shop")
    await gateway.store.set_price(None, "", 50_000)
    await gateway.store.set_price(None, "44", 40_000)
    await gateway.store.adjust_balance(new.account.id, 200_000, "top up", clock.now())
    app = build_app(gateway.http_services())
    async with TestClient(TestServer(app)) as client:
        yield Api(client, gateway, {"Authorization": f"Bearer {new.api_key}"}, new.account.id)
    await gateway.store.close()


async def test_balance(api: Api) -> None:
    resp = await api.client.get("/v1/balance", headers=api.headers)
    assert resp.status == 200
    assert await resp.json() == {"balance": "0.200000", "currency": "EUR", "reserved": "0.000000"}


async def test_balance_shows_the_reserve_when_prices_settle_on_delivery(delivery_api: Api) -> None:
    api = delivery_api
    resp = await api.client.post(
        "/v1/messages",
        json={"to": ["+447700900001", "+33612345678"], "text": "hi"},
        headers=api.headers,
    )
    assert resp.status == 202
    resp = await api.client.get("/v1/balance", headers=api.headers)
    assert await resp.json() == {"balance": "0.110000", "currency": "EUR", "reserved": "0.090000"}
    ledger = await api.gateway.store.ledger(api.account_id)  # type: ignore[arg-type]
    assert [(r.kind.value, r.amount_micros, r.reserve_change_micros) for r in ledger] == [
        ("reserve", -90_000, 90_000),
        ("adjust", 200_000, 0),
    ]


async def test_cost_estimate_prices_per_part_and_sends_nothing(api: Api) -> None:
    body = {"to": ["+447700900001", "+33612345678", "bad"], "text": "x" * 161}
    resp = await api.client.post("/v1/messages/cost", json=body, headers=api.headers)
    assert resp.status == 200
    answer = await resp.json()
    assert answer["parts"] == 4
    assert answer["cost"] == "0.180000"  # 2 parts × 0.04 + 2 parts × 0.05
    assert [m.get("cost") for m in answer["messages"]] == ["0.080000", "0.100000", None]
    assert answer["messages"][2]["error"]["code"] == "invalid_destination"
    listing = await (await api.client.get("/v1/messages", headers=api.headers)).json()
    assert listing["messages"] == []
    assert (await (await api.client.get("/v1/balance", headers=api.headers)).json())[
        "balance"
    ] == "0.200000"


async def test_send_charges_and_insufficient_credit_is_402_with_nothing_stored(
    api: Api,
) -> None:
    resp = await api.client.post(
        "/v1/messages",
        json={"to": ["+447700900001", "+447700900002"], "text": "hi"},
        headers=api.headers,
    )
    assert resp.status == 202
    balance = await (await api.client.get("/v1/balance", headers=api.headers)).json()
    assert balance["balance"] == "0.120000"
    resp = await api.client.post(
        "/v1/messages",
        json={
            "to": ["+447700900003", "+447700900004", "+447700900005", "+447700900006"],
            "text": "hi",
        },
        headers=api.headers,
    )
    assert resp.status == 402
    error = (await resp.json())["error"]
    assert error["code"] == "insufficient_credit" and "0.12" in error["message"]
    listing = await (await api.client.get("/v1/messages", headers=api.headers)).json()
    assert len(listing["messages"]) == 2
    # the refused request left no duplicate record: once credited, the same request passes
    await api.gateway.store.adjust_balance(api.account_id, 1_000_000, "top up", 0)  # type: ignore[arg-type]
    resp = await api.client.post(
        "/v1/messages",
        json={
            "to": ["+447700900003", "+447700900004", "+447700900005", "+447700900006"],
            "text": "hi",
        },
        headers=api.headers,
    )
    assert resp.status == 202


async def test_concurrent_requests_never_overspend(api: Api) -> None:
    async def send(i: int) -> int:
        resp = await api.client.post(
            "/v1/messages", json={"to": f"+4477009{i:05d}", "text": "hi"}, headers=api.headers
        )
        return resp.status

    statuses = await asyncio.gather(*(send(i) for i in range(12)))
    assert statuses.count(202) == 5 and statuses.count(402) == 7
    balance = await (await api.client.get("/v1/balance", headers=api.headers)).json()
    assert balance["balance"] == "0.000000"


async def test_destination_without_price_is_refused_per_recipient(api: Api) -> None:
    await api.gateway.store.delete_price(None, "")
    api.gateway.accounts.forget_prices()
    resp = await api.client.post(
        "/v1/messages",
        json={"to": ["+447700900001", "+33612345678"], "text": "hi"},
        headers=api.headers,
    )
    answer = await resp.json()
    assert answer["accepted"] == 1
    assert answer["messages"][1]["error"]["code"] == "no_route"


async def test_sender_ids_restrict_from_and_fill_the_default(api: Api) -> None:
    resp = await api.client.get("/v1/senders", headers=api.headers)
    assert await resp.json() == {"senders": [], "default": None, "restricted": False}
    await api.gateway.store.add_sender(api.account_id, "Shop", default=True, now=0)  # type: ignore[arg-type]
    await api.gateway.store.add_sender(api.account_id, "Info", default=False, now=0)  # type: ignore[arg-type]
    api.gateway.accounts.forget_prices()
    resp = await api.client.get("/v1/senders", headers=api.headers)
    assert await resp.json() == {"senders": ["Info", "Shop"], "default": "Shop", "restricted": True}
    resp = await api.client.post(
        "/v1/messages",
        json={"to": "+447700900001", "text": "a", "from": "Other"},
        headers=api.headers,
    )
    assert resp.status == 403
    assert (await resp.json())["error"] == {
        "code": "sender_not_allowed",
        "message": "sender 'Other' is not one of this account's sender ids (GET /v1/senders "
        "lists them)",
        "field": "from",
    }
    resp = await api.client.post(
        "/v1/messages", json={"to": "+447700900001", "text": "b"}, headers=api.headers
    )
    mid = (await resp.json())["messages"][0]["id"]
    view = await (await api.client.get(f"/v1/messages/{mid}", headers=api.headers)).json()
    assert view["from"] == "Shop"


@pytest.mark.parametrize(
    ("gateway", "own", "reserved"),
    [("submit", "delivery", "0.040000"), ("delivery", "submit", "0.000000")],
)
async def test_an_accounts_own_settle_rule_overrides_the_gateways(
    tmp_path: object, gateway: str, own: str, reserved: str
) -> None:
    async with _serve(tmp_path, CreditConfig(settle=gateway)) as api:
        accounts = api.gateway.accounts
        shop = await accounts.named("shop")
        await accounts.update(shop, AccountChanges(rules=AccountRules(settle=own)))
        body = {"to": "+447700900001", "text": "hi"}
        resp = await api.client.post("/v1/messages", json=body, headers=api.headers)
        assert resp.status == 202
        answer = await (await api.client.get("/v1/balance", headers=api.headers)).json()
        assert (answer["balance"], answer["reserved"]) == ("0.160000", reserved)


def test_the_settle_rule_is_submit_or_delivery() -> None:
    assert parse_rules({"settle": "delivery"}) == AccountRules(settle="delivery")
    with pytest.raises(ValueError, match=r"rules\.settle"):
        parse_rules({"settle": "weekly"})
    with pytest.raises(ValueError, match=r"rules\.settle"):
        parse_rules({"settle": True})
