"""Quiet hours at their edges, across midnight and across time zones (time passed in)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone

import pytest

from heliograph.domain.quiet import QuietHours, release_time

NIGHT = QuietHours.parse("21:00-08:00")


def at(hh: int, mm: int = 0, day: int = 15) -> float:
    return datetime(2027, 1, day, hh, mm, tzinfo=UTC).timestamp()


def zones(*offsets_h: float):  # type: ignore[no-untyped-def]
    tzs = [timezone(timedelta(hours=h)) for h in offsets_h]

    def local(instant: float) -> list[time]:
        moment = datetime.fromtimestamp(instant, UTC)
        return [moment.astimezone(tz).time() for tz in tzs]

    return local


@pytest.mark.parametrize(
    ("local", "quiet"),
    [
        (time(20, 59), False),
        (time(21, 0), True),
        (time(23, 59), True),
        (time(0, 0), True),
        (time(7, 59), True),
        (time(8, 0), False),
        (time(12, 0), False),
    ],
)
def test_window_wrapping_midnight(local: time, quiet: bool) -> None:
    assert NIGHT.is_quiet(local) is quiet


def test_day_window_that_does_not_wrap() -> None:
    lunch = QuietHours.parse("12:00-13:30")
    assert lunch.is_quiet(time(12, 0)) and lunch.is_quiet(time(13, 29))
    assert not lunch.is_quiet(time(13, 30)) and not lunch.is_quiet(time(11, 59))


def test_open_now_is_sent_now() -> None:
    assert release_time(NIGHT, at(12), zones(0)) == at(12)


def test_held_until_eight_local_time() -> None:
    assert release_time(NIGHT, at(22, 3), zones(0)) == at(8, day=16)
    # the recipient is 3 hours ahead: 06:00 UTC is 09:00 there, so 05:00 UTC is the opening
    assert release_time(NIGHT, at(19), zones(3)) == at(5, day=16)
    # 20:30 UTC is 20:30 in London but 21:30 in Berlin
    assert release_time(NIGHT, at(20, 30), zones(0)) == at(20, 30)
    assert release_time(NIGHT, at(20, 30), zones(1)) == at(7, day=16)


def test_several_zones_wait_for_the_last_to_open() -> None:
    # +3 and +7: open in both once it is 08:00 at +3 (05:00 UTC, 12:00 at +7)
    assert release_time(NIGHT, at(23), zones(3, 7)) == at(5, day=16)


def test_zones_that_never_share_an_open_moment_follow_the_first() -> None:
    evenings = QuietHours.parse("20:00-08:00")  # open 08-20 UTC at 0, 20-08 UTC at +12
    assert release_time(evenings, at(21), zones(0, 12)) == at(8, day=16)


@pytest.mark.parametrize("text", ["21:00", "25:00-08:00", "08:00-08:00", "", "nine-five"])
def test_bad_windows_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        QuietHours.parse(text)
