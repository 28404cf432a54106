"""Account administration (``store.base.AccountAdmin``) on every backend, PostgreSQL included:
admin flag and IP allowlist kept with the account, credentials listed and revoked, settings
changed. Run through the ``store`` fixture (memory, SQLite, PostgreSQL).
"""

from __future__ import annotations

import pytest

from heliograph.domain.accounts import CredentialKind
from heliograph.domain.ids import AccountId
from heliograph.store.base import AccountAdmin, AccountChanges, NotFound, Store
from heliograph.store.sqlite_admin import account_admin
from tests.store.test_contract import ACC, OTHER, T0, account, credential

NETS = ("192.0.2.0/24", "2001:db8::1")


@pytest.fixture
async def admin(store: Store) -> AccountAdmin:
    await store.create_account(
        account(ACC, "alpha", is_admin=True, ip_allowlist=NETS),
        [credential(ACC, "key-a1"), credential(ACC, "alpha", CredentialKind.SMPP)],
    )
    await store.create_account(account(OTHER, "beta"), [credential(OTHER, "key-b")])
    got = account_admin(store)
    assert got is not None
    return got


async def test_admin_flag_and_allowlist_are_kept_with_the_account(
    store: Store, admin: AccountAdmin
) -> None:
    alpha = await store.get_account(ACC)
    assert alpha is not None and alpha.is_admin and alpha.ip_allowlist == NETS
    beta = await store.find_account("beta")
    assert beta is not None and not beta.is_admin and beta.ip_allowlist == ()
    found = await store.find_credential(CredentialKind.API_KEY, "key-a1")
    assert found is not None and found[0].ip_allowlist == NETS
    assert [a.is_admin for a in await store.list_accounts()] == [True, False]


async def test_credentials_are_listed_and_revoked_once(store: Store, admin: AccountAdmin) -> None:
    await store.add_credentials([credential(ACC, "key-a2")])
    listed = await admin.list_credentials(ACC)
    assert sorted(c.lookup for c in listed) == ["alpha", "key-a1", "key-a2"]
    assert not any(c.revoked for c in listed)
    assert await admin.revoke_credential(ACC, CredentialKind.API_KEY, "key-a1") is True
    assert await admin.revoke_credential(ACC, CredentialKind.API_KEY, "key-a1") is False
    assert await admin.revoke_credential(OTHER, CredentialKind.API_KEY, "key-a2") is False
    revoked = {c.lookup: c.revoked for c in await admin.list_credentials(ACC)}
    assert revoked == {"alpha": False, "key-a1": True, "key-a2": False}
    found = await store.find_credential(CredentialKind.API_KEY, "key-a1")
    assert found is not None and found[1].revoked


async def test_settings_change_one_at_a_time(store: Store, admin: AccountAdmin) -> None:
    changed = await admin.update_account(
        OTHER, AccountChanges(callback_url="https://b.example/hook", is_admin=True)
    )
    assert changed.callback_url == "https://b.example/hook" and changed.is_admin
    assert not changed.disabled and changed.ip_allowlist == ()
    changed = await admin.update_account(
        OTHER, AccountChanges(disabled=True, ip_allowlist=("203.0.113.7",))
    )
    assert changed.disabled and changed.is_admin and changed.ip_allowlist == ("203.0.113.7",)
    assert changed.callback_url == "https://b.example/hook"
    changed = await admin.update_account(
        OTHER, AccountChanges(clear_callback_url=True, ip_allowlist=())
    )
    assert changed.callback_url is None and changed.ip_allowlist == ()
    assert await store.get_account(OTHER) == changed
    assert (await admin.update_account(ACC, AccountChanges())).created_at == T0
    with pytest.raises(NotFound):
        await admin.update_account(AccountId("nobody"), AccountChanges(disabled=True))


async def test_account_rules_round_trip(store: Store, admin: AccountAdmin) -> None:
    from heliograph.domain.accounts import AccountRules

    rules = AccountRules(rate_per_s=2.5, duplicates=False, quiet_hours="22:00-07:00")
    updated = await admin.update_account(ACC, AccountChanges(rules=rules))
    assert updated.rules == rules
    found = await store.find_credential(CredentialKind.API_KEY, "key-a1")
    assert found is not None and found[0].rules == rules
    cleared = await admin.update_account(ACC, AccountChanges(rules=AccountRules()))
    assert cleared.rules == AccountRules()
    beta = await store.find_account("beta")
    assert beta is not None and beta.rules == AccountRules()
