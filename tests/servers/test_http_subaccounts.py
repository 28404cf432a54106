"""Sub-accounts over REST: /v1/subaccounts and a parent's view of its children's messages.

The permission matrix is the point: an admin and the parent manage a child; the child
itself, its sibling and a stranger do not, and see nothing of it; a child never sees its
parent's or its siblings' messages.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp.test_utils import TestClient, TestServer

from heliograph.app import Gateway
from heliograph.config import Config, StoreConfig
from heliograph.servers.http.app import build_app
from tests.support.clock import FakeClock

H = dict[str, str]


def bearer(key: str) -> H:
    return {"Authorization": f"Bearer {key}"}


@dataclass
class Family:
    client: TestClient  # type: ignore[type-arg]
    gateway: Gateway
    admin: H
    parent: H
    kid: H
    sibling: H
    stranger: H
    parent_id: str
    kid_id: str


@pytest.fixture
async def fam(tmp_path: object) -> AsyncIterator[Family]:
    clock = FakeClock()
    gateway = Gateway(
        Config(data_dir=str(tmp_path), store=StoreConfig(url="memory://")), clock=clock
    )
    await gateway.store.open()
    root = await gateway.accounts.create("root", is_admin=True)
    shop = await gateway.accounts.create("shop")
    other = await gateway.accounts.create("other")
    app = build_app(gateway.http_services(), inbound=gateway.inbound_http())
    async with TestClient(TestServer(app)) as client:
        made = []
        for name in ("kid", "kid2"):
            resp = await client.post(
                "/v1/subaccounts", json={"name": name}, headers=bearer(shop.api_key)
            )
            assert resp.status == 201, await resp.text()
            made.append(await resp.json())
        yield Family(
            client,
            gateway,
            admin=bearer(root.api_key),
            parent=bearer(shop.api_key),
            kid=bearer(made[0]["api_key"]),
            sibling=bearer(made[1]["api_key"]),
            stranger=bearer(other.api_key),
            parent_id=shop.account.id,
            kid_id=made[0]["account_id"],
        )
    await gateway.store.close()


async def send(fam: Family, who: H, to: str = "+447700900001", **extra: object) -> str:
    resp = await fam.client.post(
        "/v1/messages", json={"to": to, "text": "hi", **extra}, headers=who
    )
    assert resp.status == 202, await resp.text()
    return str((await resp.json())["messages"][0]["id"])


async def error(resp) -> tuple[int, str, str | None]:  # type: ignore[no-untyped-def]
    body = await resp.json()
    return resp.status, body["error"]["code"], body["error"]["field"]


# --- creating and listing --------------------------------------------------------------


async def test_a_parent_creates_children_that_work_at_once(fam: Family) -> None:
    resp = await fam.client.post(
        "/v1/subaccounts",
        json={"name": "kid3", "callback_url": "https://kid3.example/hook"},
        headers=fam.parent,
    )
    assert resp.status == 201
    created = await resp.json()
    assert created["parent"] == "shop" and created["api_key"].startswith("hg_")
    assert (await fam.client.get("/v1/balance", headers=bearer(created["api_key"]))).status == 200
    listed = await (await fam.client.get("/v1/subaccounts", headers=fam.parent)).json()
    assert [a["name"] for a in listed["accounts"]] == ["kid", "kid2", "kid3"]
    assert {a["parent"] for a in listed["accounts"]} == {"shop"}
    account = await fam.gateway.store.find_account("kid3")
    assert account is not None and account.parent_id == fam.parent_id and not account.is_admin


async def test_others_see_no_children_and_a_child_cannot_have_any(fam: Family) -> None:
    for who in (fam.stranger, fam.kid):
        listed = await (await fam.client.get("/v1/subaccounts", headers=who)).json()
        assert listed == {"accounts": []}
    resp = await fam.client.post("/v1/subaccounts", json={"name": "grandkid"}, headers=fam.kid)
    assert await error(resp) == (400, "invalid_request", "parent")
    assert await fam.gateway.store.find_account("grandkid") is None
    resp = await fam.client.post("/v1/subaccounts", json={"name": "kid"}, headers=fam.stranger)
    assert await error(resp) == (400, "invalid_request", "name")
    resp = await fam.client.post(
        "/v1/subaccounts", json={"name": "x", "admin": True}, headers=fam.parent
    )
    assert await error(resp) == (400, "invalid_request", "admin")
    resp = await fam.client.get("/v1/subaccounts")
    assert resp.status == 401


# --- the permission matrix -------------------------------------------------------------

ENDPOINTS = [
    ("GET", "/v1/subaccounts/kid", None),
    ("PATCH", "/v1/subaccounts/kid", {"callback_url": "https://x.example/h"}),
    ("GET", "/v1/subaccounts/kid/keys", None),
    ("POST", "/v1/subaccounts/kid/keys", None),
    ("POST", "/v1/subaccounts/kid/transfer", {"amount": "0.01"}),
    ("GET", "/v1/subaccounts/kid/senders", None),
    ("POST", "/v1/subaccounts/kid/senders", {"sender": "Shop"}),
    ("GET", "/v1/subaccounts/kid/prices", None),
    ("POST", "/v1/subaccounts/kid/prices", {"prefix": "44", "price": "0.1"}),
]
OK = {"GET": 200, "PATCH": 200, "POST": 200}


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
async def test_permission_matrix(fam: Family, method: str, path: str, body: object) -> None:
    await fam.gateway.store.adjust_balance(fam.parent_id, 1_000_000, "top up", 0.0)  # type: ignore[arg-type]
    for who, allowed in (
        (fam.parent, True),
        (fam.admin, True),
        (fam.kid, False),
        (fam.sibling, False),
        (fam.stranger, False),
    ):
        resp = await fam.client.request(method, path, json=body, headers=who)
        if allowed:
            assert resp.status in (200, 201), (who, await resp.text())
        else:
            assert await error(resp) == (404, "not_found", "name"), who
    resp = await fam.client.request(method, path, json=body)
    assert resp.status == 401


async def test_an_admin_does_not_manage_top_level_accounts_here(fam: Family) -> None:
    resp = await fam.client.get("/v1/subaccounts/shop", headers=fam.admin)
    assert resp.status == 404
    resp = await fam.client.get("/v1/subaccounts/nobody", headers=fam.parent)
    assert await error(resp) == (404, "not_found", "name")


# --- keys and suspension ---------------------------------------------------------------


async def test_a_parent_issues_and_revokes_its_childs_keys(fam: Family) -> None:
    resp = await fam.client.post("/v1/subaccounts/kid/keys", headers=fam.parent)
    assert resp.status == 201
    new = await resp.json()
    assert (await fam.client.get("/v1/balance", headers=bearer(new["api_key"]))).status == 200
    keys = await (await fam.client.get("/v1/subaccounts/kid/keys", headers=fam.parent)).json()
    assert len(keys["keys"]) == 2
    resp = await fam.client.delete(f"/v1/subaccounts/kid/keys/{new['id']}", headers=fam.parent)
    assert resp.status == 204
    assert (await fam.client.get("/v1/balance", headers=bearer(new["api_key"]))).status == 401
    assert (await fam.client.get("/v1/balance", headers=fam.kid)).status == 200
    resp = await fam.client.delete(f"/v1/subaccounts/kid/keys/{new['id']}", headers=fam.sibling)
    assert resp.status == 404


async def test_a_parent_suspends_a_child_and_a_suspended_parent_suspends_all(
    fam: Family,
) -> None:
    resp = await fam.client.patch(
        "/v1/subaccounts/kid", json={"disabled": True}, headers=fam.parent
    )
    assert (await resp.json())["disabled"] is True
    resp = await fam.client.get("/v1/balance", headers=fam.kid)
    assert await error(resp) == (403, "account_disabled", None)
    assert (await fam.client.get("/v1/balance", headers=fam.sibling)).status == 200
    await fam.client.patch("/v1/subaccounts/kid", json={"disabled": False}, headers=fam.parent)
    assert (await fam.client.get("/v1/balance", headers=fam.kid)).status == 200
    resp = await fam.client.patch("/v1/accounts/shop", json={"disabled": True}, headers=fam.admin)
    assert resp.status == 200
    for who in (fam.parent, fam.kid, fam.sibling):
        assert (await fam.client.get("/v1/balance", headers=who)).status == 403
    resp = await fam.client.patch("/v1/subaccounts/kid", json={"admin": True}, headers=fam.admin)
    assert await error(resp) == (400, "invalid_request", "admin")


# --- funding ---------------------------------------------------------------------------


async def balance(fam: Family, who: H) -> str:
    return str((await (await fam.client.get("/v1/balance", headers=who)).json())["balance"])


async def test_transfers_move_credit_both_ways_and_never_create_it(fam: Family) -> None:
    resp = await fam.client.post(
        "/v1/accounts/shop/credit", json={"amount": "10"}, headers=fam.admin
    )
    assert resp.status == 200
    resp = await fam.client.post(
        "/v1/subaccounts/kid/transfer", json={"amount": "4.25"}, headers=fam.parent
    )
    assert await resp.json() == {
        "account": "kid",
        "balance": "4.250000",
        "parent": "shop",
        "parent_balance": "5.750000",
        "currency": "EUR",
    }
    resp = await fam.client.post(
        "/v1/subaccounts/kid/transfer", json={"amount": "-0.25"}, headers=fam.parent
    )
    assert (await resp.json())["balance"] == "4.000000"
    resp = await fam.client.post(
        "/v1/subaccounts/kid/transfer", json={"amount": "6.01"}, headers=fam.parent
    )
    assert await error(resp) == (402, "insufficient_credit", "amount")
    resp = await fam.client.post(
        "/v1/subaccounts/kid/transfer", json={"amount": "-4.01"}, headers=fam.parent
    )
    assert await error(resp) == (402, "insufficient_credit", "amount")
    for bad in ("0", "lots"):
        resp = await fam.client.post(
            "/v1/subaccounts/kid/transfer", json={"amount": bad}, headers=fam.parent
        )
        assert await error(resp) == (400, "invalid_request", "amount")
    assert await balance(fam, fam.parent) == "6.000000"
    assert await balance(fam, fam.kid) == "4.000000"
    resp = await fam.client.get("/v1/balance?account=kid", headers=fam.parent)
    assert await resp.json() == {"balance": "4.000000", "currency": "EUR", "reserved": "0.000000"}
    for who, name in ((fam.kid, "shop"), (fam.sibling, "kid"), (fam.stranger, "kid")):
        resp = await fam.client.get(f"/v1/balance?account={name}", headers=who)
        assert await error(resp) == (404, "not_found", "name")
    resp = await fam.client.post(
        "/v1/subaccounts/kid/transfer", json={"amount": "1"}, headers=fam.admin
    )
    assert (await resp.json())["parent"] == "shop"
    assert await balance(fam, fam.parent) == "5.000000"


# --- senders and prices within the parent's --------------------------------------------


async def test_a_childs_senders_stay_within_its_parents(fam: Family) -> None:
    store = fam.gateway.store
    for sender in ("Shop", "Bank"):
        await store.add_sender(fam.parent_id, sender, default=False, now=0.0)  # type: ignore[arg-type]
    fam.gateway.accounts.forget_prices()
    resp = await fam.client.post(
        "/v1/subaccounts/kid/senders", json={"sender": "Bank", "default": True}, headers=fam.parent
    )
    assert await resp.json() == {
        "own": ["Bank"],
        "default": "Bank",
        "senders": ["Bank"],
        "restricted": True,
    }
    resp = await fam.client.post(
        "/v1/subaccounts/kid/senders", json={"sender": "Other"}, headers=fam.parent
    )
    assert await error(resp) == (403, "sender_not_allowed", "sender")
    senders = await (await fam.client.get("/v1/senders", headers=fam.kid)).json()
    assert senders["senders"] == ["Bank"] and senders["default"] == "Bank"
    resp = await fam.client.post(
        "/v1/messages", json={"to": "+447700900001", "text": "x", "from": "Shop"}, headers=fam.kid
    )
    assert await error(resp) == (403, "sender_not_allowed", "from")
    # a child without sender ids of its own uses its parent's
    senders = await (await fam.client.get("/v1/senders", headers=fam.sibling)).json()
    assert senders["senders"] == ["Bank", "Shop"]
    resp = await fam.client.delete("/v1/subaccounts/kid/senders/Bank", headers=fam.parent)
    assert resp.status == 204
    resp = await fam.client.delete("/v1/subaccounts/kid/senders/Bank", headers=fam.parent)
    assert resp.status == 404


async def test_a_childs_prices_are_never_below_its_parents(fam: Family) -> None:
    store = fam.gateway.store
    await store.set_price(fam.parent_id, "44", 50_000)  # type: ignore[arg-type]
    await store.set_price(fam.parent_id, "447", 80_000)  # type: ignore[arg-type]
    fam.gateway.accounts.forget_prices()
    resp = await fam.client.post(
        "/v1/subaccounts/kid/prices", json={"prefix": "44", "price": "0.04"}, headers=fam.parent
    )
    assert await error(resp) == (400, "invalid_request", "price")
    resp = await fam.client.post(
        "/v1/subaccounts/kid/prices", json={"prefix": "33", "price": "1"}, headers=fam.parent
    )
    assert await error(resp) == (400, "invalid_request", "prefix")
    resp = await fam.client.post(
        "/v1/subaccounts/kid/prices", json={"prefix": "44", "price": "0.06"}, headers=fam.parent
    )
    assert await resp.json() == {
        "own": {"44": "0.060000"},
        "prices": {"44": "0.060000", "447": "0.080000"},
    }
    cost = await fam.client.post(
        "/v1/messages/cost",
        json={"to": ["+441234567890", "+447700900001"], "text": "x"},
        headers=fam.kid,
    )
    assert [m["cost"] for m in (await cost.json())["messages"]] == ["0.060000", "0.080000"]
    resp = await fam.client.delete("/v1/subaccounts/kid/prices?prefix=44", headers=fam.parent)
    assert resp.status == 204
    resp = await fam.client.delete("/v1/subaccounts/kid/prices?prefix=44", headers=fam.parent)
    assert resp.status == 404
    resp = await fam.client.delete("/v1/subaccounts/kid/prices", headers=fam.parent)
    assert await error(resp) == (400, "invalid_request", "prefix")


# --- seeing ----------------------------------------------------------------------------


async def listed(fam: Family, who: H, query: str = "") -> list[tuple[str, str | None]]:
    resp = await fam.client.get(f"/v1/messages{query}", headers=who)
    assert resp.status == 200, await resp.text()
    return [(m["id"], m.get("account")) for m in (await resp.json())["messages"]]


async def test_a_parent_sees_its_childrens_messages_only_when_it_asks(fam: Family) -> None:
    own = await send(fam, fam.parent)
    kid = await send(fam, fam.kid)
    sib = await send(fam, fam.sibling)
    assert await listed(fam, fam.parent) == [(own, None)]
    family = sorted([(sib, "kid2"), (kid, "kid"), (own, "shop")], reverse=True)  # by id
    assert await listed(fam, fam.parent, "?include_children=true") == family
    assert await listed(fam, fam.parent, "?account=kid") == [(kid, "kid")]
    assert await listed(fam, fam.admin, "?account=kid") == [(kid, "kid")]
    assert await listed(fam, fam.admin, "?account=shop&include_children=1") == family
    # a child sees only its own, whatever it asks
    assert await listed(fam, fam.kid) == [(kid, None)]
    assert await listed(fam, fam.kid, "?include_children=true") == [(kid, "kid")]
    for who, query in (
        (fam.kid, "?account=shop"),
        (fam.kid, "?account=kid2"),
        (fam.sibling, "?account=kid"),
        (fam.stranger, "?account=kid"),
        (fam.stranger, "?account=shop&include_children=true"),
    ):
        resp = await fam.client.get(f"/v1/messages{query}", headers=who)
        assert await error(resp) == (404, "not_found", "name"), query
    resp = await fam.client.get("/v1/messages?include_children=maybe", headers=fam.parent)
    assert await error(resp) == (400, "invalid_request", "include_children")


async def test_a_message_by_id_is_seen_by_its_account_and_the_parent_only(fam: Family) -> None:
    own = await send(fam, fam.parent)
    kid = await send(fam, fam.kid)
    resp = await fam.client.get(f"/v1/messages/{kid}", headers=fam.parent)
    body = await resp.json()
    assert resp.status == 200 and body["id"] == kid and body["account"] == "kid"
    assert (await fam.client.get(f"/v1/messages/{kid}", headers=fam.admin)).status == 200
    resp = await fam.client.get(f"/v1/messages/{kid}", headers=fam.kid)
    assert resp.status == 200 and "account" not in await resp.json()
    for who, mid in (
        (fam.kid, own),
        (fam.sibling, kid),
        (fam.stranger, kid),
        (fam.stranger, own),
        (fam.parent, "01ZZZZZZZZZZZZZZZZZZZZZZZZ"),
    ):
        resp = await fam.client.get(f"/v1/messages/{mid}", headers=who)
        assert await error(resp) == (404, "not_found", "id")


async def test_family_pages_walk_every_message_once_newest_first(fam: Family) -> None:
    sent = []
    for i in range(7):
        fam.gateway.clock.advance(1.0)  # type: ignore[attr-defined]
        sent.append(
            await send(fam, (fam.parent, fam.kid, fam.sibling)[i % 3], to=f"+4477009000{i:02d}")
        )
    seen: list[str] = []
    cursor = ""
    while True:
        resp = await fam.client.get(
            f"/v1/messages?include_children=true&limit=2{cursor}", headers=fam.parent
        )
        page = await resp.json()
        assert len(page["messages"]) <= 2
        seen += [m["id"] for m in page["messages"]]
        if page["next_cursor"] is None:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert seen == sorted(sent, reverse=True)


async def test_stats_add_up_the_family_when_asked(fam: Family) -> None:
    await send(fam, fam.parent)
    await send(fam, fam.kid)
    await send(fam, fam.kid, to="+447700900002")  # not a duplicate
    own = await (await fam.client.get("/v1/stats", headers=fam.parent)).json()
    assert own["messages"] == 1 and "by_account" not in own
    both = await (
        await fam.client.get("/v1/stats?include_children=true", headers=fam.parent)
    ).json()
    assert both["messages"] == 3
    assert sum(f["messages"] for f in both["by_status"].values()) == 3
    assert both["by_account"] == [
        {"account": "shop", "messages": 1, "parts": 1, "cost": "0.000000"},
        {"account": "kid", "messages": 2, "parts": 2, "cost": "0.000000"},
        {"account": "kid2", "messages": 0, "parts": 0, "cost": "0.000000"},
    ]
    kid = await (await fam.client.get("/v1/stats?account=kid", headers=fam.parent)).json()
    assert kid["messages"] == 2
    resp = await fam.client.get("/v1/stats?account=shop", headers=fam.kid)
    assert await error(resp) == (404, "not_found", "name")
    resp = await fam.client.get("/v1/stats?include_children=true", headers=fam.kid)
    assert (await resp.json())["messages"] == 2


# --- the admin API: parents given, changed and removed ---------------------------------


async def test_an_admin_creates_attaches_and_detaches_sub_accounts(fam: Family) -> None:
    resp = await fam.client.post(
        "/v1/accounts", json={"name": "kid3", "parent": "shop"}, headers=fam.admin
    )
    assert resp.status == 201 and (await resp.json())["parent"] == "shop"
    listed = await (await fam.client.get("/v1/accounts", headers=fam.admin)).json()
    parents = {a["name"]: a["parent"] for a in listed["accounts"]}
    assert parents == {
        "kid": "shop",
        "kid2": "shop",
        "kid3": "shop",
        "other": None,
        "root": None,
        "shop": None,
    }
    resp = await fam.client.patch("/v1/accounts/other", json={"parent": "shop"}, headers=fam.admin)
    assert (await resp.json())["parent"] == "shop"
    assert (await fam.client.get("/v1/subaccounts/other", headers=fam.parent)).status == 200
    resp = await fam.client.patch(
        "/v1/accounts/other", json={"parent": None, "disabled": True}, headers=fam.admin
    )
    body = await resp.json()
    assert body["parent"] is None and body["disabled"] is True
    assert (await fam.client.get("/v1/subaccounts/other", headers=fam.parent)).status == 404
    resp = await fam.client.get("/v1/accounts/kid", headers=fam.admin)
    assert (await resp.json())["parent"] == "shop"


async def test_the_admin_api_refuses_nesting_cycles_and_admin_children(fam: Family) -> None:
    for body, expected in (
        ({"name": "g", "parent": "kid"}, (400, "invalid_request", "parent")),
        ({"name": "g", "parent": "nobody"}, (404, "not_found", "parent")),
        ({"name": "g", "parent": "shop", "admin": True}, (400, "invalid_request", "parent")),
    ):
        resp = await fam.client.post("/v1/accounts", json=body, headers=fam.admin)
        assert await error(resp) == expected, body
    assert await fam.gateway.store.find_account("g") is None
    for name, body in (
        ("shop", {"parent": "kid"}),  # a parent under its own child
        ("shop", {"parent": "other"}),  # a parent under anyone
        ("other", {"parent": "kid"}),  # under a child
        ("other", {"parent": "other"}),
        ("root", {"parent": "shop"}),  # an admin
        ("kid", {"admin": True}),
    ):
        resp = await fam.client.patch(f"/v1/accounts/{name}", json=body, headers=fam.admin)
        assert await error(resp) == (400, "invalid_request", "parent"), (name, body)
    shop = await fam.gateway.store.find_account("shop")
    assert shop is not None and shop.parent_id is None
    resp = await fam.client.patch("/v1/accounts/kid", json={"parent": "other"}, headers=fam.parent)
    assert resp.status == 403


async def test_the_csv_export_covers_the_family_when_asked(fam: Family) -> None:
    own = await send(fam, fam.parent)
    kid = await send(fam, fam.kid)
    resp = await fam.client.get("/v1/messages.csv", headers=fam.parent)
    rows = (await resp.text()).splitlines()
    assert len(rows) == 2 and own in rows[1] and not rows[0].endswith(",account")
    resp = await fam.client.get("/v1/messages.csv?include_children=true", headers=fam.parent)
    header, *lines = (await resp.text()).splitlines()
    assert header.endswith(",account")
    assert sorted((line.split(",")[0], line.split(",")[-1]) for line in lines) == sorted(
        [(own, "shop"), (kid, "kid")]
    )
    resp = await fam.client.get("/v1/messages.csv?account=shop", headers=fam.kid)
    assert await error(resp) == (404, "not_found", "name")


async def test_the_openapi_document_lists_sub_accounts(fam: Family) -> None:
    doc = await (await fam.client.get("/openapi.json")).json()
    assert {"get", "post"} <= set(doc["paths"]["/v1/subaccounts"])
    assert "post" in doc["paths"]["/v1/subaccounts/{name}/transfer"]
    params = [p["name"] for p in doc["paths"]["/v1/messages"]["get"]["parameters"]]
    assert "account" in params and "include_children" in params
    assert "TransferAnswer" in doc["components"]["schemas"]
