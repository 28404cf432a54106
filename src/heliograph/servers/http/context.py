"""What HTTP handlers get from the composition root, and the HTTP-only error type."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec
from aiohttp import web

from heliograph.domain.ids import AccountId, ConnectorId
from heliograph.domain.tlvs import TlvDefinition
from heliograph.services.accounts import AccountService
from heliograph.services.books import BookService
from heliograph.services.library import LibraryService
from heliograph.services.messages import MessageService
from heliograph.services.metrics import Metrics
from heliograph.services.ports import Clock, Connector
from heliograph.services.subaccounts import SubAccountService
from heliograph.services.submit import SubmitService
from heliograph.store.base import Balance

_encode = msgspec.json.Encoder().encode


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpServices:
    accounts: AccountService
    submit: SubmitService
    messages: MessageService
    connectors: Mapping[ConnectorId, Connector]
    metrics: Metrics
    refresh_gauges: Callable[[], Awaitable[None]]
    store_balance: Callable[[AccountId], Awaitable[Balance]]
    adjust_balance: Callable[[AccountId, int, str, float], Awaitable[Balance]]
    clock: Clock
    books: BookService | None = None  # /v1/books, /v1/templates: servers/http/books.py
    library: LibraryService | None = None  # /v1/library: servers/http/library.py
    subaccounts: SubAccountService | None = None  # /v1/subaccounts: servers/http/subaccounts.py
    # [[smpp_tlvs]] by name: the optional parameters a Kannel client's meta-data may set
    smpp_tlvs: Mapping[str, TlvDefinition] = field(default_factory=dict)


SERVICES = web.AppKey("services", HttpServices)


class ApiError(Exception):
    """An HTTP-level refusal that is not a domain rejection (415, 413, malformed JSON...)."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field


def json_response(value: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, body=_encode(value), content_type="application/json")
