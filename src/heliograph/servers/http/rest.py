"""REST API v1: /v1/messages, /v1/health, /metrics.

Each handler parses, calls one service method and renders (STYLE rule 8).
Errors leave as ``Rejected`` or ``ApiError`` and are rendered by the error
middleware in ``app.py`` as ``{"error": {"code", "message", "field"}}``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

import msgspec
from aiohttp import web

from heliograph import __version__
from heliograph.domain.content import Mms, parse_languages
from heliograph.domain.ids import AccountId, MessageId
from heliograph.domain.messages import MessageState
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.domain.submission import RecipientPlan, SubmitRequest
from heliograph.servers.http import family
from heliograph.servers.http.auth import account_for, account_of
from heliograph.servers.http.content import (
    MMS,
    LibraryBody,
    base_url,
    content_value,
    library_content,
)
from heliograph.servers.http.context import SERVICES, ApiError, json_response
from heliograph.servers.http.fastlane import FastHandler, FastRequest, FastResponse
from heliograph.servers.http.schemas import (
    HealthBody,
    MessageList,
    SubmitBody,
    field_from_validation,
    message_body,
    submit_answer,
)
from heliograph.servers.http.statuses import refusal
from heliograph.services.submit import SubmitResult
from heliograph.store.base import IdempotentAnswer, MessageFilter

_submit_decoder = msgspec.json.Decoder(SubmitBody)
_encode = msgspec.json.Encoder().encode


def _render(plans: list[RecipientPlan]) -> IdempotentAnswer:
    return IdempotentAnswer(status=202, body=_encode(submit_answer(plans)))


def decode_submit(body: bytes) -> SubmitBody:
    try:
        return _submit_decoder.decode(body)
    except msgspec.ValidationError as exc:
        raise ApiError(400, "invalid_request", str(exc), field_from_validation(str(exc))) from exc
    except msgspec.DecodeError as exc:
        raise ApiError(400, "invalid_json", f"body is not valid JSON: {exc}") from exc


def _epoch(value: datetime | None, field: str) -> float | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise Rejected(
            RejectReason.INVALID_SCHEDULE,
            "give a time zone (e.g. 2026-01-31T09:00:00Z)",
            field=field,
        )
    return value.timestamp()


def _message_class(body: SubmitBody) -> int | None:
    if body.flash and body.message_class not in (None, 0):
        raise Rejected(
            RejectReason.INVALID_REQUEST, "flash is message class 0", field="message_class"
        )
    return 0 if body.flash else body.message_class


def submit_request(body: SubmitBody, account_id: AccountId) -> SubmitRequest:
    if body.template is None and (body.content is not None) == bool(body.text):
        detail = "send text or content, not both" if body.text else "text or content is required"
        raise Rejected(RejectReason.INVALID_REQUEST, detail, field="text")
    return SubmitRequest(
        account_id=account_id,
        to=(body.to,) if isinstance(body.to, str) else tuple(body.to),
        text=body.text,
        sender=body.from_,
        callback_url=body.callback_url,
        reference=body.reference,
        schedule_at=_epoch(body.schedule_at, "schedule_at"),
        validity_s=body.validity_s,
        priority=body.priority,
        encoding=body.encoding,
        transliterate=body.transliterate,
        test=body.test,
        content=content_value(body.content)
        if body.content is not None and not isinstance(body.content, LibraryBody)
        else None,
        message_class=_message_class(body),
        languages=parse_languages(body.languages) if body.languages else None,
        template=body.template,
        personalize=body.personalize,
    )


async def submit_message(
    app: web.Application,
    *,
    authorization: str,
    content_type: str,
    body: bytes,
    idempotency_key: str | None,
    peer: str | None,
    base: Callable[[], str],
) -> SubmitResult:
    """``POST /v1/messages``, whichever server read the request (aiohttp's or the fast
    lane: ``fastlane.py``). ``base``: how the request reached the gateway, for MMS.

    Raises: Rejected, ApiError.
    """
    services = app[SERVICES]
    account = await account_for(services, authorization, peer)
    if content_type != "application/json":
        raise ApiError(415, "unsupported_media_type", "send the body as application/json")
    submit = decode_submit(body)
    key = idempotency_key
    if key is not None and not 1 <= len(key) <= 255:
        raise ApiError(
            400, "invalid_request", "Idempotency-Key must be 1-255 characters", "Idempotency-Key"
        )
    req = submit_request(submit, account.id)
    if isinstance(submit.content, LibraryBody):  # the stored item: services/library.py
        req = replace(req, content=await library_content(services.library, account, submit.content))
    if isinstance(req.content, Mms):  # stored for the handset's fetch: servers/http/content.py
        mms = app.get(MMS)
        if mms is None:
            raise Rejected(
                RejectReason.NOT_SUPPORTED, "MMS is not served here", field="content.type"
            )
        return await mms.submit(req, account, _render, base_url=base(), idempotency_key=key)
    return await services.submit.submit(req, account, _render, idempotency_key=key)


async def post_messages(request: web.Request) -> web.Response:
    result = await submit_message(
        request.app,
        authorization=request.headers.get("Authorization", ""),
        content_type=request.content_type,
        body=await request.read(),
        idempotency_key=request.headers.get("Idempotency-Key"),
        peer=request.remote,
        base=lambda: base_url(request),
    )
    headers = {"Idempotent-Replayed": "true"} if result.replayed else None
    return web.Response(
        status=result.answer.status,
        body=result.answer.body,
        content_type="application/json",
        headers=headers,
    )


def fast_routes(app: web.Application, scheme: str = "http") -> dict[tuple[str, str], FastHandler]:
    """The requests of this module the fast lane serves itself (``fastlane.py``)."""

    async def post(request: FastRequest) -> FastResponse:
        def base() -> str:
            return f"{scheme}://{request.header(b'host')}"  # the lane requires Host

        try:
            result = await submit_message(
                app,
                authorization=request.header(b"authorization") or "",
                content_type=_mimetype(request.header(b"content-type")),
                body=request.body,
                idempotency_key=request.header(b"idempotency-key"),
                peer=request.peer,
                base=base,
            )
        except (Rejected, ApiError) as exc:
            status, body, headers = refusal(exc)
            return FastResponse(status, body, headers=headers)
        replayed = [("Idempotent-Replayed", "true")] if result.replayed else []
        return FastResponse(result.answer.status, result.answer.body, headers=replayed)

    return {("POST", "/v1/messages"): post}


def _mimetype(value: str | None) -> str:
    """As aiohttp reads Content-Type: the media type, lower case; none is octet-stream."""
    if value is None:
        return "application/octet-stream"
    return value.partition(";")[0].strip().lower()


async def get_message(request: web.Request) -> web.Response:
    account = await account_of(request)
    message_id = MessageId(request.match_info["id"])
    try:
        view = await request.app[SERVICES].messages.get(account.id, message_id)
    except Rejected as exc:
        if exc.reason is not RejectReason.NOT_FOUND:
            raise
        return await family.message(request, account, message_id)  # a child's, or not found
    return json_response(message_body(view))


def _filter(request: web.Request) -> MessageFilter:
    q = request.query
    try:
        state = MessageState(q["status"]) if "status" in q else None
    except ValueError as exc:
        raise ApiError(400, "invalid_request", f"unknown status {q['status']!r}", "status") from exc

    def when(name: str) -> float | None:
        if name not in q:
            return None
        try:
            value = datetime.fromisoformat(q[name].replace("Z", "+00:00"))
        except ValueError as exc:
            raise ApiError(400, "invalid_request", "expected an ISO 8601 time", name) from exc
        return _epoch(value, name)

    return MessageFilter(
        state=state,
        to=q.get("to"),
        created_from=when("created_after"),
        created_to=when("created_before"),
    )


async def list_messages(request: web.Request) -> web.Response:
    account = await account_of(request)
    try:
        limit = int(request.query.get("limit", "100"))
    except ValueError as exc:
        raise ApiError(400, "invalid_request", "limit must be an integer", "limit") from exc
    if not family.FAMILY_QUERY.isdisjoint(request.query.keys()):  # sub-accounts: family.py
        return await family.messages(request, account, _filter(request), limit)
    views, cursor = await request.app[SERVICES].messages.list(
        AccountId(account.id), _filter(request), cursor=request.query.get("cursor"), limit=limit
    )
    return json_response(MessageList(messages=[message_body(v) for v in views], next_cursor=cursor))


async def delete_message(request: web.Request) -> web.Response:
    account = await account_of(request)
    view = await request.app[SERVICES].messages.cancel(
        account.id, MessageId(request.match_info["id"])
    )
    return json_response(message_body(view))


async def health(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    connectors = {str(cid): c.is_ready() for cid, c in services.connectors.items()}
    status = "ok" if any(connectors.values()) else "degraded"
    return json_response(HealthBody(status=status, version=__version__, connectors=connectors))


async def metrics(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    await services.refresh_gauges()
    return web.Response(
        body=services.metrics.render(),
        headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"},
    )


def add_routes(app: web.Application) -> None:
    app.router.add_post("/v1/messages", post_messages)
    app.router.add_get("/v1/messages", list_messages)
    app.router.add_get("/v1/messages/{id}", get_message)
    app.router.add_delete("/v1/messages/{id}", delete_message)
    app.router.add_get("/v1/health", health)
    app.router.add_get("/metrics", metrics)
