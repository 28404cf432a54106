"""Replies and receipts by e-mail in the store, on every backend (memory, SQLite, PostgreSQL):
the account's address and receipt choice kept with the account and changed one at a time, MO
routes with the email method, and an outbox event copied to the mail (``copy_callback``).
"""

from __future__ import annotations

import json

import pytest

from heliograph.domain.accounts import ReceiptMail
from heliograph.domain.inbound import DeliveryMethod, mo_route_spec
from heliograph.domain.messages import MessageState
from heliograph.store.base import AccountChanges, Store
from heliograph.store.sqlite_admin import account_admin
from tests.store.test_contract import (
    ACC,
    HOOK,
    OTHER,
    T0,
    account,
    credential,
    insert,
    message,
    with_accounts,
)


async def test_a_new_account_has_no_address_and_mails_no_receipts(store: Store) -> None:
    await store.create_account(
        account(ACC, "alpha", email="ops@alpha.example", email_receipts=ReceiptMail.ONLY),
        [credential(ACC, "key-a")],
    )
    await store.create_account(account(OTHER, "beta"), [credential(OTHER, "key-b")])
    alpha, beta = await store.list_accounts()
    assert (alpha.email, alpha.email_receipts) == ("ops@alpha.example", ReceiptMail.ONLY)
    assert (beta.email, beta.email_receipts) == (None, ReceiptMail.OFF)
    found = await store.find_credential(credential(ACC, "key-a").kind, "key-a")
    assert found is not None and found[0].email == "ops@alpha.example"


async def test_the_address_and_receipt_choice_change_one_at_a_time(store: Store) -> None:
    await with_accounts(store)
    admin = account_admin(store)
    assert admin is not None
    changed = await admin.update_account(OTHER, AccountChanges(email="desk@beta.example"))
    assert (changed.email, changed.email_receipts) == ("desk@beta.example", ReceiptMail.OFF)
    changed = await admin.update_account(OTHER, AccountChanges(email_receipts=ReceiptMail.ALSO))
    assert (changed.email, changed.email_receipts) == ("desk@beta.example", ReceiptMail.ALSO)
    changed = await admin.update_account(OTHER, AccountChanges(callback_url=HOOK))
    assert (changed.callback_url, changed.email) == (HOOK, "desk@beta.example")
    changed = await admin.update_account(OTHER, AccountChanges(clear_email=True))
    assert changed.email is None and changed.callback_url == HOOK
    again = await store.get_account(OTHER)
    assert again == changed
    untouched = await store.get_account(ACC)
    assert untouched is not None and untouched.email is None


async def test_an_mo_route_may_deliver_by_email(store: Store) -> None:
    await with_accounts(store)
    route = await store.add_mo_route(mo_route_spec("12345", method="email"), ACC, T0)
    assert route.method is DeliveryMethod.EMAIL and route.url is None
    assert await store.mo_routes() == [route]


async def test_an_outbox_event_is_copied_to_another_destination(store: Store) -> None:
    await with_accounts(store)
    [mid] = await insert(store, message(callback_url=HOOK, state=MessageState.SCHEDULED))
    await store.cancel_message(ACC, mid, T0 + 1)
    [job] = await store.claim_callbacks(T0 + 2, 10, 60.0)
    assert job.url == HOOK
    assert await store.copy_callback(job.id, "mailto:ops@alpha.example", "email", T0 + 3)
    [copy] = await store.claim_callbacks(T0 + 3, 10, 60.0)  # the original is leased
    assert (copy.url, copy.format, copy.message_id) == ("mailto:ops@alpha.example", "email", mid)
    assert copy.body == job.body and json.loads(copy.body)["status"] == "cancelled"
    assert copy.attempts == 1 and copy.id != job.id
    await store.finish_callbacks([job.id, copy.id], [], [])
    assert not await store.copy_callback(job.id, "mailto:x@y.example", "email", T0 + 4)


@pytest.mark.parametrize("bad", ["sometimes", ""])
async def test_only_known_receipt_choices_exist(bad: str) -> None:
    with pytest.raises(ValueError):
        ReceiptMail(bad)
