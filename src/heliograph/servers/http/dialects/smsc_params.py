"""SMS Center request parameters: charsets, ids, phone lists, ``time``/``tz``, ``valid``, ``list``.

Pure parsing (``now`` comes in as an argument). Every problem raises
``SmscError`` with the SMS Center error code it stands for: 1 for a bad
parameter, 5 for a time that cannot be read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

CHARSETS = {"windows-1251": "cp1251", "utf-8": "utf-8", "koi8-r": "koi8-r"}
DEFAULT_CHARSET = "windows-1251"
MOSCOW = timedelta(hours=3)  # the SMS Center states times in Moscow time (UTC+3)
MAX_ID = 2_147_483_647

_ID_TEXT = re.compile(r"[A-Za-z0-9.\-_]{1,40}")
_DDMMYYHHMM = re.compile(r"(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)")
_DOTTED = re.compile(r"(\d\d)\.(\d\d)\.(\d\d) (\d\d):(\d\d)")
_HOURS = re.compile(r"(\d{1,2})-(\d{1,2})")
_VALID_HOURS = re.compile(r"\d{1,2}")
_VALID_HHMM = re.compile(r"(\d\d):(\d\d)")


class SmscError(Exception):
    """A refusal with its SMS Center error code; ``detail`` says what was wrong."""

    def __init__(self, code: int, detail: str = "") -> None:
        super().__init__(detail or f"error {code}")
        self.code = code
        self.detail = detail


def raw_pairs(query: str, body: str) -> list[tuple[str, str]]:
    """Name/value pairs of the query and a form body, values still as Latin-1 byte strings."""
    pairs = parse_qsl(query, keep_blank_values=True, encoding="latin-1")
    return pairs + parse_qsl(body, keep_blank_values=True, encoding="latin-1")


def decode_params(pairs: list[tuple[str, str]]) -> tuple[dict[str, str], str]:
    """(parameters, charset name): values decoded with ``charset`` (windows-1251 by default)."""
    raw: dict[str, str] = {}
    for name, value in pairs:
        raw.setdefault(name, value)
    charset = raw.get("charset", "").strip().lower() or DEFAULT_CHARSET
    codec = CHARSETS.get(charset)
    if codec is None:
        raise SmscError(1, f"charset must be one of {', '.join(CHARSETS)}")
    try:
        decoded = {name: value.encode("latin-1").decode(codec) for name, value in raw.items()}
    except UnicodeDecodeError:
        raise SmscError(1, f"the parameters are not in {charset}") from None
    return decoded, charset


def message_id(value: str | None) -> str | None:
    """The client's message id: 1 to 2147483647, or up to 40 of A-Z a-z 0-9 . - _.

    0 or nothing means "not given" (the SMS Center's own libraries send ``id=0``).
    """
    if value is None or value.strip() in ("", "0"):
        return None
    value = value.strip()
    if value.isdigit():
        if int(value) > MAX_ID:
            raise SmscError(1, f"id must be at most {MAX_ID}")
        return str(int(value))
    if not _ID_TEXT.fullmatch(value):
        raise SmscError(1, "id must be a number or up to 40 letters, digits, '.', '-', '_'")
    return value


def phone_list(value: str) -> list[str]:
    """Numbers separated by commas or semicolons (a "+" sent unencoded arrives as a space)."""
    phones = [p.strip() for p in value.replace(";", ",").split(",") if p.strip()]
    for phone in phones:
        if phone[:1] in ("G", "g") and phone[1:].isdigit():
            raise SmscError(1, "sending to a group of numbers (G<number>) is not supported")
    return phones


def _int(value: str, name: str, low: int, high: int) -> int:
    try:
        number = int(value.strip())
    except ValueError:
        raise SmscError(1, f"{name} must be a number") from None
    if not low <= number <= high:
        raise SmscError(1, f"{name} must be {low} to {high}")
    return number


def flag(params: dict[str, str], name: str, allowed: range) -> int:
    """An optional small integer parameter (0 when absent)."""
    value = params.get(name, "").strip()
    return _int(value, name, allowed.start, allowed.stop - 1) if value else 0


@dataclass(frozen=True, slots=True)
class When:
    """When to send: at an absolute time or after a delay (both None: now)."""

    at: float | None = None
    delay_s: float | None = None


def _local(now: float, tz: int) -> datetime:
    """The wall clock of the client's zone: Moscow time shifted by ``tz`` hours."""
    return datetime.fromtimestamp(now, UTC) + MOSCOW + timedelta(hours=tz)


def _from_local(local: datetime, tz: int) -> float:
    return (local - MOSCOW - timedelta(hours=tz)).replace(tzinfo=UTC).timestamp()


def _hour_window(h1: int, h2: int, now: float, tz: int) -> When:
    """Send now if the local hour is in [h1, h2), else at the next h1 o'clock."""
    if not (0 <= h1 <= 23 and 1 <= h2 <= 24) or h1 == h2:
        raise SmscError(5, "hours must be h1-h2 with 0 <= h1 <= 23, 1 <= h2 <= 24")
    local = _local(now, tz).replace(tzinfo=None)
    hour = local.hour
    inside = h1 <= hour < h2 if h1 < h2 else (hour >= h1 or hour < h2)
    if inside:
        return When()
    start = local.replace(hour=h1, minute=0, second=0, microsecond=0)
    if start <= local:
        start += timedelta(days=1)
    return When(at=_from_local(start, tz))


def send_time(value: str | None, tz_value: str | None, now: float) -> When:
    """``time`` with ``tz``: DDMMYYhhmm, DD.MM.YY hh:mm, h1-h2, 0<unix time> or +<minutes>."""
    tz = _int(tz_value, "tz", -24, 24) if tz_value and tz_value.strip() else 0
    if value is None or value.strip() in ("", "0"):
        return When()
    # +m: in m minutes (a "+" sent unencoded arrives as a space).
    if value[:1] in ("+", " ") and value[1:].strip().isdigit():
        return When(delay_s=int(value[1:]) * 60.0)
    value = value.strip()
    if value.startswith("0") and value[1:].isdigit() and len(value) > 10:
        return When(at=float(int(value[1:])))
    if match := _HOURS.fullmatch(value):
        return _hour_window(int(match[1]), int(match[2]), now, tz)
    match = _DDMMYYHHMM.fullmatch(value) or _DOTTED.fullmatch(value)
    if match is None:
        raise SmscError(5, f"cannot read time {value!r}")
    day, month, year, hour, minute = (int(g) for g in match.groups())
    try:
        local = datetime(2000 + year, month, day, hour, minute)
    except ValueError:
        raise SmscError(5, f"no such date: {value!r}") from None
    return When(at=_from_local(local, tz))


def validity_s(value: str | None) -> int | None:
    """``valid``: 1 to 24 hours, or hh:mm from 00:01 to 24:00."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if _VALID_HOURS.fullmatch(value) and 1 <= int(value) <= 24:
        return int(value) * 3600
    if match := _VALID_HHMM.fullmatch(value):
        seconds = int(match[1]) * 3600 + int(match[2]) * 60
        if int(match[2]) < 60 and 60 <= seconds <= 24 * 3600:
            return seconds
    raise SmscError(1, "valid must be 1 to 24 (hours) or hh:mm from 00:01 to 24:00")


def message_list(value: str) -> list[tuple[list[str], str]]:
    """``list``: lines of ``phones:message``; a literal ``\\n`` in a message is a line break."""
    entries = []
    for line in value.replace("\r\n", "\n").split("\n"):
        if not line.strip():
            continue
        phones, colon, text = line.partition(":")
        if not colon or not phones.strip():
            raise SmscError(1, f"list lines are phones:message, not {line[:40]!r}")
        entries.append((phone_list(phones), text.replace("\\n", "\n")))
    if not entries:
        raise SmscError(1, "list is empty")
    return entries
