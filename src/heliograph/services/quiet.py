"""Quiet hours applied to planned messages: time zones from the number, rule from the domain.

The time zones of a number come from the numbering plan (phonenumbers'
offline data) and are cached per number prefix; wall-clock conversion uses the
system's time-zone database (zoneinfo). A number with no known zone is not
held.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone

from heliograph.domain.messages import MessageState, transition
from heliograph.domain.quiet import QuietHours, release_time
from heliograph.domain.submission import RecipientPlan


@lru_cache(maxsize=4096)
def _zones_for_prefix(prefix: str) -> tuple[ZoneInfo, ...]:
    try:
        number = phonenumbers.parse(prefix, None)
    except phonenumbers.NumberParseException:
        return ()
    zones = []
    for name in timezone.time_zones_for_number(number):
        try:
            zones.append(ZoneInfo(name))
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return tuple(zones)


def zones_for(msisdn: str) -> tuple[ZoneInfo, ...]:
    # Zones depend on the country code and area, not on the subscriber digits.
    return _zones_for_prefix(msisdn[:8] + "0" * max(0, len(msisdn) - 8))


def apply_quiet_hours(
    plans: list[RecipientPlan], quiet: QuietHours, now: float
) -> list[RecipientPlan]:
    """Hold messages that would reach a handset inside the quiet window."""
    out = []
    for plan in plans:
        msg = plan.message
        if msg is not None:
            zones = zones_for(msg.to)
            if zones:

                def local_times(at: float, zones: Sequence[ZoneInfo] = zones) -> list[time]:
                    instant = datetime.fromtimestamp(at, UTC)
                    return [instant.astimezone(z).time() for z in zones]

                due = release_time(quiet, msg.due_at, local_times)
                if due > msg.due_at:
                    shift = due - msg.due_at
                    held = replace(
                        msg,
                        due_at=due,
                        state=transition(MessageState.ACCEPTED, MessageState.SCHEDULED),
                        expires_at=msg.expires_at + shift if msg.expires_at else None,
                    )
                    plan = replace(plan, message=held)
        out.append(plan)
    return out
