"""Quiet hours: no message reaches a handset at night in the recipient's time zone.

A window such as 21:00-08:00 (it may wrap past midnight) is quiet. A message
whose send time falls in it is held until the window is over in every time
zone of the recipient's number (a country may span several); if the zones
never share an open moment in the next two days, the first zone decides.
Local wall times come from ``local_times(instant)``, a function the caller
builds from the time-zone database, so this module stays pure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import time

STEP_S = 300.0  # release times are on 5-minute steps
HORIZON_S = 2 * 86400.0


@dataclass(frozen=True, slots=True, kw_only=True)
class QuietHours:
    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        """ "21:00-08:00" → QuietHours. Raises: ValueError with what is wrong."""
        try:
            start_text, end_text = text.split("-")
            start, end = (
                time.fromisoformat(start_text.strip()),
                time.fromisoformat(end_text.strip()),
            )
        except ValueError:
            raise ValueError(f"{text!r} is not a window like 21:00-08:00") from None
        if start == end:
            raise ValueError(f"{text!r} is an empty window")
        return cls(start=start, end=end)

    def is_quiet(self, local: time) -> bool:
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


def release_time(
    quiet: QuietHours, now: float, local_times: Callable[[float], Sequence[time]]
) -> float:
    """The first instant from ``now`` outside the quiet window in every zone (``now`` if open)."""
    if not any(quiet.is_quiet(t) for t in local_times(now)):
        return now
    start = now - now % STEP_S + STEP_S
    steps = int(HORIZON_S / STEP_S)
    for i in range(steps):
        at = start + i * STEP_S
        if not any(quiet.is_quiet(t) for t in local_times(at)):
            return at
    for i in range(steps):
        at = start + i * STEP_S
        if not quiet.is_quiet(local_times(at)[0]):
            return at
    return now
