"""The admin API: accounts, API keys, settings, credit; IP allowlists on every login."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp.test_utils import TestClient, TestServer

from heliograph.app import Gateway
from heliograph.config import Config, StoreConfig
from heliograph.domain.accounts import CredentialKind, ip_allowed, parse_allowlist
from heliograph.domain.rejections import Rejected
from heliograph.servers.http.app import build_app
from tests.support.clock import FakeClock


@dataclass
class Admin:
    client: TestClient  # type: ignore[type-arg]
    gateway: Gateway
    admin: dict[str, str]
    user_key: str


@pytest.fixture
async def admin(tmp_path: object) -> AsyncIterator[Admin]:
    gateway = Gateway(
        Config(data_dir=str(tmp_path), store=StoreConfig(url="memory://")), clock=FakeClock()
    )
    await gateway.store.open()
    root = await gateway.accounts.create("root", is_admin=True)
    user = await gateway.accounts.create("shop")
    async with TestClient(TestServer(build_app(gateway.http_services()))) as client:
        yield Admin(client, gateway, {"Authorization": f"Bearer {root.api_key}"}, user.api_key)
    await gateway.store.close()


async def test_only_admins_may_use_the_admin_api(admin: Admin) -> None:
    resp = await admin.client.get(
        "/v1/accounts", headers={"Authorization": f"Bearer {admin.user_key}"}
    )
    assert resp.status == 403 and (await resp.json())["error"]["code"] == "forbidden"
    resp = await admin.client.get("/v1/accounts", headers=admin.admin)
    names = [a["name"] for a in (await resp.json())["accounts"]]
    assert names == ["root", "shop"]


async def test_create_account_shows_its_credentials_once(admin: Admin) -> None:
    resp = await admin.client.post(
        "/v1/accounts",
        json={"name": "bank", "callback_url": "https://bank.example/hook"},
        headers=admin.admin,
    )
    assert resp.status == 201
    created = await resp.json()
    assert created["api_key"].startswith("hg_") and created["smpp_password"]
    resp = await admin.client.get(
        "/v1/balance", headers={"Authorization": f"Bearer {created['api_key']}"}
    )
    assert resp.status == 200
    resp = await admin.client.post("/v1/accounts", json={"name": "bank"}, headers=admin.admin)
    assert resp.status == 400 and (await resp.json())["error"]["field"] == "name"
    resp = await admin.client.post("/v1/accounts", json={"nam": "x"}, headers=admin.admin)
    assert resp.status == 400 and (await resp.json())["error"]["field"] == "nam"


async def test_keys_added_listed_and_revoked(admin: Admin) -> None:
    resp = await admin.client.post("/v1/accounts/shop/keys", headers=admin.admin)
    assert resp.status == 201
    new = await resp.json()
    second = {"Authorization": f"Bearer {new['api_key']}"}
    assert (await admin.client.get("/v1/balance", headers=second)).status == 200
    keys = await (await admin.client.get("/v1/accounts/shop/keys", headers=admin.admin)).json()
    assert len(keys["keys"]) == 2 and new["id"] in [k["id"] for k in keys["keys"]]
    resp = await admin.client.delete(f"/v1/accounts/shop/keys/{new['id']}", headers=admin.admin)
    assert resp.status == 204
    assert (await admin.client.get("/v1/balance", headers=second)).status == 401
    first = {"Authorization": f"Bearer {admin.user_key}"}
    assert (await admin.client.get("/v1/balance", headers=first)).status == 200
    resp = await admin.client.delete(f"/v1/accounts/shop/keys/{new['id']}", headers=admin.admin)
    assert resp.status == 404


async def test_patch_disables_and_restricts_addresses(admin: Admin) -> None:
    user = {"Authorization": f"Bearer {admin.user_key}"}
    resp = await admin.client.patch(
        "/v1/accounts/shop", json={"ip_allowlist": ["10.0.0.0/8"]}, headers=admin.admin
    )
    assert (await resp.json())["ip_allowlist"] == ["10.0.0.0/8"]
    resp = await admin.client.get("/v1/balance", headers=user)  # the test client is 127.0.0.1
    assert resp.status == 401 and "127.0.0.1" in (await resp.json())["error"]["message"]
    await admin.client.patch(
        "/v1/accounts/shop", json={"ip_allowlist": ["127.0.0.1"]}, headers=admin.admin
    )
    assert (await admin.client.get("/v1/balance", headers=user)).status == 200
    await admin.client.patch("/v1/accounts/shop", json={"disabled": True}, headers=admin.admin)
    resp = await admin.client.get("/v1/balance", headers=user)
    assert resp.status == 403 and (await resp.json())["error"]["code"] == "account_disabled"
    resp = await admin.client.patch(
        "/v1/accounts/shop", json={"ip_allowlist": ["not-an-ip"]}, headers=admin.admin
    )
    assert resp.status == 400 and (await resp.json())["error"]["field"] == "ip_allowlist"
    resp = await admin.client.patch(
        "/v1/accounts/nobody", json={"disabled": True}, headers=admin.admin
    )
    assert resp.status == 404


async def test_credit_through_the_admin_api(admin: Admin) -> None:
    resp = await admin.client.post(
        "/v1/accounts/shop/credit", json={"amount": "12.50"}, headers=admin.admin
    )
    assert await resp.json() == {"balance": "12.500000", "currency": "EUR"}
    resp = await admin.client.post(
        "/v1/accounts/shop/credit", json={"amount": "-20"}, headers=admin.admin
    )
    assert resp.status == 402
    resp = await admin.client.post(
        "/v1/accounts/shop/credit", json={"amount": "lots"}, headers=admin.admin
    )
    assert resp.status == 400 and (await resp.json())["error"]["field"] == "amount"


async def test_allowlist_applies_to_password_logins_too(admin: Admin) -> None:
    accounts = admin.gateway.accounts
    shop = await accounts.named("shop")
    new = await accounts.create("dialect-user", ip_allowlist=("192.0.2.0/24",))
    assert new.account.ip_allowlist == ("192.0.2.0/24",)
    found = await accounts.by_secret(
        CredentialKind.PASSWORD, "dialect-user", new.password, peer="192.0.2.7"
    )
    assert found.name == "dialect-user"
    with pytest.raises(Rejected):
        await accounts.by_secret(
            CredentialKind.PASSWORD, "dialect-user", new.password, peer="198.51.100.1"
        )
    assert shop.ip_allowlist == ()


def test_ip_allowed_handles_v6_mapped_brackets_and_garbage() -> None:
    from heliograph.domain.accounts import Account

    acct = Account(
        id="a",
        name="a",
        callback_url=None,
        callback_secret="s",
        created_at=0,  # type: ignore[arg-type]
        ip_allowlist=parse_allowlist(["192.0.2.0/24", "2001:db8::/32"]),
    )
    assert ip_allowed(acct, "192.0.2.1") and ip_allowed(acct, "::ffff:192.0.2.1")
    assert ip_allowed(acct, "[2001:db8::1]") and not ip_allowed(acct, "2001:db9::1")
    assert not ip_allowed(acct, None) and not ip_allowed(acct, "garbage")
    with pytest.raises(ValueError, match=r"'300\.1\.1\.1'"):
        parse_allowlist(["300.1.1.1"])


async def test_account_rules_override_the_gateways(admin: Admin) -> None:
    user = {"Authorization": f"Bearer {admin.user_key}"}
    resp = await admin.client.patch(
        "/v1/accounts/shop",
        json={"rules": {"rate_per_s": 1, "burst": 2, "duplicates": False}},
        headers=admin.admin,
    )
    assert (await resp.json())["rules"] == {"rate_per_s": 1.0, "burst": 2.0, "duplicates": False}
    body = {"to": ["+447700900001", "+447700900001"], "text": "same"}  # a duplicate, allowed
    answer = await (await admin.client.post("/v1/messages", json=body, headers=user)).json()
    assert answer["accepted"] == 2
    resp = await admin.client.post(
        "/v1/messages", json={"to": "+447700900002", "text": "x"}, headers=user
    )
    assert resp.status == 429  # two tokens spent, one per second refill
    for bad, field in [
        ({"rate": 1}, "rules.rate"),
        ({"rate_per_s": "fast"}, "rules.rate_per_s"),
        ({"quiet_hours": "late"}, "rules.quiet_hours"),
        ({"duplicates": 1}, "rules.duplicates"),
    ]:
        resp = await admin.client.patch(
            "/v1/accounts/shop", json={"rules": bad}, headers=admin.admin
        )
        assert resp.status == 400 and (await resp.json())["error"]["field"] == field, bad
    resp = await admin.client.patch("/v1/accounts/shop", json={"rules": {}}, headers=admin.admin)
    assert (await resp.json())["rules"] == {}


async def test_rules_survive_the_store(admin: Admin) -> None:
    from heliograph.domain.accounts import AccountRules

    accounts = admin.gateway.accounts
    shop = await accounts.named("shop")
    from heliograph.store.base import AccountChanges

    await accounts.update(shop, AccountChanges(rules=AccountRules(quiet_hours="", floods=False)))
    again = await accounts.named("shop")
    assert again.rules == AccountRules(quiet_hours="", floods=False)


async def test_the_forwarding_address_and_receipt_choice_through_the_admin_api(
    admin: Admin,
) -> None:
    async def patch(body: dict[str, object]) -> tuple[int, dict[str, object]]:
        resp = await admin.client.patch("/v1/accounts/shop", json=body, headers=admin.admin)
        return resp.status, await resp.json()

    status, body = await patch({"email_receipts": "also"})
    assert status == 400 and body["error"]["field"] == "email_receipts"  # type: ignore[index]
    status, body = await patch({"email": "desk@shop.example", "email_receipts": "only"})
    assert status == 200
    assert (body["email"], body["email_receipts"]) == ("desk@shop.example", "only")
    for bad, field in [
        ({"email": "Desk <desk@shop.example>"}, "email"),
        ({"email": "desk"}, "email"),
        ({"email_receipts": "sometimes"}, "email_receipts"),
    ]:
        status, body = await patch(bad)
        assert status == 400 and body["error"]["field"] == field, bad  # type: ignore[index]
    status, body = await patch({"email": None})  # receipts by mail need the address
    assert status == 400 and body["error"]["field"] == "email_receipts"  # type: ignore[index]
    status, body = await patch({"email": None, "email_receipts": "off"})
    assert status == 200 and (body["email"], body["email_receipts"]) == (None, "off")
    got = await (await admin.client.get("/v1/accounts/shop", headers=admin.admin)).json()
    assert (got["email"], got["email_receipts"]) == (None, "off")
