"""Duplicate and flood protection at their boundaries, with time passed in."""

from __future__ import annotations

from heliograph.domain.protection import Protection, ProtectionRules
from heliograph.domain.rejections import RejectReason

T0 = 1_800_000_000.0


def test_duplicate_within_the_window_is_refused_and_allowed_at_the_60th_second() -> None:
    p = Protection(ProtectionRules())
    assert p.check("a", "+447700900001", "hi", T0) is None
    refused = p.check("a", "+447700900001", "hi", T0 + 59.999)
    assert refused is not None and refused.reason is RejectReason.DUPLICATE
    assert refused.field == "to"
    assert p.check("a", "+447700900001", "hi", T0 + 60.0) is None


def test_duplicate_needs_same_account_recipient_and_text() -> None:
    p = Protection(ProtectionRules())
    assert p.check("a", "+447700900001", "hi", T0) is None
    assert p.check("b", "+447700900001", "hi", T0) is None
    assert p.check("a", "+447700900002", "hi", T0) is None
    assert p.check("a", "+447700900001", "hi!", T0) is None


def test_flood_allows_50_close_messages_and_blocks_the_51st() -> None:
    p = Protection(ProtectionRules(duplicate_window_s=0))
    for i in range(50):
        assert p.check("a", "+447700900001", "x", T0 + i * 29.9) is None, i
    refused = p.check("a", "+447700900001", "x", T0 + 50 * 29.9)
    assert refused is not None and refused.reason is RejectReason.FLOODED


def test_flood_run_restarts_after_a_30_second_gap() -> None:
    p = Protection(ProtectionRules(duplicate_window_s=0))
    t = T0
    for _ in range(50):
        assert p.check("a", "+447700900001", "x", t) is None
        t += 1
    t += 29  # the gap from the last message is exactly 30 s: the run restarts
    assert p.check("a", "+447700900001", "x", t) is None
    assert p.check("a", "+447700900001", "x", t + 1) is None


def test_disabled_rules_refuse_nothing() -> None:
    p = Protection(ProtectionRules(duplicate_window_s=0, flood_gap_s=0))
    for i in range(200):
        assert p.check("a", "+447700900001", "same", T0 + i) is None
    assert len(p) == 0


def test_history_is_forgotten_as_time_passes() -> None:
    p = Protection(ProtectionRules())
    for i in range(1000):
        p.check("a", f"+4477009{i:05d}", "x", T0)
    assert len(p) == 2000
    p.check("a", "+447700999999", "x", T0 + 61)
    assert len(p) == 2


def test_history_limit_bounds_memory_by_forgetting_the_oldest_first() -> None:
    p = Protection(ProtectionRules(history_limit=1000))
    for i in range(5000):
        assert p.check("a", f"+4477009{i:05d}", "x", T0) is None
    assert len(p) <= 2 * 1000 + 2
    # the most recent are still remembered, the oldest are not
    assert p.check("a", "+447700904999", "x", T0 + 1) is not None
    assert p.check("a", "+447700900000", "x", T0 + 1) is None
