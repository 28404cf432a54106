from __future__ import annotations

import pytest

from heliograph.domain.ids import AccountId
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.domain.senders import Senders, apply_senders
from heliograph.domain.submission import SubmitLimits, SubmitRequest, plan_submission
from heliograph.services.ids import message_ids

T0 = 1_800_000_000.0


def plans(sender: str | None):  # type: ignore[no-untyped-def]
    req = SubmitRequest(account_id=AccountId("a"), to=("+447700900001",), text="x", sender=sender)
    return plan_submission(req, now=T0, ids=message_ids(T0), limits=SubmitLimits())


def test_unrestricted_account_may_use_any_sender() -> None:
    p = plans("Anything")
    assert apply_senders(p, "Anything", Senders()) == p


def test_restricted_account_must_use_its_senders() -> None:
    senders = Senders(allowed=frozenset({"Shop", "+447700900999"}), default="Shop")
    assert apply_senders(plans("Shop"), "Shop", senders)[0].message.sender == "Shop"  # type: ignore[union-attr]
    # the number is compared in its canonical form
    assert apply_senders(plans("447700900999"), "447700900999", senders)
    with pytest.raises(Rejected) as info:
        apply_senders(plans("Other"), "Other", senders)
    assert info.value.reason is RejectReason.SENDER_NOT_ALLOWED and info.value.field == "from"


def test_default_sender_fills_a_missing_from() -> None:
    senders = Senders(allowed=frozenset({"Shop"}), default="Shop")
    assert apply_senders(plans(None), None, senders)[0].message.sender == "Shop"  # type: ignore[union-attr]
    no_default = Senders(allowed=frozenset({"Shop"}))
    assert apply_senders(plans(None), None, no_default)[0].message.sender is None  # type: ignore[union-attr]
