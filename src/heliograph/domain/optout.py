"""Opt-out: STOP/START/HELP keywords in MO messages and the per-account opt-out list.

A subscriber who texts STOP to a number routed to an account is put on that
account's opt-out list, with a consent record (when, which MO message, which
keyword); START takes them off again; HELP asks for the account's help text.
A keyword is recognised when it is the *whole* message, ignoring case,
surrounding spaces and trailing punctuation ("stop", " Stop! "), so that
"Stop by the shop at six" opts nobody out. The keyword lists are
configuration, with defaults in several languages.

MT messages from an account to a number on its list are refused per recipient
with ``OPTED_OUT`` (``apply_optouts``); the others in the batch go on. This
module decides; reading and writing the list is the store's business, and
``now`` comes in as an argument.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from enum import StrEnum

from heliograph.domain.addresses import normalize_msisdn
from heliograph.domain.ids import AccountId, MessageId
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.domain.submission import RecipientPlan

DEFAULT_STOP = (
    "STOP",
    "STOPALL",
    "UNSUBSCRIBE",
    "CANCEL",
    "END",
    "QUIT",
    "ARRET",
    "ARRÊT",
    "STOPP",
    "BAJA",
)
DEFAULT_START = ("START", "UNSTOP", "YES")
DEFAULT_HELP = ("HELP", "INFO", "AIDE", "AYUDA")
DEFAULT_HELP_TEXT = "Reply STOP to stop receiving messages from us, START to receive them again."

MAX_KEYWORD_LENGTH = 20
MAX_REASON_LENGTH = 200
_TRAILING = ".!?,;:'\" "


class KeywordAction(StrEnum):
    STOP = "stop"
    START = "start"
    HELP = "help"


class ConsentAction(StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"


class ConsentSource(StrEnum):
    MO = "mo"  # the subscriber texted a keyword
    API = "api"  # the account, through /v1/optouts
    CLI = "cli"  # an operator


def normalize_keyword(raw: str, *, field: str = "keyword") -> str:
    """One word, compared without case. Raises: Rejected(INVALID_REQUEST)."""
    word = raw.strip()
    if not word or len(word) > MAX_KEYWORD_LENGTH or any(c.isspace() for c in word):
        raise Rejected(
            RejectReason.INVALID_REQUEST,
            f"{raw!r} is not a keyword: one word of 1 to {MAX_KEYWORD_LENGTH} characters",
            field=field,
        )
    return word.casefold()


@dataclass(frozen=True, slots=True, kw_only=True)
class Keywords:
    """The keyword lists, each already normalised (``normalize_keyword``)."""

    stop: frozenset[str]
    start: frozenset[str]
    help: frozenset[str]

    @classmethod
    def of(
        cls,
        stop: Iterable[str] = DEFAULT_STOP,
        start: Iterable[str] = DEFAULT_START,
        help: Iterable[str] = DEFAULT_HELP,
    ) -> Keywords:
        """Raises: Rejected(INVALID_REQUEST) for a bad keyword or one in two lists."""
        lists = {
            name: frozenset(normalize_keyword(k, field=f"{name}_keywords") for k in words)
            for name, words in (("stop", stop), ("start", start), ("help", help))
        }
        for a, b in (("stop", "start"), ("stop", "help"), ("start", "help")):
            both = lists[a] & lists[b]
            if both:
                raise Rejected(
                    RejectReason.INVALID_REQUEST,
                    f"{sorted(both)[0]!r} is both a {a} and a {b} keyword",
                    field=f"{b}_keywords",
                )
        return cls(stop=lists["stop"], start=lists["start"], help=lists["help"])


def detect(text: str, keywords: Keywords) -> tuple[KeywordAction, str] | None:
    """The action a whole-message keyword asks for, and the keyword as received."""
    word = text.strip().rstrip(_TRAILING)
    if not word or len(word) > MAX_KEYWORD_LENGTH:
        return None
    folded = word.casefold()
    for action, words in (
        (KeywordAction.STOP, keywords.stop),
        (KeywordAction.START, keywords.start),
        (KeywordAction.HELP, keywords.help),
    ):
        if folded in words:
            return action, word.upper()
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Consent:
    """One change of a subscriber's consent, as recorded for good."""

    account_id: AccountId
    number: str
    action: ConsentAction
    at: float
    source: ConsentSource
    mo_id: MessageId | None = None
    keyword: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OptOut:
    """A number on an account's opt-out list, with the consent record that put it there."""

    account_id: AccountId
    number: str
    since: float
    source: ConsentSource
    mo_id: MessageId | None
    keyword: str | None
    reason: str | None


def optout_number(raw: str, *, field: str = "number") -> str:
    """The E.164 form a list holds. Raises: Rejected(INVALID_DESTINATION)."""
    return normalize_msisdn(raw, field=field)


def check_reason(reason: str | None) -> str | None:
    """Raises: Rejected(INVALID_REQUEST) for a reason that is too long."""
    if reason is not None and len(reason) > MAX_REASON_LENGTH:
        raise Rejected(
            RejectReason.INVALID_REQUEST,
            f"reason is at most {MAX_REASON_LENGTH} characters",
            field="reason",
        )
    return reason or None


def consent_for_mo(
    action: KeywordAction,
    keyword: str,
    *,
    account_id: AccountId,
    sender: str,
    mo_id: MessageId,
    at: float,
) -> Consent | None:
    """The consent change a STOP or START from ``sender`` makes; None for HELP, or
    when the sender is not an E.164 number (a list holds only what MT can reach)."""
    if action is KeywordAction.HELP:
        return None
    try:
        number = optout_number(sender)
    except Rejected:
        return None
    return Consent(
        account_id=account_id,
        number=number,
        action=ConsentAction.OPT_OUT if action is KeywordAction.STOP else ConsentAction.OPT_IN,
        at=at,
        source=ConsentSource.MO,
        mo_id=mo_id,
        keyword=keyword,
    )


def apply_optouts(plans: list[RecipientPlan], opted_out: Collection[str]) -> list[RecipientPlan]:
    """Refuse, per recipient, the planned messages to numbers on the account's list."""
    if not opted_out:
        return plans
    return [
        replace(
            p,
            message=None,
            error=Rejected(
                RejectReason.OPTED_OUT,
                f"{p.message.to} has opted out of messages from this account",
                field="to",
            ),
        )
        if p.message is not None and p.message.to in opted_out
        else p
        for p in plans
    ]
