"""The fast lane: the hottest requests served without aiohttp's per-request machinery.

Theory of operation
-------------------
``POST /v1/messages`` with one recipient is the request a gateway sees most.
aiohttp spends about 45 µs of interpreter time on every request (request and
response objects, routing, middleware, header multidicts); on a gateway whose
event loop shares one interpreter lock with the database writer, that is a
third of what a single-message submit costs.

Connections to the main HTTP port start in the fast lane. ``FastLane`` reads
requests itself as long as each one is in a strict, simple subset of HTTP/1.1
(RFC 9112) and asks for a route it serves:

* the request line is ``METHOD SP target SP HTTP/1.1`` and (method, target) is
  one of the lane's routes, exactly (no query string);
* header lines are ``name: value`` with token names (§5.1), no line folding,
  no control characters, no name twice, at most ``MAX_HEAD`` octets in all,
  and a ``Host`` (§3.2);
* the body is framed by one ``Content-Length`` (§6.3) no larger than the body
  limit; no ``Transfer-Encoding``, ``Expect`` or ``Upgrade``; ``Connection``
  is absent, ``keep-alive`` or ``close``.

At the first request that is anything else the connection is handed over, from
that request's first octet, to aiohttp's protocol, which serves it and all
that follows as if it had had the connection from the start. So every other
route, every request the subset does not cover (chunked bodies, HTTP/1.0,
``Expect: 100-continue``...) and every malformed request is aiohttp's to
answer; the fast lane never answers a request it does not fully understand,
and nothing is framed two ways (no request smuggling between the two).

Requests on one connection are answered in order: while one is handled, later
octets wait in the buffer (reading pauses when it grows past ``MAX_BUFFER``),
and none is handled while the peer is not reading our answers. A connection
idle for ``keepalive_s`` is closed, as aiohttp closes its own.
"""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus
from typing import Any

from aiohttp import web
from aiohttp.http import SERVER_SOFTWARE

from heliograph.servers.http.statuses import INTERNAL_ERROR, error_body

log = logging.getLogger("heliograph.http")

MAX_HEAD = 16 * 1024  # request line and headers
MAX_BUFFER = 256 * 1024  # octets read ahead before reading pauses
_REQUEST_LINE = re.compile(rb"([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([^\x00-\x20\x7f]+) HTTP/1\.1\r\n")
# name ":" OWS value: a token name (RFC 9110 §5.1), no control character but HTAB
_HEADER = re.compile(rb"([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*([^\x00-\x08\x0a-\x1f\x7f]*)\r\n")
_REFUSED = (b"transfer-encoding", b"expect", b"upgrade")
_HANDOFF = object()  # _parse: not for the fast lane


@dataclass(frozen=True, slots=True)
class FastRequest:
    method: str
    path: str
    headers: Mapping[bytes, bytes]  # lower-case names
    body: bytes
    peer: str | None

    def header(self, name: bytes) -> str | None:
        value = self.headers.get(name)
        return None if value is None else value.decode("latin-1")


@dataclass(frozen=True, slots=True)
class FastResponse:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: list[tuple[str, str]] = field(default_factory=list)


FastHandler = Callable[[FastRequest], Awaitable[FastResponse]]
_REASONS = {s.value: s.phrase for s in HTTPStatus}


class _Date:
    """The Date header (RFC 9110 §6.6.1), written once a second."""

    second = -1
    text = b""

    @classmethod
    def now(cls) -> bytes:
        second = int(time.time())
        if second != cls.second:
            cls.second = second
            cls.text = formatdate(second, usegmt=True).encode()
        return cls.text


