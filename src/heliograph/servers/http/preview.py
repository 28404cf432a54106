"""POST /v1/messages/preview: how a text goes on the air, before it is sent.

The answer comes from the same code that builds the parts (``wire.gsm.preview``
over ``split_text``), so a preview never disagrees with what is sent: the
encoding, the number of characters and parts, the text of each part, the room
left in the last one and the characters that forced UCS-2.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from aiohttp import web

from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.domain.submission import ENCODINGS, transliterate_text
from heliograph.servers.http.auth import account_of
from heliograph.servers.http.context import ApiError, json_response
from heliograph.servers.http.schemas import field_from_validation
from heliograph.wire.errors import EncodeError, UnencodableCharacter
from heliograph.wire.gsm.preview import preview_text


class PreviewBody(msgspec.Struct, forbid_unknown_fields=True):
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=40_000)]
    encoding: str = "auto"
    transliterate: bool = False


class PreviewAnswer(msgspec.Struct):
    encoding: str
    data_coding: int
    characters: int
    units: int
    parts: int
    part_texts: list[str]
    remaining: int
    forced_ucs2: list[str]
    text: str


_decoder = msgspec.json.Decoder(PreviewBody)


def preview(text: str, encoding: str, transliterate: bool) -> PreviewAnswer:
    """Raises: Rejected naming the field."""
    if encoding not in ENCODINGS:
        raise Rejected(
            RejectReason.INVALID_REQUEST,
            f"encoding must be one of {', '.join(ENCODINGS)}",
            field="encoding",
        )
    if transliterate:
        text = transliterate_text(text, encoding)
    try:
        p = preview_text(text, encoding=encoding)  # type: ignore[arg-type]
    except UnencodableCharacter as exc:
        raise Rejected(RejectReason.INVALID_TEXT, str(exc), field="text") from exc
    except EncodeError as exc:
        raise Rejected(RejectReason.MESSAGE_TOO_LONG, str(exc), field="text") from exc
    return PreviewAnswer(
        encoding=p.encoding,
        data_coding=p.data_coding,
        characters=p.characters,
        units=p.units,
        parts=len(p.parts),
        part_texts=list(p.parts),
        remaining=p.remaining,
        forced_ucs2=list(p.forced_ucs2),
        text=text,
    )


async def post_preview(request: web.Request) -> web.Response:
    await account_of(request)
    if request.content_type != "application/json":
        raise ApiError(415, "unsupported_media_type", "send the body as application/json")
    try:
        body = _decoder.decode(await request.read())
    except msgspec.ValidationError as exc:
        raise ApiError(400, "invalid_request", str(exc), field_from_validation(str(exc))) from exc
    except msgspec.DecodeError as exc:
        raise ApiError(400, "invalid_json", f"body is not valid JSON: {exc}") from exc
    return json_response(preview(body.text, body.encoding, body.transliterate))


def add_routes(app: web.Application) -> None:
    app.router.add_post("/v1/messages/preview", post_preview)
