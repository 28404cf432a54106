"""/v1/optouts, /v1/stats, /v1/messages.csv, /v1/simulate/mo and test mode, in process."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from heliograph.app import Gateway
from heliograph.config import Config, ConnectorConfig, StoreConfig
from heliograph.domain.ids import AccountId, ConnectorId
from heliograph.domain.inbound import mo_route_spec
from heliograph.servers.http.app import build_app
from heliograph.store.base import MessageFilter
from tests.support.clock import FakeClock

SHORT = "+447700900000"
SUB = "+447911123456"


@dataclass
class Api:
    client: TestClient  # type: ignore[type-arg]
    gateway: Gateway
    key: str
    account_id: AccountId
    other_key: str
    clock: FakeClock

    def auth(self, key: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {key or self.key}"}

    async def call(self, method: str, path: str, **kw: Any) -> tuple[int, Any]:
        resp = await self.client.request(method, path, headers=self.auth(), **kw)
        if resp.content_type == "application/json":
            return resp.status, await resp.json()
        return resp.status, await resp.text()


@pytest.fixture
async def api(tmp_path: object) -> AsyncIterator[Api]:
    clock = FakeClock()
    cfg = Config(
        data_dir=str(tmp_path),
        store=StoreConfig(url="memory://"),
        connectors=(
            ConnectorConfig(name="loopback"),
            ConnectorConfig(name="upstream", type="smpp", host="127.0.0.1", system_id="gw"),
        ),
    )
    gateway = Gateway(cfg, clock=clock)
    await gateway.store.open()
    first = await gateway.create_account("alice", callback_url="https://alice.example/hook")
    second = await gateway.create_account("bob")
    app = build_app(gateway.http_services(), inbound=gateway.inbound_http())
    async with TestClient(TestServer(app)) as client:
        yield Api(client, gateway, first.api_key, first.account.id, second.api_key, clock)
    await gateway.store.close()


async def send(api: Api, body: dict[str, Any]) -> dict[str, Any]:
    status, answer = await api.call("POST", "/v1/messages", json=body)
    assert status == 202, answer
    return answer  # type: ignore[no-any-return]


# --- test mode -----------------------------------------------------------------------------


async def test_test_request_answers_test_and_cost_and_is_marked(api: Api) -> None:
    await api.gateway.store.set_price(None, "44", 45_000)
    await api.gateway.store.adjust_balance(api.account_id, 1_000_000, "top up", api.clock.now())
    answer = await send(api, {"to": [SUB, "+447911000002"], "text": "a" * 161, "test": True})
    assert answer["test"] is True and answer["cost"] == "0.180000" and answer["accepted"] == 2
    status, view = await api.call("GET", f"/v1/messages/{answer['messages'][0]['id']}")
    assert status == 200 and view["test"] is True
    _, balance = await api.call("GET", "/v1/balance")
    assert balance["balance"] == "1.000000"
    real = await send(api, {"to": SUB, "text": "real"})
    assert "test" not in real and "cost" not in real
    _, balance = await api.call("GET", "/v1/balance")
    assert balance["balance"] == "0.955000"


async def test_test_field_must_be_a_boolean(api: Api) -> None:
    status, body = await api.call("POST", "/v1/messages", json={"to": SUB, "text": "x", "test": 1})
    assert status == 400 and body["error"]["field"] == "test"


async def test_account_test_mode_marks_every_message(api: Api) -> None:
    await api.gateway.store.set_test_mode(api.account_id, True)
    answer = await send(api, {"to": SUB, "text": "hi"})
    assert answer["test"] is True and answer["cost"] == "0.000000"


# --- opt-outs ------------------------------------------------------------------------------


async def test_optouts_add_list_read_remove(api: Api) -> None:
    status, entry = await api.call(
        "POST", "/v1/optouts", json={"number": "+447911000002", "reason": "asked by phone"}
    )
    assert status == 201
    assert entry["number"] == "+447911000002" and entry["reason"] == "asked by phone"
    assert entry["source"] == "api" and entry["keyword"] is None
    status, _ = await api.call("POST", "/v1/optouts", json={"number": "00447911000002"})
    assert status == 200
    await api.call("POST", "/v1/optouts", json={"number": SUB})
    status, page = await api.call("GET", "/v1/optouts", params={"limit": "1"})
    assert status == 200 and [o["number"] for o in page["optouts"]] == ["+447911000002"]
    _, page = await api.call("GET", "/v1/optouts", params={"cursor": page["next_cursor"]})
    assert [o["number"] for o in page["optouts"]] == [SUB] and page["next_cursor"] is None
    status, history = await api.call("GET", "/v1/optouts/%2B447911000002")
    assert status == 200 and history["opted_out"] is True
    assert [c["action"] for c in history["consents"]] == ["opt_out", "opt_out"]
    status, _ = await api.call("DELETE", "/v1/optouts/447911000002")
    assert status == 204
    status, body = await api.call("DELETE", "/v1/optouts/447911000002")
    assert status == 404 and body["error"]["code"] == "not_found"
    _, history = await api.call("GET", "/v1/optouts/447911000002")
    assert history["opted_out"] is False and history["consents"][-1]["action"] == "opt_in"
    resp = await api.client.get("/v1/optouts", headers=api.auth(api.other_key))
    assert (await resp.json())["optouts"] == []


async def test_opted_out_recipient_is_refused_in_a_batch(api: Api) -> None:
    await api.call("POST", "/v1/optouts", json={"number": SUB})
    answer = await send(api, {"to": [SUB, "+447911000002"], "text": "offer"})
    assert answer["accepted"] == 1 and answer["rejected"] == 1
    assert answer["messages"][0]["error"]["code"] == "opted_out"
    assert answer["messages"][0]["error"]["field"] == "to"
    resp = await api.client.post(
        "/v1/messages", json={"to": SUB, "text": "offer"}, headers=api.auth(api.other_key)
    )
    assert (await resp.json())["accepted"] == 1


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"number": "12"}, 422, "number"),
        ({"number": SUB, "colour": "red"}, 400, "colour"),
        ({"number": SUB, "reason": "x" * 201}, 400, "reason"),
        ({}, 400, "number"),
    ],
)
async def test_optout_bad_input_names_the_field(
    api: Api, body: dict[str, Any], status: int, field: str | None
) -> None:
    got, answer = await api.call("POST", "/v1/optouts", json=body)
    assert got == status and answer["error"]["field"] == field
    _, page = await api.call("GET", "/v1/optouts")
    assert page["optouts"] == []


async def test_optouts_need_a_key_and_json(api: Api) -> None:
    resp = await api.client.get("/v1/optouts")
    assert resp.status == 401
    status, body = await api.call("POST", "/v1/optouts", data=b"number=1")
    assert status == 415
    status, body = await api.call("GET", "/v1/optouts", params={"limit": "many"})
    assert status == 400 and body["error"]["field"] == "limit"


# --- statistics and CSV --------------------------------------------------------------------


async def test_stats_count_by_status_day_and_connector(api: Api) -> None:
    await api.gateway.store.set_price(None, "", 10_000)
    await api.gateway.store.adjust_balance(api.account_id, 1_000_000, "top up", api.clock.now())
    await send(api, {"to": [SUB, "+447911000002"], "text": "a" * 161})
    await send(api, {"to": "+447911000003", "text": "t", "test": True})
    status, stats = await api.call("GET", "/v1/stats")
    assert status == 200
    assert stats["messages"] == 3 and stats["parts"] == 5 and stats["test_messages"] == 1
    assert stats["cost"] == "0.040000" and stats["currency"] == "EUR"
    assert stats["by_status"] == {"queued": {"messages": 3, "parts": 5, "cost": "0.040000"}}
    assert len(stats["by_day"]) == 1 and stats["by_day"][0]["messages"] == 3
    assert stats["by_connector"] == [
        {"connector": None, "messages": 3, "parts": 5, "cost": "0.040000"}
    ]
    _, later = await api.call("GET", "/v1/stats", params={"from": "2099-01-01T00:00:00Z"})
    assert later["messages"] == 0 and later["from"] == "2099-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "yesterday"}, "from"),
        ({"to": "2026-01-01T00:00:00"}, "to"),
        ({"from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "from"),
    ],
)
async def test_stats_bad_times_name_the_field(api: Api, params: dict[str, str], field: str) -> None:
    status, body = await api.call("GET", "/v1/stats", params=params)
    assert status == 400 and body["error"]["field"] == field


async def test_messages_csv_exports_the_filtered_history(api: Api) -> None:
    first = await send(api, {"to": SUB, "text": "=HYPERLINK(1)", "reference": "+ref"})
    api.clock.advance(1)  # ids are time-ordered: the second is newer
    await send(api, {"to": "+447911000002", "text": "plain, with comma", "from": "+447700900999"})
    status, text = await api.call("GET", "/v1/messages.csv")
    assert status == 200
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["to"] for r in rows] == ["+447911000002", SUB]
    assert rows[0]["text"] == "plain, with comma" and rows[0]["from"] == "+447700900999"
    assert rows[1]["text"] == "'=HYPERLINK(1)" and rows[1]["reference"] == "'+ref"
    assert rows[1]["id"] == first["messages"][0]["id"] and rows[1]["status"] == "queued"
    assert rows[1]["parts"] == "1" and rows[1]["test"] == "false"
    _, text = await api.call("GET", "/v1/messages.csv", params={"to": SUB})
    assert [r["to"] for r in csv.DictReader(io.StringIO(text))] == [SUB]
    status, body = await api.call("GET", "/v1/messages.csv", params={"status": "lost"})
    assert status == 400 and body["error"]["field"] == "status"


async def test_messages_csv_pages_through_long_histories(api: Api) -> None:
    numbers = [f"+4479110{i:05d}" for i in range(1001)]
    await send(api, {"to": numbers, "text": "bulk"})
    _, text = await api.call("GET", "/v1/messages.csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sorted(r["to"] for r in rows) == numbers


# --- MO simulation -------------------------------------------------------------------------


async def deliver_injected(api: Api) -> None:
    """What the running gateway's tasks do: connector → receipt correlator → inbound."""
    batch = await anext(aiter(api.gateway.connectors[ConnectorId("loopback")].inbound()))
    api.gateway.receipts.accept(batch)
    await api.gateway.inbound.flush()