def _parse(buffer: bytearray, routes: Mapping[tuple[bytes, bytes], Any], max_body: int) -> Any:
    """The next request at the buffer's start: (route, method, target, headers, head
    length, total length); None while it is incomplete; ``_HANDOFF`` if it is not
    the fast lane's to serve."""
    end = buffer.find(b"\r\n\r\n", 0, MAX_HEAD + 4)
    if end < 0:
        return None if len(buffer) <= MAX_HEAD else _HANDOFF
    head = bytes(buffer[: end + 2])  # the request line and the headers, each ending CRLF
    first = _REQUEST_LINE.match(head)
    if first is None:
        return _HANDOFF
    method, target = first.group(1), first.group(2)
    route = routes.get((method, target))
    if route is None:
        return _HANDOFF
    headers: dict[bytes, bytes] = {}
    pos, header = first.end(), _HEADER.match
    while pos < len(head):
        line = header(head, pos)
        if line is None:
            return _HANDOFF
        name = line.group(1).lower()
        if name in headers:
            return _HANDOFF
        headers[name] = line.group(2).rstrip(b" \t")
        pos = line.end()
    if any(name in headers for name in _REFUSED) or b"host" not in headers:
        return _HANDOFF
    connection = headers.get(b"connection")
    if connection is not None and connection.lower() not in (b"keep-alive", b"close"):
        return _HANDOFF
    length = headers.get(b"content-length", b"0")
    if not length.isdigit() or len(length) > 12 or int(length) > max_body:
        return _HANDOFF
    return route, method, target, headers, end + 4, end + 4 + int(length)


class Lanes:
    """The open fast-lane connections of a site, to close them when it stops."""

    def __init__(self) -> None:
        self.open: set[FastLane] = set()
        self._empty = asyncio.Event()
        self._empty.set()

    def add(self, lane: FastLane) -> None:
        self.open.add(lane)
        self._empty.clear()

    def discard(self, lane: FastLane) -> None:
        self.open.discard(lane)
        if not self.open:
            self._empty.set()

    async def closed(self, timeout_s: float) -> None:
        """Wait until every connection is closed or handed over, at most ``timeout_s``."""
        try:
            async with asyncio.timeout(timeout_s):
                await self._empty.wait()
        except TimeoutError:
            pass


