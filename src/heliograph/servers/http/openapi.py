"""The OpenAPI 3.1 document of REST API v1, generated from the msgspec schemas,
and a self-contained HTML page that renders it for people (no CDN needed).
"""

from __future__ import annotations

import html
import json
from functools import cache
from typing import Any

import msgspec
from aiohttp import web

from heliograph import __version__
from heliograph.servers.http.admin import (
    AccountBody,
    AccountList,
    AccountPatch,
    BalanceAnswer,
    CreditRequest,
    KeyList,
    NewAccountRequest,
    NewKey,
)
from heliograph.servers.http.books import (
    BookList,
    ContactBody,
    ContactList,
    SavedBody,
    TemplateBody,
    TemplateList,
    TemplateRequest,
)
from heliograph.servers.http.cluster import ClusterBody
from heliograph.servers.http.connectors import ConnectorsBody
from heliograph.servers.http.credit import BalanceBody, CostBody
from heliograph.servers.http.optouts import OptOutBody, OptOutHistory, OptOutList, OptOutRequest
from heliograph.servers.http.schemas import (
    ErrorBody,
    HealthBody,
    MessageBody,
    MessageList,
    SubmitAnswer,
    SubmitBody,
)
from heliograph.servers.http.senders import SendersBody
from heliograph.servers.http.simulate import SimulatedMo, SimulateMoRequest
from heliograph.servers.http.stats import StatsBody
from heliograph.servers.http.subaccounts import (
    NewSubAccount,
    PriceRequest,
    PricesAnswer,
    SenderRequest,
    SendersAnswer,
    SubAccountBody,
    SubAccountList,
    SubAccountPatch,
    TransferAnswer,
)
from heliograph.services.lookup import NumberInfo

_REF = "#/components/schemas/{name}"


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": _REF.format(name=name)}


def _json(schema: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


_ERRORS = {
    "401": _json("ErrorBody", "Missing or invalid API key"),
    "404": _json("ErrorBody", "No such message for this account"),
}
_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}


def _query(name: str, description: str, fmt: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if fmt:
        schema["format"] = fmt
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


_PATHS: dict[str, Any] = {
    "/v1/messages": {
        "post": {
            "summary": "Send a text message or rich content to one or more recipients",
            "description": (
                "Accepted messages are committed before the 202 answer. Each recipient gets its "
                "own entry: an id, status and part count, or an error; valid recipients are "
                "accepted even when others in the batch are not. A repeated Idempotency-Key "
                "within 24 hours returns the first answer and sends nothing again. Instead of "
                "text, a content object (tagged by type: wap_si, wap_sl, vcard, vcal, ringtone, "
                "operator_logo, group_graphic, picture, binary, mms_notification, mms, "
                "library) is sent as port-addressed 8-bit SMS; flash, message_class and "
                "languages refine a text."
            ),
            "parameters": [
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "schema": {"type": "string", "maxLength": 255},
                }
            ],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("SubmitBody")}},
            },
            "responses": {
                "202": _json("SubmitAnswer", "Accepted (per recipient)"),
                "400": _json("ErrorBody", "Malformed request"),
                "413": _json("ErrorBody", "Body too large"),
                "415": _json("ErrorBody", "Not application/json"),
                "422": _json("ErrorBody", "Request refused (text, schedule, validity...)"),
                **_ERRORS,
            },
        },
        "get": {
            "summary": "List messages, newest first, with cursor pagination",
            "parameters": [
                _query("status", "Only messages in this status"),
                _query("to", "Only messages to this E.164 number (+ form)"),
                _query("created_after", "ISO 8601 time, inclusive", "date-time"),
                _query("created_before", "ISO 8601 time, exclusive", "date-time"),
                _query("cursor", "next_cursor of the previous page"),
                _query("limit", "Page size, 1-1000 (default 100)"),
            ],
            "responses": {"200": _json("MessageList", "A page of messages"), **_ERRORS},
        },
    },
    "/v1/messages/{id}": {
        "get": {
            "summary": "One message: status, parts, timestamps, upstream ids, error",
            "parameters": [_ID],
            "responses": {"200": _json("MessageBody", "The message"), **_ERRORS},
        },
        "delete": {
            "summary": "Cancel a message that has not been sent yet",
            "parameters": [_ID],
            "responses": {
                "200": _json("MessageBody", "Cancelled"),
                "409": _json("ErrorBody", "Already (partly) sent"),
                **_ERRORS,
            },
        },
    },
    "/v1/messages/preview": {
        "post": {
            "summary": "How a text would be encoded and split, without sending it",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["text"],
                            "properties": {
                                "text": {"type": "string"},
                                "encoding": {"type": "string"},
                                "transliterate": {"type": "boolean"},
                            },
                        }
                    }
                },
            },
            "responses": {
                "200": {"description": "encoding, parts, part_texts, remaining, forced_ucs2"},
                "422": _json("ErrorBody", "Text the encoding cannot carry"),
                **_ERRORS,
            },
        },
    },
    "/v1/lookup/{number}": {
        "get": {
            "summary": "Numbering-plan facts about a number (offline data, no network query)",
            "parameters": [
                {"name": "number", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "responses": {
                "200": _json("NumberInfo", "What the numbering plan says"),
                "422": _json("ErrorBody", "Not a phone number"),
                **_ERRORS,
            },
        },
    },
    "/v1/health": {
        "get": {
            "summary": "Liveness and connector readiness",
            "responses": {"200": _json("HealthBody", "Health")},
        },
    },
    "/metrics": {
        "get": {
            "summary": "Prometheus metrics (text exposition format)",
            "responses": {"200": {"description": "Metrics", "content": {"text/plain": {}}}},
        },
    },
}


def _op(
    summary: str,
    response: str,
    *,
    body: str | None = None,
    params: tuple[dict[str, Any], ...] = (),
    status: str = "200",
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "responses": {status: _json(response, summary), **_ERRORS},
    }
    if body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(body)}},
        }
    if params:
        op["parameters"] = list(params)
    return op


