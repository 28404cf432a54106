"""The HTTP application: REST API v1, OpenAPI document and docs page, metrics.

One error middleware renders every refusal as ``{"error": {"code", "message",
"field"}}``: domain rejections through ``statuses.HTTP_STATUS`` (one total
table), ``ApiError`` as it says, aiohttp's own HTTP errors (404 route, 405,
413 body too large) with their status, and anything unexpected as a 500 that
is logged with the request line.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from aiohttp import web
from aiohttp.typedefs import Handler

from heliograph.domain.rejections import Rejected
from heliograph.servers.http import (
    admin,
    books,
    credit,
    dialects,
    library,
    lookup,
    openapi,
    optouts,
    preview,
    rest,
    senders,
    simulate,
    stats,
    subaccounts,
)
from heliograph.servers.http.context import SERVICES, ApiError, HttpServices
from heliograph.servers.http.statuses import INTERNAL_ERROR, error_body, refusal

log = logging.getLogger("heliograph.http")

_HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
}


def _error(status: int, code: str, message: str, field: str | None = None) -> web.Response:
    body = error_body(code, message, field)
    return web.Response(status=status, body=body, content_type="application/json")


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except (Rejected, ApiError) as exc:
        status, body, headers = refusal(exc)
        return web.Response(
            status=status, body=body, content_type="application/json", headers=headers or None
        )
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = _HTTP_CODES.get(exc.status, f"http_{exc.status}")
        return _error(exc.status, code, exc.reason if exc.text is None else exc.text)
    except Exception:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return _error(500, *INTERNAL_ERROR)


def build_app(
    services: HttpServices,
    *,
    max_body_bytes: int = 4 * 1024 * 1024,
    inbound: optouts.InboundHttp | None = None,
) -> web.Application:
    """The application; ``inbound`` adds /v1/optouts, /v1/stats, /v1/messages.csv and
    /v1/simulate/mo (docs/inbound.md)."""
    app = web.Application(middlewares=[errors], client_max_size=max_body_bytes)
    app[SERVICES] = services
    if inbound is not None:
        app[optouts.INBOUND] = inbound
        optouts.add_routes(app)
        stats.add_routes(app)
        simulate.add_routes(app)
    rest.add_routes(app)
    openapi.add_routes(app)
    lookup.add_routes(app)
    credit.add_routes(app)
    admin.add_routes(app)
    subaccounts.add_routes(app)  # /v1/subaccounts: a parent's children
    senders.add_routes(app)
    books.add_routes(app)  # /v1/books, /v1/templates
    library.add_routes(app)  # /v1/library: the content library
    preview.add_routes(app)
    dialects.add_routes(app)
    return app


def dialect_names() -> list[str]:
    """The dialects a listener of its own can serve: modules of ``dialects`` with routes."""
    return [m.__name__.rpartition(".")[2] for m in dialects.modules() if hasattr(m, "add_routes")]


def dialect_paths(name: str) -> frozenset[str]:
    """The paths the dialect ``name`` registers. Raises: KeyError for an unknown dialect."""
    module = next((m for m in dialects.modules() if m.__name__.rpartition(".")[2] == name), None)
    if module is None:
        raise KeyError(name)
    scratch = web.Application()
    module.add_routes(scratch)
    return frozenset(r.canonical for r in scratch.router.resources())


def restrict(
    app: web.Application, keep: Callable[[str], bool], *, max_body_bytes: int
) -> web.Application:
    """A copy of ``app`` (middlewares, keys) serving only the routes whose path ``keep`` accepts.

    For the extra listeners of ``[[listeners]]``: other paths answer 404 there.
    """
    only = web.Application(middlewares=list(app.middlewares), client_max_size=max_body_bytes)
    for key in app:
        only[key] = app[key]
    for route in app.router.routes():
        path = route.resource.canonical if route.resource is not None else ""
        if keep(path):
            only.router.add_route(route.method, path, route.handler)
    return only