class FastLane(asyncio.Protocol):
    """One connection (see the module docstring)."""

    def __init__(
        self,
        fallback: Callable[[], asyncio.Protocol],
        routes: Mapping[tuple[bytes, bytes], FastHandler],
        *,
        max_body: int,
        keepalive_s: float,
        lanes: Lanes,
    ) -> None:
        self._fallback = fallback
        self._routes = routes
        self._max_body = max_body
        self._keepalive_s = keepalive_s
        self._lanes = lanes
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None
        self._peer: str | None = None
        self._busy = False
        self._closing = False  # close once the request in hand is answered
        self._reading_paused = False
        self._writing_paused = False
        self._idle: asyncio.TimerHandle | None = None
        self._loop = asyncio.get_running_loop()  # made by the server, in its loop
        self._last_answer = 0.0

    # --- asyncio.Protocol --------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            # Answers are small single writes: without this, Nagle's algorithm can
            # hold one back until the peer's delayed ACK (up to 40 ms and more).
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        peer = transport.get_extra_info("peername")
        self._peer = peer[0] if isinstance(peer, tuple) else None
        self._lanes.add(self)
        self._last_answer = self._loop.time()
        self._arm_idle(self._keepalive_s)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if not self._busy:
            self._next()
        # Read ahead only so far while a request is in hand. A request still coming
        # in is read whole: its length was checked against the body limit.
        if (
            self._busy
            and len(self._buffer) > MAX_BUFFER
            and not self._reading_paused
            and self._transport is not None
        ):
            self._reading_paused = True
            self._transport.pause_reading()

    def eof_received(self) -> bool | None:
        self._closing = True
        if not self._busy:
            self._close()
        return True  # keep the transport open until our answer is written

    def connection_lost(self, exc: Exception | None) -> None:
        self._lanes.discard(self)
        if self._idle is not None:
            self._idle.cancel()
        self._transport = None

    def pause_writing(self) -> None:
        self._writing_paused = True

    def resume_writing(self) -> None:
        self._writing_paused = False
        if not self._busy:
            self._next()

    # --- requests ----------------------------------------------------------------------

    def _next(self) -> None:
        if self._transport is None or self._writing_paused or not self._buffer:
            return
        parsed = _parse(self._buffer, self._routes, self._max_body)
        if parsed is None:
            return
        if parsed is _HANDOFF:
            self._handoff()
            return
        handler, method, target, headers, head, total = parsed
        if len(self._buffer) < total:
            return  # the rest of the body is on its way
        body = bytes(self._buffer[head:total])
        del self._buffer[:total]
        if headers.get(b"connection", b"").lower() == b"close":
            self._closing = True
        self._busy = True
        request = FastRequest(
            method=method.decode(),
            path=target.decode(),
            headers=headers,
            body=body,
            peer=self._peer,
        )
        self._loop.create_task(self._serve(handler, request))

    async def _serve(self, handler: FastHandler, request: FastRequest) -> None:
        try:
            response = await handler(request)
        except Exception:
            log.exception("unexpected error on %s %s", request.method, request.path)
            response = FastResponse(500, error_body(*INTERNAL_ERROR))
        self._busy = False
        transport = self._transport
        if transport is None:
            return
        transport.write(self._render(response))
        if self._closing:
            self._close()
            return
        if self._reading_paused and len(self._buffer) <= MAX_BUFFER // 2:
            self._reading_paused = False
            transport.resume_reading()
        self._last_answer = self._loop.time()
        if self._buffer:
            self._next()

    def _render(self, response: FastResponse) -> bytes:
        lines = [
            b"HTTP/1.1 %d %s" % (response.status, _REASONS.get(response.status, "").encode()),
            b"Content-Type: " + response.content_type.encode("latin-1"),
            b"Content-Length: %d" % len(response.body),
            b"Date: " + _Date.now(),
            b"Server: " + SERVER_SOFTWARE.encode(),
        ]
        for name, value in response.headers:
            lines.append(f"{name}: {value}".encode("latin-1"))
        if self._closing:
            lines.append(b"Connection: close")
        lines.append(b"\r\n")
        return b"\r\n".join(lines) + response.body

    def _handoff(self) -> None:
        """Give the connection, from the request at the buffer's start, to aiohttp."""
        transport = self._transport
        assert transport is not None
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None
        self._lanes.discard(self)
        self._transport = None
        protocol = self._fallback()
        transport.set_protocol(protocol)
        protocol.connection_made(transport)
        data, self._buffer = bytes(self._buffer), bytearray()
        protocol.data_received(data)
        if self._reading_paused:
            transport.resume_reading()

    # --- closing -----------------------------------------------------------------------

    def _arm_idle(self, after_s: float) -> None:
        self._idle = self._loop.call_later(after_s, self._on_idle)

    def _on_idle(self) -> None:
        """One timer per connection, not one per request: it looks at the time of
        the last answer and, if that is recent, sleeps again for the rest."""
        idle_s = self._loop.time() - self._last_answer
        if self._busy or idle_s < self._keepalive_s:
            self._arm_idle(self._keepalive_s - idle_s if not self._busy else self._keepalive_s)
        else:
            self._idle = None
            self._close()

    def _close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def shut(self) -> None:
        """Close now if idle, else once the request in hand is answered."""
        self._closing = True
        if not self._busy:
            self._close()

    def abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()


class FastSite(web.TCPSite):
    """A TCP site whose connections start in the fast lane (see the module docstring)."""

    def __init__(
        self,
        runner: web.BaseRunner,
        host: str,
        port: int,
        *,
        routes: Mapping[tuple[str, str], FastHandler],
        max_body: int,
        keepalive_s: float = 75.0,
        backlog: int = 1024,
    ) -> None:
        super().__init__(runner, host, port, backlog=backlog)
        self._routes = {(m.encode(), p.encode()): h for (m, p), h in routes.items()}
        self._max_body = max_body
        self._keepalive_s = keepalive_s
        self._lanes = Lanes()

    async def start(self) -> None:
        await web.BaseSite.start(self)
        server = self._runner.server
        assert server is not None
        fallback: Callable[[], asyncio.Protocol] = server

        def lane() -> FastLane:
            return FastLane(
                fallback,
                self._routes,
                max_body=self._max_body,
                keepalive_s=self._keepalive_s,
                lanes=self._lanes,
            )

        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lane, self._host, self._port, backlog=self._backlog, reuse_address=True
        )
        self._bound_port = self._server.sockets[0].getsockname()[1]

    async def stop(self, timeout_s: float = 10.0) -> None:
        """Stop listening, close idle connections, let requests in hand finish."""
        await super().stop()
        for lane in list(self._lanes.open):
            lane.shut()
        await self._lanes.closed(timeout_s)
        for lane in list(self._lanes.open):
            lane.abort()
