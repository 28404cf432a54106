"""REST API v1 request and response bodies, and their translation to domain types.

The msgspec Structs here are the schema: requests are decoded and validated by
them in one pass, responses are encoded from them, and ``openapi.py`` derives
the OpenAPI document from them. ``dict[str, Any]`` appears nowhere else.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec

from heliograph.domain.messages import MessageView
from heliograph.domain.pricing import from_micros
from heliograph.domain.rejections import Rejected
from heliograph.domain.submission import RecipientPlan
from heliograph.servers.http.content import ContentBody


class SubmitBody(msgspec.Struct, forbid_unknown_fields=True):
    """POST /v1/messages."""

    to: str | Annotated[list[str], msgspec.Meta(min_length=1)]
    text: Annotated[str, msgspec.Meta(max_length=40_000)] = ""  # or content
    from_: str | None = msgspec.field(default=None, name="from")
    callback_url: Annotated[str, msgspec.Meta(pattern=r"^https?://", max_length=2048)] | None = None
    reference: Annotated[str, msgspec.Meta(max_length=128)] | None = None
    schedule_at: datetime | None = None
    validity_s: int | None = None
    priority: Annotated[int, msgspec.Meta(ge=0, le=3)] = 0
    encoding: str = "auto"
    transliterate: bool = False
    test: bool = False  # test mode: validated, routed and priced, never sent, never charged
    content: ContentBody | None = None  # rich content instead of text (servers/http/content.py)
    flash: bool = False  # message class 0: shown at once, not stored (TS 23.038 §4)
    message_class: Annotated[int, msgspec.Meta(ge=0, le=3)] | None = None
    languages: list[str | int] | None = None  # national shift tables: "turkish" or 1..13
    template: Annotated[str, msgspec.Meta(max_length=64)] | None = None  # instead of text
    personalize: bool = False  # fill {name}, {number}, {field} per recipient: docs/books.md


class ErrorDetail(msgspec.Struct, omit_defaults=False):
    code: str
    message: str
    field: str | None = None


class ErrorBody(msgspec.Struct):
    error: ErrorDetail


class RecipientAnswer(msgspec.Struct, omit_defaults=True):
    to: str
    id: str | None = None
    status: str | None = None
    parts: int | None = None
    error: ErrorDetail | None = None


class SubmitAnswer(msgspec.Struct, omit_defaults=True):
    messages: list[RecipientAnswer]
    accepted: int
    rejected: int
    test: bool = False  # only in test mode, with what the request would have cost
    cost: str | None = None


class PartBody(msgspec.Struct):
    seq: int
    status: str
    connector: str | None
    upstream_id: str | None
    attempts: int
    error: str | None
    updated_at: datetime


class MessageBody(msgspec.Struct):
    id: str
    to: str
    from_: str | None = msgspec.field(name="from")
    text: str
    encoding: str
    status: str
    reference: str | None
    callback_url: str | None
    priority: int
    created_at: datetime
    updated_at: datetime
    scheduled_at: datetime
    expires_at: datetime | None
    error: str | None
    parts: list[PartBody]
    test: bool = False


class MessageList(msgspec.Struct):
    messages: list[MessageBody]
    next_cursor: str | None


class HealthBody(msgspec.Struct):
    status: str
    version: str
    connectors: dict[str, bool]


def error_detail(exc: Rejected) -> ErrorDetail:
    return ErrorDetail(code=exc.reason.value, message=exc.detail, field=exc.field)


def submit_answer(plans: list[RecipientPlan]) -> SubmitAnswer:
    answers = []
    accepted = 0
    test = False
    cost = 0
    for plan in plans:
        if plan.message is not None:
            accepted += 1
            m = plan.message
            test = test or m.test
            cost += m.price_micros * m.parts
            answers.append(RecipientAnswer(to=m.to, id=m.id, status=m.state.value, parts=m.parts))
        else:
            assert plan.error is not None
            answers.append(RecipientAnswer(to=plan.to, error=error_detail(plan.error)))
    if test:
        return SubmitAnswer(
            messages=answers,
            accepted=accepted,
            rejected=len(plans) - accepted,
            test=True,
            cost=str(from_micros(cost)),
        )
    return SubmitAnswer(messages=answers, accepted=accepted, rejected=len(plans) - accepted)


def _ts(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def message_body(view: MessageView) -> MessageBody:
    return MessageBody(
        id=view.id,
        to=view.to,
        from_=view.sender,
        text=view.text,
        encoding=view.encoding,
        status=view.state.value,
        reference=view.reference,
        callback_url=view.callback_url,
        priority=view.priority,
        created_at=_ts(view.created_at),
        updated_at=_ts(view.updated_at),
        scheduled_at=_ts(view.due_at),
        expires_at=_ts(view.expires_at) if view.expires_at is not None else None,
        error=view.error,
        test=view.test,
        parts=[
            PartBody(
                seq=p.seq,
                status=p.state.value,
                connector=p.connector,
                upstream_id=p.upstream_id,
                attempts=p.attempts,
                error=p.error,
                updated_at=_ts(p.updated_at),
            )
            for p in view.parts
        ],
    )


def field_from_validation(message: str) -> str | None:
    """The field a msgspec validation message names.

    "Expected `str`, got `int` - at `$.to[3]`" → ``to[3]``; "Object missing required
    field `text`" → ``text``; "Object contains unknown field `extra`" → ``extra``
    (prefixed with the object's path when it is nested).
    """
    marker = "at `$."
    path = message.rsplit(marker, 1)[1].rstrip("`") if marker in message else None
    named = re.search(r"(?:required|unknown) field `([^`]+)`", message)
    if named is not None:
        path = f"{path}.{named[1]}" if path else named[1]
    return path.replace("from_", "from") if path else None


def json_ready(value: Any) -> Any:
    return msgspec.to_builtins(value)
