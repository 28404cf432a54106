"""Recipient and sender addresses.

Recipients are E.164 numbers (ITU-T E.164 §6: a country code and a national
number, at most 15 digits in all). They are accepted with or without the
leading ``+`` and with the usual visual separators (spaces, dashes, dots,
parentheses), and stored in the canonical ``+<digits>`` form.

Senders are numeric (E.164 or a short code of 3 to 8 digits) or alphanumeric:
at most 11 characters (3GPP TS 23.040 §9.1.2.5: the alphanumeric originator is
11 GSM 7-bit characters packed into 10 octets), drawn here from the
characters that every network carries.
"""

from __future__ import annotations

import re

from heliograph.domain.rejections import Rejected, RejectReason

_SEPARATORS = str.maketrans("", "", " -.()\t")
_E164 = re.compile(r"\+?[1-9][0-9]{6,14}")
_SHORT_CODE = re.compile(r"[0-9]{3,8}")
_ALPHANUMERIC = re.compile(r"[A-Za-z0-9 .\-_&'!?#@*+/:=]{1,11}")


def normalize_msisdn(raw: str, *, field: str = "to") -> str:
    """Return ``+<digits>`` for a valid E.164 number. Raises: Rejected(INVALID_DESTINATION)."""
    cleaned = raw.translate(_SEPARATORS)
    if cleaned.startswith("00"):
        cleaned = "+" + cleaned[2:]
    if not _E164.fullmatch(cleaned):
        raise Rejected(
            RejectReason.INVALID_DESTINATION,
            f"{raw!r} is not an E.164 number (+ then 7 to 15 digits, no leading 0)",
            field=field,
        )
    return cleaned if cleaned.startswith("+") else "+" + cleaned


def normalize_sender(raw: str, *, field: str = "from") -> str:
    """Validate a sender id. Raises: Rejected(INVALID_SENDER)."""
    if _SHORT_CODE.fullmatch(raw):
        return raw
    cleaned = raw.translate(_SEPARATORS)
    if _E164.fullmatch(cleaned) and (cleaned.startswith("+") or len(cleaned) > 8):
        return cleaned if cleaned.startswith("+") else "+" + cleaned
    if _ALPHANUMERIC.fullmatch(raw) and not raw.isdigit():
        return raw
    raise Rejected(
        RejectReason.INVALID_SENDER,
        f"{raw!r} is neither a phone number, a 3-8 digit short code nor an "
        "alphanumeric sender of at most 11 characters",
        field=field,
    )