_NAME = {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
_BOOK = {"name": "book", "in": "path", "required": True, "schema": {"type": "string"}}
_KEY = {"name": "key", "in": "path", "required": True, "schema": {"type": "string"}}
_NUMBER = {"name": "number", "in": "path", "required": True, "schema": {"type": "string"}}
_PATHS.update(
    {
        "/v1/messages/cost": {
            "post": _op("Price a send without sending it", "CostBody", body="SubmitBody")
        },
        "/v1/balance": {
            "get": _op(
                "The account's credit",
                "BalanceBody",
                params=(_query("account", "A sub-account's, instead of the caller's"),),
            )
        },
        "/v1/senders": {"get": _op("The sender ids this account may use", "SendersBody")},
        "/v1/optouts": {
            "get": _op(
                "Numbers that opted out of this account's messages",
                "OptOutList",
                params=(
                    _query("cursor", "next_cursor of the previous page"),
                    _query("limit", "Page size"),
                ),
            ),
            "post": _op("Opt a number out", "OptOutBody", body="OptOutRequest", status="201"),
        },
        "/v1/optouts/{number}": {
            "get": _op("One opt-out with its consent history", "OptOutHistory", params=(_NUMBER,)),
            "delete": _op("Opt a number back in", "OptOutBody", params=(_NUMBER,)),
        },
        "/v1/stats": {
            "get": _op(
                "Counts by status, day and connector, and cost",
                "StatsBody",
                params=(
                    _query("from", "ISO 8601 time", "date-time"),
                    _query("to", "ISO 8601 time", "date-time"),
                ),
            )
        },
        "/v1/messages.csv": {
            "get": {
                "summary": "History as CSV (the filters of GET /v1/messages)",
                "responses": {"200": {"description": "CSV", "content": {"text/csv": {}}}},
            }
        },
        "/v1/simulate/mo": {
            "post": _op(
                "Inject an incoming message through a loopback connector",
                "SimulatedMo",
                body="SimulateMoRequest",
                status="202",
            )
        },
        "/v1/connectors": {"get": _op("Connectors, their binds and windows", "ConnectorsBody")},
        "/v1/books": {"get": _op("Address books with contact and group counts", "BookList")},
        "/v1/books/{book}": {
            "delete": {
                "summary": "Delete an address book",
                "parameters": [_BOOK],
                "responses": {"204": {"description": "Deleted"}, **_ERRORS},
            },
        },
        "/v1/books/{book}/contacts": {
            "get": _op(
                "Contacts of a book",
                "ContactList",
                params=(
                    _BOOK,
                    _query("group", "Only this group"),
                    _query("cursor", "Next page"),
                    _query("limit", "Page size"),
                ),
            ),
            "post": _op(
                "Add or replace contacts (one object or an array)",
                "SavedBody",
                body="ContactBody",
                params=(_BOOK,),
            ),
        },
        "/v1/books/{book}/contacts/{number}": {
            "delete": {
                "summary": "Remove a contact",
                "parameters": [_BOOK, _NUMBER],
                "responses": {"204": {"description": "Removed"}, **_ERRORS},
            },
        },
        "/v1/templates": {"get": _op("Message templates", "TemplateList")},
        "/v1/templates/{name}": {
            "get": _op("One template", "TemplateBody", params=(_NAME,)),
            "put": _op(
                "Save a template (placeholders {name}, {number}, {field})",
                "TemplateBody",
                body="TemplateRequest",
                params=(_NAME,),
            ),
            "delete": {
                "summary": "Delete a template",
                "parameters": [_NAME],
                "responses": {"204": {"description": "Deleted"}, **_ERRORS},
            },
        },
        "/v1/accounts": {
            "get": _op("Accounts (admin)", "AccountList"),
            "post": _op(
                "Create an account; its credentials, once (admin)",
                "AccountBody",
                body="NewAccountRequest",
                status="201",
            ),
        },
        "/v1/accounts/{name}": {
            "get": _op("One account (admin)", "AccountBody", params=(_NAME,)),
            "patch": _op(
                "Change an account's settings (admin)",
                "AccountBody",
                body="AccountPatch",
                params=(_NAME,),
            ),
        },
        "/v1/accounts/{name}/keys": {
            "get": _op("An account's API keys (admin)", "KeyList", params=(_NAME,)),
            "post": _op(
                "One more API key, shown once (admin)", "NewKey", params=(_NAME,), status="201"
            ),
        },
        "/v1/accounts/{name}/keys/{key}": {
            "delete": {
                "summary": "Revoke an API key (admin)",
                "parameters": [_NAME, _KEY],
                "responses": {"204": {"description": "Revoked"}, **_ERRORS},
            },
        },
        "/v1/accounts/{name}/credit": {
            "post": _op(
                "Add credit (admin)", "BalanceAnswer", body="CreditRequest", params=(_NAME,)
            ),
        },
        "/v1/cluster": {"get": _op("Nodes, leases and queue depth per node", "ClusterBody")},
    }
)
_FAMILY = (
    _query("account", "Read this sub-account's instead of the caller's own"),
    _query("include_children", "true: add the sub-accounts' (each with its account)"),
)
for _path in ("/v1/messages", "/v1/stats", "/v1/messages.csv"):
    _get = _PATHS[_path]["get"]
    _get["parameters"] = [*_get.get("parameters", []), *_FAMILY]
_SENDER = {"name": "sender", "in": "path", "required": True, "schema": {"type": "string"}}
_PREFIX = _query("prefix", "The prefix whose price to remove ('' is the default)")
_PATHS.update(  # sub-accounts, managed by their parent: servers/http/subaccounts.py
    {
        "/v1/subaccounts": {
            "get": _op("The caller's sub-accounts", "SubAccountList"),
            "post": _op(
                "Create a sub-account; its credentials, once",
                "AccountBody",
                body="NewSubAccount",
                status="201",
            ),
        },
        "/v1/subaccounts/{name}": {
            "get": _op("One sub-account", "SubAccountBody", params=(_NAME,)),
            "patch": _op(
                "Change or suspend a sub-account",
                "SubAccountBody",
                body="SubAccountPatch",
                params=(_NAME,),
            ),
        },
        "/v1/subaccounts/{name}/keys": {
            "get": _op("A sub-account's API keys", "KeyList", params=(_NAME,)),
            "post": _op("One more API key, shown once", "NewKey", params=(_NAME,), status="201"),
        },
        "/v1/subaccounts/{name}/keys/{key}": {
            "delete": {
                "summary": "Revoke a sub-account's API key",
                "parameters": [_NAME, _KEY],
                "responses": {"204": {"description": "Revoked"}, **_ERRORS},
            },
        },
        "/v1/subaccounts/{name}/transfer": {
            "post": _op(
                "Move credit from the parent (negative: back to it)",
                "TransferAnswer",
                body="CreditRequest",
                params=(_NAME,),
            ),
        },
        "/v1/subaccounts/{name}/senders": {
            "get": _op("A sub-account's sender ids", "SendersAnswer", params=(_NAME,)),
            "post": _op(
                "Allow a sender id (one the parent may use)",
                "SendersAnswer",
                body="SenderRequest",
                params=(_NAME,),
            ),
        },
        "/v1/subaccounts/{name}/senders/{sender}": {
            "delete": {
                "summary": "Take a sender id away",
                "parameters": [_NAME, _SENDER],
                "responses": {"204": {"description": "Removed"}, **_ERRORS},
            },
        },
        "/v1/subaccounts/{name}/prices": {
            "get": _op("A sub-account's prices", "PricesAnswer", params=(_NAME,)),
            "post": _op(
                "Set a price (not below the parent's)",
                "PricesAnswer",
                body="PriceRequest",
                params=(_NAME,),
            ),
            "delete": {
                "summary": "Remove a price",
                "parameters": [_NAME, _PREFIX],
                "responses": {"204": {"description": "Removed"}, **_ERRORS},
            },
        },
    }
)


@cache
def document() -> dict[str, Any]:
    _, components = msgspec.json.schema_components(
        [
            SubmitBody,
            SubmitAnswer,
            MessageBody,
            MessageList,
            ErrorBody,
            HealthBody,
            NumberInfo,
            CostBody,
            BalanceBody,
            SendersBody,
            OptOutRequest,
            OptOutBody,
            OptOutList,
            OptOutHistory,
            StatsBody,
            SimulateMoRequest,
            SimulatedMo,
            ConnectorsBody,
            ClusterBody,
            AccountList,
            AccountBody,
            NewAccountRequest,
            AccountPatch,
            KeyList,
            NewKey,
            CreditRequest,
            BalanceAnswer,
            BookList,
            ContactList,
            ContactBody,
            SavedBody,
            TemplateList,
            TemplateBody,
            TemplateRequest,
            SubAccountList,
            SubAccountBody,
            NewSubAccount,
            SubAccountPatch,
            TransferAnswer,
            SenderRequest,
            SendersAnswer,
            PriceRequest,
            PricesAnswer,
        ],
        ref_template=_REF,
    )
    return {
        "openapi": "3.1.0",
        "info": {"title": "Heliograph REST API", "version": __version__},
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
        "paths": _PATHS,
    }


@cache
def docs_page() -> str:
    doc = document()
    sections = []
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            params = "".join(
                f"<li><code>{html.escape(p['name'])}</code> ({p['in']})"
                f"{': ' + html.escape(p.get('description', '')) if p.get('description') else ''}"
                "</li>"
                for p in op.get("parameters", [])
            )
            responses = "".join(
                f"<li><code>{code}</code> {html.escape(r['description'])}</li>"
                for code, r in op["responses"].items()
            )
            sections.append(
                f"<h2><code>{method.upper()} {html.escape(path)}</code></h2>"
                f"<p>{html.escape(op['summary'])}</p>"
                + (f"<p>{html.escape(op['description'])}</p>" if "description" in op else "")
                + (f"<h3>Parameters</h3><ul>{params}</ul>" if params else "")
                + f"<h3>Responses</h3><ul>{responses}</ul>"
            )
    schemas = "".join(
        f"<h3 id='{name}'>{name}</h3><pre>{html.escape(json.dumps(s, indent=2))}</pre>"
        for name, s in doc["components"]["schemas"].items()
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Heliograph API</title>"
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em}"
        "pre{background:#f4f4f4;padding:1em;overflow:auto}code{background:#f4f4f4}</style>"
        "</head><body><h1>Heliograph REST API v1</h1>"
        "<p>Authenticate with <code>Authorization: Bearer &lt;api key&gt;</code>. "
        'Errors are <code>{"error": {"code", "message", "field"}}</code>. '
        "Machine-readable: <a href='/openapi.json'>/openapi.json</a>.</p>"
        + "".join(sections)
        + "<h2>Schemas</h2>"
        + schemas
        + "</body></html>"
    )


async def openapi_json(request: web.Request) -> web.Response:
    return web.json_response(document())


async def docs(request: web.Request) -> web.Response:
    return web.Response(text=docs_page(), content_type="text/html")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/openapi.json", openapi_json)
    app.router.add_get("/docs", docs)
