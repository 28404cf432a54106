"""Protective rules against mistakes and floods, as the SMS Center document sets them.

* **Duplicate protection**: the same account sending the same text to the same
  recipient again within ``duplicate_window_s`` (60 s) is refused.
* **Flood protection**: a run of messages from one account to one subscriber
  where each follows the previous by less than ``flood_gap_s`` (30 s) is cut
  off once the run would exceed ``flood_max`` (50) messages.

``Protection`` holds the recent history it needs (bounded: entries older than
the windows are dropped as time moves on) and decides with ``now`` passed in.
``check()`` both decides and records, so that two requests cannot pass the
same check between a decision and its record.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass

from heliograph.domain.rejections import Rejected, RejectReason


@dataclass(frozen=True, slots=True, kw_only=True)
class ProtectionRules:
    duplicate_window_s: float = 60.0  # 0 disables
    flood_gap_s: float = 30.0  # 0 disables
    flood_max: int = 50
    # Most sends each rule remembers. At rates where a window holds more, the
    # oldest are forgotten first (the window is then shorter than set), which
    # bounds memory: about 100 bytes an entry.
    history_limit: int = 200_000


class _TimeQueue:
    """(time, key) pairs in time order, in two flat arrays (16 bytes a pair)."""

    def __init__(self) -> None:
        self.times = array("d")
        self.keys = array("q")
        self.head = 0

    def __len__(self) -> int:
        return len(self.times) - self.head

    def push(self, at: float, key: int) -> None:
        self.times.append(at)
        self.keys.append(key)

    def pop_until(self, horizon: float, keep: int) -> list[tuple[float, int]]:
        """Pop the pairs at or before ``horizon``, and the oldest beyond ``keep`` pairs."""
        times, head, end = self.times, self.head, len(self.times)
        out = []
        while head < end and (times[head] <= horizon or end - head > keep):
            out.append((times[head], self.keys[head]))
            head += 1
        self.head = head
        if head > 4096 and head * 2 > end:
            del self.times[:head]
            del self.keys[:head]
            self.head = 0
        return out


class Protection:
    """Recent history, kept compact: a gateway at 10,000 messages/s holds about
    600,000 entries for the 60-second duplicate window. Keys are 64-bit hashes
    of (account, recipient[, text]) — a collision among a million entries is
    about one in ten million. Each table has a queue of (time, key) in time
    order, so expiry pops from the front in constant time; a flood run
    refreshed since it was queued is left alone."""

    def __init__(self, rules: ProtectionRules) -> None:
        self.rules = rules
        # A key is queued at most once while present: it can only be added
        # again after it expired, so a set is enough.
        self._sent: set[int] = set()
        self._sent_order = _TimeQueue()
        self._runs: dict[int, int] = {}  # last send in ms << 8 | run length
        self._runs_order = _TimeQueue()
        self._forgot_at = float("nan")  # when _forget last ran (nan: never)

    def _forget(self, now: float) -> None:
        keep = self.rules.history_limit
        if (  # the recipients of one request share their ``now``: nothing more is due
            now == self._forgot_at
            and len(self._sent_order) <= keep
            and len(self._runs_order) <= keep
        ):
            return
        self._forgot_at = now
        sent, runs = self._sent, self._runs
        for _, key in self._sent_order.pop_until(now - self.rules.duplicate_window_s, keep):
            sent.discard(key)
        for at, key in self._runs_order.pop_until(now - self.rules.flood_gap_s, keep):
            value = runs.get(key)
            if value is not None and value >> 8 == int(at * 1000):
                del runs[key]

    def check(
        self,
        account: str,
        to: str,
        text: str,
        now: float,
        *,
        duplicates: bool = True,
        floods: bool = True,
    ) -> Rejected | None:
        """Decide for one recipient and, when allowed, record the send.

        ``duplicates`` / ``floods`` False: that rule is off for this account.
        """
        self._forget(now)
        rules = self.rules
        key = hash((account, to, text))
        if duplicates and rules.duplicate_window_s > 0 and key in self._sent:
            return Rejected(
                RejectReason.DUPLICATE,
                f"the same text was sent to {to} less than {rules.duplicate_window_s:g} s ago",
                field="to",
            )
        if floods and rules.flood_gap_s > 0:
            run_key = hash((account, to))
            now_ms = int(now * 1000)
            previous = self._runs.get(run_key)
            streak = 1
            if previous is not None and now_ms - (previous >> 8) < rules.flood_gap_s * 1000:
                streak = (previous & 0xFF) + 1
            if streak > rules.flood_max:
                return Rejected(
                    RejectReason.FLOODED,
                    f"more than {rules.flood_max} messages to {to} less than "
                    f"{rules.flood_gap_s:g} s apart",
                    field="to",
                )
            self._runs[run_key] = now_ms << 8 | min(streak, 0xFF)
            self._runs_order.push(now, run_key)
        if duplicates and rules.duplicate_window_s > 0:
            self._sent.add(key)
            self._sent_order.push(now, key)
        return None

    def forget(self, account: str, to: str, text: str) -> None:
        """Undo the record of a send that was not committed after all."""
        self._sent.discard(hash((account, to, text)))
        run_key = hash((account, to))
        value = self._runs.get(run_key)
        if value is not None:
            if value & 0xFF > 1:
                self._runs[run_key] = value - 1
            else:
                del self._runs[run_key]

    def __len__(self) -> int:
        return len(self._sent) + len(self._runs)
