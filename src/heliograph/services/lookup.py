"""Number lookup from offline numbering-plan data (the phonenumbers library).

Answers what can be known without asking a network: whether the number is
valid for its numbering plan, its E.164 form, its type (mobile, fixed line,
...), region, the carrier it was allocated to (numbers may have been ported
since: an HLR lookup, which asks the network, can plug in later) and its time
zones. The carrier tables (about 10 MB) are loaded on the first lookup, not at
start-up; the geographic descriptions are not used (about 100 MB of data for a
place name the region already gives).
"""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneNumberType, timezone

from heliograph.domain.rejections import Rejected, RejectReason

_TYPES = {
    PhoneNumberType.FIXED_LINE: "fixed_line",
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
    PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.PREMIUM_RATE: "premium_rate",
    PhoneNumberType.SHARED_COST: "shared_cost",
    PhoneNumberType.VOIP: "voip",
    PhoneNumberType.PERSONAL_NUMBER: "personal_number",
    PhoneNumberType.PAGER: "pager",
    PhoneNumberType.UAN: "uan",
    PhoneNumberType.VOICEMAIL: "voicemail",
    PhoneNumberType.UNKNOWN: "unknown",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class NumberInfo:
    input: str
    valid: bool
    possible: bool
    e164: str
    type: str
    country_code: int
    region: str | None
    carrier: str | None
    time_zones: list[str]


def lookup(number: str) -> NumberInfo:
    """Raises: Rejected(INVALID_DESTINATION) when the text is not a phone number at all."""
    text = number.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    if not text.startswith("+"):
        text = "+" + text
    try:
        parsed = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException as exc:
        raise Rejected(
            RejectReason.INVALID_DESTINATION,
            f"{number!r} is not a phone number in international form: {exc}",
            field="number",
        ) from exc
    from phonenumbers import carrier

    zones = [z for z in timezone.time_zones_for_number(parsed) if z != "Etc/Unknown"]
    return NumberInfo(
        input=number,
        valid=phonenumbers.is_valid_number(parsed),
        possible=phonenumbers.is_possible_number(parsed),
        e164=phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164),
        type=_TYPES.get(phonenumbers.number_type(parsed), "unknown"),
        country_code=parsed.country_code or 0,
        region=phonenumbers.region_code_for_number(parsed),
        carrier=carrier.name_for_number(parsed, "en") or None,
        time_zones=zones,
    )
