"""Address books and templates over REST (docs/books.md).

``GET /v1/books``; ``GET|POST /v1/books/{book}/contacts`` (POST: one contact
object or an array of them, added or replaced; the book is created by its
first contact); ``DELETE /v1/books/{book}/contacts/{number}``; ``DELETE
/v1/books/{book}``; ``GET /v1/templates``; ``GET|PUT|DELETE
/v1/templates/{name}``. Names in paths are percent-encoded, numbers E.164 with
the ``+`` written ``%2B`` or left out. Each handler parses, calls one method
of ``services.books.BookService`` and renders.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import msgspec
from aiohttp import web

from heliograph.domain.books import (
    TEMPLATE_MAX,
    Contact,
    Template,
    make_contact,
    parse_template,
    placeholders,
)
from heliograph.domain.rejections import Rejected, RejectReason
from heliograph.servers.http.auth import account_of
from heliograph.servers.http.context import SERVICES, ApiError, json_response
from heliograph.servers.http.optouts import decode_json
from heliograph.servers.http.schemas import field_from_validation
from heliograph.services.books import NOT_SUPPORTED, BookService

MAX_CONTACTS = 10_000  # per POST


class ContactBody(msgspec.Struct, forbid_unknown_fields=True):
    number: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    name: str | None = None
    groups: list[str] = msgspec.field(default_factory=list)
    fields: dict[str, str] = msgspec.field(default_factory=dict)


_contacts = msgspec.json.Decoder(
    ContactBody | Annotated[list[ContactBody], msgspec.Meta(max_length=MAX_CONTACTS)]
)


class GroupBody(msgspec.Struct):
    name: str
    contacts: int


class BookBody(msgspec.Struct):
    name: str
    contacts: int
    groups: list[GroupBody]
    created_at: datetime


class BookList(msgspec.Struct):
    books: list[BookBody]


class ContactList(msgspec.Struct):
    book: str
    contacts: list[ContactBody]
    next_cursor: str | None


class SavedBody(msgspec.Struct):
    book: str
    added: int
    updated: int


class TemplateRequest(msgspec.Struct, forbid_unknown_fields=True):
    """PUT /v1/templates/{name}."""

    text: Annotated[str, msgspec.Meta(max_length=TEMPLATE_MAX)]


class TemplateBody(msgspec.Struct):
    name: str
    text: str
    placeholders: list[str]
    updated_at: datetime


class TemplateList(msgspec.Struct):
    templates: list[TemplateBody]


def _books(request: web.Request) -> BookService:
    books = request.app[SERVICES].books
    if books is None:
        raise Rejected(RejectReason.NOT_SUPPORTED, NOT_SUPPORTED)
    return books


def _contact_body(c: Contact) -> ContactBody:
    return ContactBody(number=c.number, name=c.name, groups=list(c.groups), fields=dict(c.fields))


def _template_body(t: Template) -> TemplateBody:
    return TemplateBody(
        name=t.name,
        text=t.text,
        placeholders=placeholders(parse_template(t.text)),
        updated_at=datetime.fromtimestamp(t.updated_at, UTC),
    )


async def list_books(request: web.Request) -> web.Response:
    account = await account_of(request)
    books = await _books(request).list_books(account.id)
    return json_response(
        BookList(
            books=[
                BookBody(
                    name=b.name,
                    contacts=b.contacts,
                    groups=[GroupBody(name=g, contacts=n) for g, n in b.groups],
                    created_at=datetime.fromtimestamp(b.created_at, UTC),
                )
                for b in books
            ]
        )
    )


def _limit(request: web.Request) -> int:
    try:
        return int(request.query.get("limit", "1000"))
    except ValueError as exc:
        raise ApiError(400, "invalid_request", "limit must be an integer", "limit") from exc


async def list_contacts(request: web.Request) -> web.Response:
    account = await account_of(request)
    book = request.match_info["book"]
    page, cursor = await _books(request).contacts(
        account.id,
        book,
        group=request.query.get("group"),
        cursor=request.query.get("cursor"),
        limit=_limit(request),
    )
    return json_response(
        ContactList(book=book, contacts=[_contact_body(c) for c in page], next_cursor=cursor)
    )


async def _decode_contacts(request: web.Request) -> ContactBody | list[ContactBody]:
    if request.content_type != "application/json":
        raise ApiError(415, "unsupported_media_type", "send the body as application/json")
    try:
        body: ContactBody | list[ContactBody] = _contacts.decode(await request.read())
    except msgspec.ValidationError as exc:
        raise ApiError(400, "invalid_request", str(exc), field_from_validation(str(exc))) from exc
    except msgspec.DecodeError as exc:
        raise ApiError(400, "invalid_json", f"body is not valid JSON: {exc}") from exc
    return body


async def save_contacts(request: web.Request) -> web.Response:
    account = await account_of(request)
    body = await _decode_contacts(request)
    many = isinstance(body, list)
    contacts = [
        make_contact(c.number, c.name, c.groups, c.fields, at=f"[{i}]." if many else "")
        for i, c in enumerate(body if isinstance(body, list) else [body])
    ]
    book = request.match_info["book"]
    added, updated = await _books(request).save_contacts(account.id, book, contacts)
    return json_response(SavedBody(book=book, added=added, updated=updated), 201 if added else 200)


async def delete_contact(request: web.Request) -> web.Response:
    account = await account_of(request)
    await _books(request).delete_contact(
        account.id, request.match_info["book"], request.match_info["number"]
    )
    return web.Response(status=204)


async def delete_book(request: web.Request) -> web.Response:
    account = await account_of(request)
    await _books(request).delete_book(account.id, request.match_info["book"])
    return web.Response(status=204)


async def list_templates(request: web.Request) -> web.Response:
    account = await account_of(request)
    templates = await _books(request).templates(account.id)
    return json_response(TemplateList(templates=[_template_body(t) for t in templates]))


async def get_template(request: web.Request) -> web.Response:
    account = await account_of(request)
    template = await _books(request).template(account.id, request.match_info["name"])
    return json_response(_template_body(template))


async def put_template(request: web.Request) -> web.Response:
    account = await account_of(request)
    body = await decode_json(request, TemplateRequest)
    template, created = await _books(request).set_template(
        account.id, request.match_info["name"], body.text
    )
    return json_response(_template_body(template), 201 if created else 200)


async def delete_template(request: web.Request) -> web.Response:
    account = await account_of(request)
    await _books(request).delete_template(account.id, request.match_info["name"])
    return web.Response(status=204)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/v1/books", list_books)
    app.router.add_get("/v1/books/{book}/contacts", list_contacts)
    app.router.add_post("/v1/books/{book}/contacts", save_contacts)
    app.router.add_delete("/v1/books/{book}/contacts/{number}", delete_contact)
    app.router.add_delete("/v1/books/{book}", delete_book)
    app.router.add_get("/v1/templates", list_templates)
    app.router.add_get("/v1/templates/{name}", get_template)
    app.router.add_put("/v1/templates/{name}", put_template)
    app.router.add_delete("/v1/templates/{name}", delete_template)
