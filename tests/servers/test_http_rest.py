"""REST API v1 in process, with aiohttp's own test client and the in-memory store."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer

from heliograph.app import Gateway
from heliograph.config import Config, ProtectionConfig, StoreConfig
from heliograph.servers.http.app import build_app
from tests.servers.conftest import Api, post
from tests.support.clock import FakeClock


async def test_submit_single_recipient_is_accepted_and_readable(api: Api) -> None:
    status, body = await post(api, {"to": "+447700900001", "text": "hello"})
    assert status == 202
    assert body["accepted"] == 1 and body["rejected"] == 0
    entry = body["messages"][0]
    assert entry["status"] == "queued" and entry["parts"] == 1 and entry["to"] == "+447700900001"
    resp = await api.client.get(f"/v1/messages/{entry['id']}", headers=api.auth())
    assert resp.status == 200
    view = await resp.json()
    assert view["text"] == "hello" and view["status"] == "queued"
    assert [p["seq"] for p in view["parts"]] == [1]


async def test_submit_batch_with_bad_recipient_accepts_the_others(api: Api) -> None:
    status, body = await post(api, {"to": ["+447700900001", "12", "447700900002"], "text": "x"})
    assert status == 202
    assert body["accepted"] == 2 and body["rejected"] == 1
    bad = body["messages"][1]
    assert bad["to"] == "12" and bad["error"]["code"] == "invalid_destination"
    assert bad["error"]["field"] == "to"
    assert body["messages"][2]["to"] == "+447700900002"


async def test_submit_counts_parts(api: Api) -> None:
    _, body = await post(api, {"to": "+447700900001", "text": "a" * 161})
    assert body["messages"][0]["parts"] == 2
    _, body = await post(api, {"to": "+447700900001", "text": "Привет" * 12})
    assert body["messages"][0]["parts"] == 2


async def test_missing_or_bad_key_is_401(api: Api) -> None:
    resp = await api.client.post("/v1/messages", json={"to": "+447700900001", "text": "x"})
    assert resp.status == 401
    assert (await resp.json())["error"]["code"] == "unauthorized"
    resp = await api.client.get("/v1/messages", headers={"Authorization": "Bearer nope"})
    assert resp.status == 401
    assert (await resp.json())["error"]["code"] == "bad_credentials"


async def test_other_accounts_message_is_404(api: Api) -> None:
    _, body = await post(api, {"to": "+447700900001", "text": "mine"})
    mid = body["messages"][0]["id"]
    resp = await api.client.get(f"/v1/messages/{mid}", headers=api.auth(api.other_key))
    assert resp.status == 404
    assert (await resp.json())["error"]["code"] == "not_found"
    resp = await api.client.delete(f"/v1/messages/{mid}", headers=api.auth(api.other_key))
    assert resp.status == 404


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"to": "+447700900001"}, "text", "invalid_request"),
        ({"to": "+447700900001", "text": 5}, "text", "invalid_request"),
        ({"to": [], "text": "x"}, "to", "invalid_request"),
        ({"to": "+447700900001", "text": "x", "priority": 9}, "priority", "invalid_request"),
        ({"to": "+447700900001", "text": "x", "extra": 1}, "extra", "invalid_request"),
        (
            {"to": "+447700900001", "text": "x", "from": "much-too-long-sender"},
            "from",
            "invalid_sender",
        ),
        ({"to": "+447700900001", "text": "x", "validity_s": 5}, "validity_s", "invalid_validity"),
        ({"to": "+447700900001", "text": "x", "encoding": "gsm7"}, None, None),
        ({"to": "+447700900001", "text": "€ ok", "encoding": "latin1"}, "text", "invalid_text"),
        (
            {"to": "+447700900001", "text": "x", "schedule_at": "2026-01-01T00:00:00"},
            "schedule_at",
            "invalid_schedule",
        ),
    ],
)
async def test_bad_fields_name_the_field(
    api: Api,
    body: dict,
    field: str | None,
    code: str | None,  # type: ignore[type-arg]
) -> None:
    status, answer = await post(api, body)
    if code is None:
        assert status == 202
        return
    assert status in (400, 422), answer
    assert answer["error"]["code"] == code
    if field is not None:
        assert answer["error"]["field"] == field


async def test_malformed_json_is_400(api: Api) -> None:
    resp = await api.client.post(
        "/v1/messages", data=b"{nope", headers={**api.auth(), "Content-Type": "application/json"}
    )
    assert resp.status == 400
    assert (await resp.json())["error"]["code"] == "invalid_json"


async def test_wrong_content_type_is_415(api: Api) -> None:
    resp = await api.client.post(
        "/v1/messages", data=b"to=1", headers={**api.auth(), "Content-Type": "text/plain"}
    )
    assert resp.status == 415
    assert (await resp.json())["error"]["code"] == "unsupported_media_type"


async def test_body_over_limit_is_413_and_nothing_stored(api: Api) -> None:
    big = {"to": "+447700900001", "text": "x" * 70_000}
    status, answer = await post(api, big)
    assert status == 413
    assert answer["error"]["code"] == "body_too_large"
    resp = await api.client.get("/v1/messages", headers=api.auth())
    assert (await resp.json())["messages"] == []


async def test_idempotency_key_replays_first_answer_and_stores_once(api: Api) -> None:
    first_status, first = await post(
        api, {"to": "+447700900001", "text": "x"}, **{"Idempotency-Key": "k1"}
    )
    resp = await api.client.post(
        "/v1/messages",
        json={"to": "+447700900001", "text": "x"},
        headers={**api.auth(), "Idempotency-Key": "k1"},
    )
    assert resp.status == first_status == 202
    assert resp.headers.get("Idempotent-Replayed") == "true"
    assert await resp.json() == first
    listing = await (await api.client.get("/v1/messages", headers=api.auth())).json()
    assert len(listing["messages"]) == 1
    # the same key for another account is another key
    status, other = await post(
        api,
        {"to": "+447700900001", "text": "x"},
        **{"Idempotency-Key": "k1"},
        Authorization=f"Bearer {api.other_key}",
    )
    assert status == 202 and other["messages"][0]["id"] != first["messages"][0]["id"]


async def test_list_filters_and_cursor_pagination(api: Api) -> None:
    ids = []
    for i in range(5):
        _, body = await post(api, {"to": f"+44770090000{i}", "text": "x"})
        ids.append(body["messages"][0]["id"])
        api.clock.advance(1)
    seen: list[str] = []
    cursor = None
    while True:
        url = "/v1/messages?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = await (await api.client.get(url, headers=api.auth())).json()
        seen += [m["id"] for m in page["messages"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(ids, reverse=True)
    page = await (
        await api.client.get("/v1/messages?to=%2B447700900003", headers=api.auth())
    ).json()
    assert [m["id"] for m in page["messages"]] == [ids[3]]
    page = await (await api.client.get("/v1/messages?status=delivered", headers=api.auth())).json()
    assert page["messages"] == []
    resp = await api.client.get("/v1/messages?status=bogus", headers=api.auth())
    assert resp.status == 400 and (await resp.json())["error"]["field"] == "status"


async def test_cancel_queued_message_then_409_when_repeated(api: Api) -> None:
    _, body = await post(api, {"to": "+447700900001", "text": "x"})
    mid = body["messages"][0]["id"]
    resp = await api.client.delete(f"/v1/messages/{mid}", headers=api.auth())
    assert resp.status == 200
    assert (await resp.json())["status"] == "cancelled"
    resp = await api.client.delete(f"/v1/messages/{mid}", headers=api.auth())
    assert resp.status == 409
    assert (await resp.json())["error"]["code"] == "not_cancellable"


async def test_scheduled_message_is_scheduled(api: Api) -> None:
    status, body = await post(
        api, {"to": "+447700900001", "text": "later", "schedule_at": "2027-03-01T09:00:00Z"}
    )
    assert status == 202 and body["messages"][0]["status"] == "scheduled"


async def test_health_metrics_openapi_docs(api: Api) -> None:
    health = await (await api.client.get("/v1/health")).json()
    assert health["status"] == "ok" and health["connectors"] == {"loopback": True}
    await post(api, {"to": "+447700900001", "text": "x"})
    text = await (await api.client.get("/metrics")).text()
    assert "heliograph_messages_accepted_total 1.0" in text
    assert 'heliograph_queue_depth{state="queued"} 1.0' in text
    doc = await (await api.client.get("/openapi.json")).json()
    assert doc["openapi"].startswith("3.")
    assert "SubmitBody" in doc["components"]["schemas"]
    assert "post" in doc["paths"]["/v1/messages"]
    page = await (await api.client.get("/docs")).text()
    assert "POST /v1/messages" in page


async def test_unknown_route_is_json_404(api: Api) -> None:
    resp = await api.client.get("/v2/nothing")
    assert resp.status == 404
    assert (await resp.json())["error"]["code"] == "not_found"


async def test_lookup_reports_numbering_plan_facts(api: Api) -> None:
    resp = await api.client.get("/v1/lookup/%2B79161234567", headers=api.auth())
    assert resp.status == 200
    info = await resp.json()
    assert info["valid"] is True and info["e164"] == "+79161234567"
    assert info["type"] == "mobile" and info["region"] == "RU" and info["country_code"] == 7
    assert "Europe/Moscow" in info["time_zones"]
    resp = await api.client.get("/v1/lookup/0044%2020%207946%200000", headers=api.auth())
    info = await resp.json()
    assert info["e164"] == "+442079460000" and info["region"] == "GB"
    assert info["type"] == "fixed_line"


async def test_lookup_of_garbage_names_the_field(api: Api) -> None:
    resp = await api.client.get("/v1/lookup/hello", headers=api.auth())
    assert resp.status == 422
    body = await resp.json()
    assert body["error"]["code"] == "invalid_destination" and body["error"]["field"] == "number"
    resp = await api.client.get("/v1/lookup/%2B79161234567")
    assert resp.status == 401


async def test_duplicate_text_to_same_recipient_within_a_minute_is_refused(api: Api) -> None:
    status, first = await post(api, {"to": "+447700900001", "text": "same"})
    assert status == 202 and first["accepted"] == 1
    status, second = await post(api, {"to": ["+447700900001", "+447700900002"], "text": "same"})
    assert status == 202 and second["accepted"] == 1 and second["rejected"] == 1
    assert second["messages"][0]["error"]["code"] == "duplicate"
    api.clock.advance(60)
    status, third = await post(api, {"to": "+447700900001", "text": "same"})
    assert third["accepted"] == 1


async def test_rate_limit_answers_429_with_retry_after(tmp_path: object) -> None:
    clock = FakeClock()
    cfg = Config(
        data_dir=str(tmp_path),
        store=StoreConfig(url="memory://"),
        protection=ProtectionConfig(rate_per_s=2, burst=3),
    )
    gateway = Gateway(cfg, clock=clock)
    await gateway.store.open()
    key = (await gateway.create_account("alice")).api_key
    app = build_app(gateway.http_services())
    headers = {"Authorization": f"Bearer {key}"}
    async with TestClient(TestServer(app)) as client:
        body = {"to": ["+447700900001", "+447700900002", "+447700900003"], "text": "a"}
        assert (await client.post("/v1/messages", json=body, headers=headers)).status == 202
        resp = await client.post(
            "/v1/messages", json={"to": "+447700900004", "text": "b"}, headers=headers
        )
        assert resp.status == 429
        assert resp.headers["Retry-After"] == "1"
        assert (await resp.json())["error"]["code"] == "throttled"
        clock.advance(0.5)
        resp = await client.post(
            "/v1/messages", json={"to": "+447700900004", "text": "b"}, headers=headers
        )
        assert resp.status == 202
        listing = await (await client.get("/v1/messages", headers=headers)).json()
        assert len(listing["messages"]) == 4
    await gateway.store.close()


async def test_quiet_hours_hold_night_messages_in_the_recipients_zone(tmp_path: object) -> None:
    from datetime import UTC, datetime

    clock = FakeClock(datetime(2027, 1, 15, 23, 30, tzinfo=UTC).timestamp())
    cfg = Config(
        data_dir=str(tmp_path),
        store=StoreConfig(url="memory://"),
        protection=ProtectionConfig(quiet_hours="21:00-08:00"),
    )
    gateway = Gateway(cfg, clock=clock)
    await gateway.store.open()
    key = (await gateway.create_account("alice")).api_key
    headers = {"Authorization": f"Bearer {key}"}
    async with TestClient(TestServer(build_app(gateway.http_services()))) as client:
        # 23:30 in London (UTC+0) is quiet; in Singapore (UTC+8) it is 07:30, quiet too
        body = {"to": ["+447911123456", "+6591234567"], "text": "good morning"}
        answer = await (await client.post("/v1/messages", json=body, headers=headers)).json()
        assert [m["status"] for m in answer["messages"]] == ["scheduled", "scheduled"]
        uk, sg = (m["id"] for m in answer["messages"])
        uk_view = await (await client.get(f"/v1/messages/{uk}", headers=headers)).json()
        sg_view = await (await client.get(f"/v1/messages/{sg}", headers=headers)).json()
        assert uk_view["scheduled_at"].startswith("2027-01-16T08:00:00")
        assert sg_view["scheduled_at"].startswith("2027-01-16T00:00:00")  # 08:00 in Singapore
    await gateway.store.close()
