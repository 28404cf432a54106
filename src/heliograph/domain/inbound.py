"""MO routing: which account an inbound message belongs to, and how it reaches it.

An MO route matches the number the subscriber texted (the MO's destination)
exactly, by prefix (``4477009*``) or always (``*``), and optionally the first
word of the text (a keyword, compared without case). Of the routes that
match, the most specific wins: an exact number over a prefix, a longer prefix
over a shorter one, and on the same number a keyword route over one without;
ties go to the oldest route.

A route names an account and its delivery method: ``http`` (the signed JSON
``message.received`` event POSTed to the route's URL, else the account's
callback URL, or with a ``format`` an HTTP dialect's own request, rendered by
the callback renderer registered as ``<format>-mo``), ``smpp`` (a
deliver_sm on the account's receiver binds) or ``email`` (a mail to the
account's address, which the ``email`` callback target renders). The
event goes into the callback outbox in the same commit as the MO itself
(``plan_mo`` says what to write; the store writes it). An MO that no route
matches is kept with no account.

Pure: routes and the account come in as values, ``now`` as an argument.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from heliograph.domain.accounts import Account
from heliograph.domain.ids import AccountId, MessageId
from heliograph.domain.messages import MoMessage
from heliograph.domain.optout import (
    Consent,
    KeywordAction,
    Keywords,
    consent_for_mo,
    detect,
    normalize_keyword,
)
from heliograph.domain.rejections import Rejected, RejectReason

SMPP_MO_URL = "smpp:mo"
EMAIL_FORMAT = "email"  # the callback target that mails status events and MO (servers/smtp)
_NUMBER = re.compile(r"\+?([0-9]{1,15})(\*?)")
_URL = re.compile(r"https?://\S{1,2040}")
_FORMAT = re.compile(r"[a-z][a-z0-9_]{0,31}(:\S{1,200})?")
JSON_FORMAT = "json"
_PUNCTUATION = ".!?,;:'\""


class DeliveryMethod(StrEnum):
    HTTP = "http"
    SMPP = "smpp"
    EMAIL = "email"


@dataclass(frozen=True, slots=True, kw_only=True)
class MoRoute:
    id: int
    number: str  # digits; a trailing "*" makes it a prefix; "*" alone matches every number
    keyword: str | None  # case-folded first word, or None for any text
    account_id: AccountId
    method: DeliveryMethod
    url: str | None  # http only; None: the account's callback URL (email: its address)
    created_at: float
    format: str = JSON_FORMAT  # http only: "json", or a dialect's "name" / "name:params"


@dataclass(frozen=True, slots=True, kw_only=True)
class MoRouteSpec:
    """A route to add, validated (``mo_route_spec``)."""

    number: str
    keyword: str | None
    method: DeliveryMethod
    url: str | None
    format: str = JSON_FORMAT


def route_number(raw: str) -> str:
    """``+447700900123`` → ``447700900123``; ``4477009*`` stays a prefix; ``*`` is any.

    Raises: Rejected(INVALID_REQUEST).
    """
    value = raw.strip()
    if value == "*":
        return value
    match = _NUMBER.fullmatch(value)
    if match is None:
        raise Rejected(
            RejectReason.INVALID_REQUEST,
            f"{raw!r} is not a number (up to 15 digits, '+' optional), a prefix ending in '*' "
            "or '*' for every number",
            field="number",
        )
    return match.group(1) + match.group(2)


def mo_callback_format(route_format: str) -> str:
    """The outbox format of an MO event for a route's format: ``ozeki:post`` → ``ozeki-mo:post``.

    Dialects register their MO renderers under ``<name>-mo``, apart from the
    renderers of their status callbacks.
    """
    if route_format == JSON_FORMAT:
        return JSON_FORMAT
    name, colon, params = route_format.partition(":")
    return f"{name}-mo{colon}{params}"


def mo_route_spec(
    number: str,
    *,
    keyword: str | None = None,
    method: str = "http",
    url: str | None = None,
    format: str = JSON_FORMAT,
) -> MoRouteSpec:
    """Validate a route's fields. Raises: Rejected(INVALID_REQUEST) naming the field.

    Whether a dialect renders ``format`` is the caller's to check (the renderers
    are registered by the HTTP edge); here only its shape is.
    """
    try:
        how = DeliveryMethod(method)
    except ValueError:
        raise Rejected(
            RejectReason.INVALID_REQUEST, "method must be http, smpp or email", field="method"
        ) from None
    if url is not None:
        if how is not DeliveryMethod.HTTP:
            raise Rejected(
                RejectReason.INVALID_REQUEST,
                "an smpp route delivers on the account's receiver binds and takes no URL"
                if how is DeliveryMethod.SMPP
                else "an email route mails the account's address (accounts set --email) "
                "and takes no URL",
                field="url",
            )
        if not _URL.fullmatch(url):
            raise Rejected(
                RejectReason.INVALID_REQUEST,
                "url must start with http:// or https:// (at most 2048 characters)",
                field="url",
            )
    if format != JSON_FORMAT:
        if how is not DeliveryMethod.HTTP:
            raise Rejected(
                RejectReason.INVALID_REQUEST,
                f"an {how.value} route takes no format",
                field="format",
            )
        if not _FORMAT.fullmatch(format):
            raise Rejected(
                RejectReason.INVALID_REQUEST,
                "format is json or a dialect's name (lower case), optionally followed by "
                "':' and its parameters",
                field="format",
            )
    return MoRouteSpec(
        number=route_number(number),
        keyword=normalize_keyword(keyword) if keyword is not None else None,
        method=how,
        url=url,
        format=format,
    )


def first_word(text: str) -> str:
    words = text.split(maxsplit=1)
    return words[0].rstrip(_PUNCTUATION).casefold() if words else ""


def _specificity(route: MoRoute, digits: str, word: str) -> tuple[int, int, int] | None:
    if route.keyword is not None and route.keyword != word:
        return None
    keyword = 1 if route.keyword is not None else 0
    if route.number == "*":
        return (0, 0, keyword)
    if route.number.endswith("*"):
        prefix = route.number[:-1]
        return (1, len(prefix), keyword) if digits.startswith(prefix) else None
    return (2, len(route.number), keyword) if digits == route.number else None


def select_mo_route(routes: Sequence[MoRoute], to: str, text: str) -> MoRoute | None:
    """The most specific route for an MO to ``to`` with ``text`` (see the module docstring)."""
    digits = to.strip().lstrip("+")
    word = first_word(text)
    best: MoRoute | None = None
    best_key: tuple[int, int, int] | None = None
    for route in sorted(routes, key=lambda r: r.id):
        key = _specificity(route, digits, word)
        if key is not None and (best_key is None or key > best_key):
            best, best_key = route, key
    return best


@dataclass(frozen=True, slots=True, kw_only=True)
class MoRecord:
    """An MO as stored: the message and where it was routed (nowhere: account None)."""

    id: MessageId
    connector: str
    sender: str
    to: str
    text: str
    received_at: float
    incomplete: bool
    account_id: AccountId | None
    route_id: int | None
    keyword: str | None  # the route's keyword, when the route matched on one
    action: KeywordAction | None  # STOP, START or HELP, when the text is one


@dataclass(frozen=True, slots=True, kw_only=True)
class MoDelivery:
    """The outbox entry that carries an MO event to its account."""

    url: str
    format: str  # "json" (signed POST), "smpp" (deliver_sm), "email" or a dialect's "<name>-mo"
    event: dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class MoPlan:
    """What one MO writes, all in one commit."""

    record: MoRecord
    delivery: MoDelivery | None
    consent: Consent | None
    undelivered: str | None  # why a routed MO has no delivery


def mo_event(mo: MoMessage, keyword: str | None) -> dict[str, Any]:
    """The ``message.received`` event (docs/inbound.md); field names are public API."""
    return {
        "event": "message.received",
        "id": mo.id,
        "from": mo.sender,
        "to": mo.to,
        "text": mo.text,
        "received_at": round(mo.received_at, 3),
        "incomplete": mo.incomplete,
        "keyword": keyword,
    }


def plan_mo(
    mo: MoMessage,
    route: MoRoute | None,
    account: Account | None,
    keywords: Keywords | None,
    now: float,
) -> MoPlan:
    """Decide what to store for one MO. ``keywords`` None: opt-out keywords are off.

    ``account`` is the route's account (None when it no longer exists).
    """
    routed = route is not None and account is not None
    found = detect(mo.text, keywords) if keywords is not None and routed else None
    record = MoRecord(
        id=mo.id,
        connector=mo.connector,
        sender=mo.sender,
        to=mo.to,
        text=mo.text,
        received_at=mo.received_at,
        incomplete=mo.incomplete,
        account_id=account.id if routed and account is not None else None,
        route_id=route.id if routed and route is not None else None,
        keyword=route.keyword if routed and route is not None else None,
        action=found[0] if found else None,
    )
    if route is None or account is None:
        return MoPlan(record=record, delivery=None, consent=None, undelivered=None)
    consent = (
        consent_for_mo(
            found[0], found[1], account_id=account.id, sender=mo.sender, mo_id=mo.id, at=now
        )
        if found
        else None
    )
    event = mo_event(mo, route.keyword)
    if route.method is DeliveryMethod.SMPP:
        delivery = MoDelivery(url=SMPP_MO_URL, format="smpp", event=event)
    elif route.method is DeliveryMethod.EMAIL:
        if account.email is None:
            return MoPlan(
                record=record,
                delivery=None,
                consent=consent,
                undelivered=f"account {account.name} has no e-mail address (accounts set --email)",
            )
        delivery = MoDelivery(url=f"mailto:{account.email}", format=EMAIL_FORMAT, event=event)
    else:
        url = route.url or account.callback_url
        if url is None:
            return MoPlan(
                record=record,
                delivery=None,
                consent=consent,
                undelivered=f"account {account.name} has no callback URL and the route gives none",
            )
        if route.format != JSON_FORMAT:
            # For the dialects' renderers (Ozeki's $OPERATOR, Kannel's %i, MX Telecom's
            # unsubscribe notifications); the REST event keeps its documented fields.
            event["connector"] = mo.connector
            event["consent"] = consent.action.value if consent is not None else None
        delivery = MoDelivery(url=url, format=mo_callback_format(route.format), event=event)
    return MoPlan(record=record, delivery=delivery, consent=consent, undelivered=None)
