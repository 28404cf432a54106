"""HTTP APIs of other gateways, spoken so that their client code works unchanged.

Each dialect is one module here exposing ``add_routes(app)`` and, when it has
callbacks of its own format, ``CALLBACK_RENDERERS`` (format name → renderer,
see ``services.callbacks``). Modules are found by name, so adding a dialect is
adding a module. A dialect parses its request, calls one service and renders
in its own format; it holds no business rules.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

from aiohttp import web

from heliograph.services.callbacks import Renderer


def modules() -> list[ModuleType]:
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        found.append(importlib.import_module(f"{__name__}.{info.name}"))
    return found


def add_routes(app: web.Application) -> None:
    for module in modules():
        register = getattr(module, "add_routes", None)
        if register is not None:
            register(app)


def callback_renderers() -> dict[str, Renderer]:
    renderers: dict[str, Renderer] = {}
    for module in modules():
        renderers.update(getattr(module, "CALLBACK_RENDERERS", {}))
    return renderers
