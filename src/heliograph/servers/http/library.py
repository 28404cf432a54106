"""The content library over REST (docs/content.md, "Content library").

``POST /v1/library`` (``{"data": base64, "file_name", "content_type", "kind":
"file"|"picture"|"logo", "public"}``) answers 201 with the item and its
``number``; ``GET /v1/library`` lists the account's items and the public ones;
``GET /v1/library/{number}`` gives one with its ``data``; ``DELETE
/v1/library/{number}`` removes it (204). Each handler parses, calls one method
of ``services.library.LibraryService`` and renders.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import msgspec
from aiohttp import web

from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.servers.http.auth import account_of
from heliograph.servers.http.context import SERVICES, ApiError, json_response
from heliograph.servers.http.schemas import field_from_validation
from heliograph.services.library import LibraryService
from heliograph.store.library import LibraryItem, LibraryKind
from heliograph.store.postgres_library import NOT_SUPPORTED

__all__ = ["add_routes"]


class UploadBody(msgspec.Struct, forbid_unknown_fields=True):
    data: bytes
    file_name: Annotated[str, msgspec.Meta(max_length=255)] | None = None
    content_type: Annotated[str, msgspec.Meta(max_length=255)] | None = None
    kind: LibraryKind = LibraryKind.FILE
    public: bool = False


class ItemBody(msgspec.Struct):
    number: int
    kind: str
    file_name: str | None
    content_type: str | None
    size: int
    public: bool
    created_at: datetime
    data: bytes | None = None


class ItemList(msgspec.Struct):
    items: list[ItemBody]


_upload = msgspec.json.Decoder(UploadBody)


def _body(item: LibraryItem, *, data: bool = False) -> ItemBody:
    return ItemBody(
        number=item.number,
        kind=item.kind.value,
        file_name=item.file_name,
        content_type=item.content_type,
        size=len(item.data),
        public=item.public,
        created_at=datetime.fromtimestamp(item.created_at, UTC),
        data=item.data if data else None,
    )


def _library(request: web.Request) -> LibraryService:
    library = request.app[SERVICES].library
    if library is None:
        raise Rejected(RejectReason.NOT_SUPPORTED, NOT_SUPPORTED)
    return library


def _number(request: web.Request) -> int:
    raw = request.match_info["number"]
    if not raw.isdigit() or len(raw) > 9:
        raise Rejected(RejectReason.NOT_FOUND, f"no library number {raw!r}", field="number")
    return int(raw)


async def post_library(request: web.Request) -> web.Response:
    account = await account_of(request)
    if request.content_type != "application/json":
        raise ApiError(415, "unsupported_media_type", "send the body as application/json")
    try:
        body = _upload.decode(await request.read())
    except msgspec.ValidationError as exc:
        raise ApiError(400, "invalid_request", str(exc), field_from_validation(str(exc))) from exc
    except msgspec.DecodeError as exc:
        raise ApiError(400, "invalid_json", f"the body is not JSON: {exc}") from exc
    item = await _library(request).upload(
        account,
        body.data,
        file_name=body.file_name,
        content_type=body.content_type,
        kind=body.kind,
        public=body.public,
    )
    return json_response(_body(item), 201)


async def get_library(request: web.Request) -> web.Response:
    account = await account_of(request)
    items = await _library(request).items(account)
    return json_response(ItemList(items=[_body(i) for i in items]))


async def get_item(request: web.Request) -> web.Response:
    account = await account_of(request)
    item = await _library(request).item(account, _number(request))
    return json_response(_body(item, data=True))


async def delete_item(request: web.Request) -> web.Response:
    account = await account_of(request)
    await _library(request).remove(account, _number(request))
    return web.Response(status=204)


def add_routes(app: web.Application) -> None:
    app.router.add_post("/v1/library", post_library)
    app.router.add_get("/v1/library", get_library)
    app.router.add_get("/v1/library/{number}", get_item)
    app.router.add_delete("/v1/library/{number}", delete_item)