async def test_simulated_mo_reaches_the_accounts_outbox(api: Api) -> None:
    store = api.gateway.store
    await store.add_mo_route(mo_route_spec(SHORT), api.account_id, 0.0)
    status, body = await api.call(
        "POST", "/v1/simulate/mo", json={"from": SUB, "to": SHORT, "text": "STOP"}
    )
    assert status == 202 and body["connector"] == "loopback" and body["status"] == "received"
    await deliver_injected(api)
    [mo] = await store.list_mo(api.account_id, before=None, limit=10)
    assert mo.id == body["id"] and mo.text == "STOP"
    [job] = await store.claim_callbacks(api.clock.now(), 10, 60.0)
    assert job.url == "https://alice.example/hook" and job.message_id == body["id"]
    answer = await send(api, {"to": SUB, "text": "offer"})
    assert answer["messages"][0]["error"]["code"] == "opted_out"
    _, views = await api.call("GET", "/v1/optouts")
    assert views["optouts"][0]["mo_id"] == body["id"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"from": SUB, "to": SHORT, "text": "hi", "connector": "upstream"}, 409, "not_supported"),
        ({"from": SUB, "to": SHORT, "text": "hi", "connector": "nowhere"}, 404, "not_found"),
        ({"from": SUB, "to": "+447700900999", "text": "hi"}, 422, "no_route"),
        ({"from": SUB, "to": SHORT, "text": ""}, 400, "invalid_request"),
        ({"from": SUB, "to": SHORT}, 400, "invalid_request"),
    ],
)
async def test_simulation_refusals(api: Api, body: dict[str, Any], status: int, code: str) -> None:
    await api.gateway.store.add_mo_route(mo_route_spec(SHORT), api.account_id, 0.0)
    got, answer = await api.call("POST", "/v1/simulate/mo", json=body)
    assert got == status and answer["error"]["code"] == code
    assert await api.gateway.store.list_mo(api.account_id, before=None, limit=1) == []


async def test_simulation_cannot_speak_for_another_accounts_subscribers(api: Api) -> None:
    await api.gateway.store.add_mo_route(mo_route_spec(SHORT), api.account_id, 0.0)
    resp = await api.client.post(
        "/v1/simulate/mo",
        json={"from": SUB, "to": SHORT, "text": "STOP"},
        headers=api.auth(api.other_key),
    )
    assert resp.status == 422 and (await resp.json())["error"]["code"] == "no_route"
    views = await api.gateway.store.list_messages(
        api.account_id, MessageFilter(), before=None, limit=1
    )
    assert views == []
