"""The fast lane (servers/http/fastlane.py): its own requests, and the hand-over to aiohttp.

A small aiohttp application serves the same paths as the lane, answering with
``served-by: aiohttp`` so that each test sees who answered. Requests are raw
bytes over a socket on 127.0.0.1, as a client would send them.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from heliograph.servers.http.fastlane import (
    _HANDOFF,
    MAX_BUFFER,
    MAX_HEAD,
    FastRequest,
    FastResponse,
    FastSite,
    _parse,
)


class Lane:
    def __init__(self) -> None:
        self.seen: list[FastRequest] = []
        self.release: asyncio.Event | None = None  # set: hold requests until released
        self.started = asyncio.Event()

    async def echo(self, request: FastRequest) -> FastResponse:
        self.seen.append(request)
        self.started.set()
        if self.release is not None:
            await self.release.wait()
        if request.body == b"boom":
            raise RuntimeError("handler failed")
        return FastResponse(201, b"lane:" + request.body, headers=[("X-Who", "lane")])


async def aiohttp_echo(request: web.Request) -> web.Response:
    body = await request.read()
    return web.Response(status=200, body=b"aiohttp:" + body, headers={"X-Who": "aiohttp"})


@pytest.fixture
async def served() -> AsyncIterator[tuple[Lane, int, FastSite]]:
    lane = Lane()
    app = web.Application(client_max_size=1000)
    app.router.add_post("/echo", aiohttp_echo)
    app.router.add_post("/other", aiohttp_echo)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = FastSite(runner, "127.0.0.1", 0, routes={("POST", "/echo"): lane.echo}, max_body=1000)
    await site.start()
    assert site._server is not None
    port = site._server.sockets[0].getsockname()[1]
    yield lane, port, site
    await runner.cleanup()


def post(path: str, body: bytes, *extra: str, version: str = "HTTP/1.1") -> bytes:
    head = [f"POST {path} {version}", "Host: gw.example", f"Content-Length: {len(body)}", *extra]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def exchange(port: int, data: bytes | list[bytes], answers: int) -> list[bytes]:
    """Send ``data`` (in pieces, if a list) and read ``answers`` responses."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for piece in data if isinstance(data, list) else [data]:
        writer.write(piece)
        await writer.drain()
    out = []
    for _ in range(answers):
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        out.append(head + await reader.readexactly(length))
    writer.close()
    await writer.wait_closed()
    return out


def who(answer: bytes) -> str:
    return answer.split(b"\r\n\r\n", 1)[1].split(b":", 1)[0].decode()


async def test_a_lane_route_is_answered_by_the_lane(served: tuple[Lane, int, FastSite]) -> None:
    lane, port, _ = served
    [answer] = await exchange(port, post("/echo", b"hello", "Authorization: Bearer k"), 1)
    head, body = answer.split(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"HTTP/1.1 201 Created"
    assert b"Content-Type: application/json" in lines
    assert b"Content-Length: 10" in lines
    assert b"X-Who: lane" in lines
    assert any(line.startswith(b"Date: ") and line.endswith(b" GMT") for line in lines)
    assert any(line.startswith(b"Server: ") for line in lines)
    assert body == b"lane:hello"
    [request] = lane.seen
    assert request.headers[b"authorization"] == b"Bearer k"
    assert request.header(b"host") == "gw.example"
    assert request.peer == "127.0.0.1"


async def test_answers_are_not_held_back_by_nagle(served: tuple[Lane, int, FastSite]) -> None:
    _, port, site = served
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(post("/echo", b"1"))
    await reader.readuntil(b"lane:1")
    [lane] = site._lanes.open
    assert lane._transport is not None
    sock = lane._transport.get_extra_info("socket")
    assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    writer.close()


async def test_split_at_every_offset_gives_the_same_answer(
    served: tuple[Lane, int, FastSite],
) -> None:
    lane, port, _ = served
    data = post("/echo", b"0123456789", "X-Trace: abc")
    for cut in range(1, len(data)):
        [answer] = await exchange(port, [data[:cut], data[cut:]], 1)
        assert answer.endswith(b"lane:0123456789"), cut
    assert len(lane.seen) == len(data) - 1


async def test_pipelined_requests_are_answered_in_order_and_the_rest_goes_to_aiohttp(
    served: tuple[Lane, int, FastSite],
) -> None:
    lane, port, _ = served
    data = post("/echo", b"1") + post("/other", b"2") + post("/echo", b"3")
    answers = await exchange(port, data, 3)
    # the lane serves until a request it does not serve; aiohttp has the connection after
    assert [who(a) for a in answers] == ["lane", "aiohttp", "aiohttp"]
    assert [a.rsplit(b":", 1)[1] for a in answers] == [b"1", b"2", b"3"]
    assert len(lane.seen) == 1


@pytest.mark.parametrize(
    "request_bytes",
    [
        post("/echo", b"x", version="HTTP/1.0"),
        post("/echo?x=1", b"x"),
        post("/echo", b"x", "Transfer-Encoding: identity"),
        post("/echo", b"x", "Expect: 100-continue"),
        post("/echo", b"x", "Connection: upgrade", "Upgrade: h2c"),
        post("/echo", b"x", "X-Dup: 1", "x-dup: 2"),
        b"POST /echo HTTP/1.1\r\nContent-Length: 1\r\n\r\nx",  # no Host
        b"POST /echo HTTP/1.1\r\nHost: h\r\nBad Name: 1\r\nContent-Length: 1\r\n\r\nx",
        b"POST /echo HTTP/1.1\r\nHost: h\r\nX: a\x01b\r\nContent-Length: 1\r\n\r\nx",
        b"POST /echo HTTP/1.1\r\nHost: h\nContent-Length: 1\r\n\r\nx",
        b"POST /echo HTTP/1.1\r\nHost: h\r\n folded\r\nContent-Length: 1\r\n\r\nx",
    ],
    ids=[
        "http10",
        "query",
        "transfer-encoding",
        "expect",
        "upgrade",
        "dup",
        "no-host",
        "name",
        "control",
        "bare-lf",
        "obs-fold",
    ],
)
async def test_what_the_subset_does_not_cover_goes_to_aiohttp(
    served: tuple[Lane, int, FastSite], request_bytes: bytes
) -> None:
    lane, port, _ = served
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request_bytes)
    await writer.drain()
    answer = await reader.read(65536)
    writer.close()
    assert not lane.seen
    assert b"lane:" not in answer
    assert answer.startswith(b"HTTP/1.")  # aiohttp's answer, whatever it is


async def test_chunked_body_goes_to_aiohttp_and_is_read_whole(
    served: tuple[Lane, int, FastSite],
) -> None:
    lane, port, _ = served
    data = (
        b"POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
    )
    [answer] = await exchange(port, data, 1)
    assert answer.endswith(b"aiohttp:abcde")
    assert not lane.seen


async def test_conflicting_lengths_are_refused_by_aiohttp(
    served: tuple[Lane, int, FastSite],
) -> None:
    lane, port, _ = served
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxy"
    )
    answer = await reader.read(65536)
    writer.close()
    assert answer.split(b"\r\n")[0].endswith(b" 400 Bad Request")
    assert not lane.seen


async def test_a_body_over_the_limit_is_refused_by_aiohttp(
    served: tuple[Lane, int, FastSite],
) -> None:
    lane, port, _ = served
    [answer] = await exchange(port, post("/echo", b"x" * 1001), 1)
    assert answer.startswith(b"HTTP/1.1 413")
    assert not lane.seen


async def test_connection_close_is_honoured(served: tuple[Lane, int, FastSite]) -> None:
    _, port, _ = served
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(post("/echo", b"bye", "Connection: close"))
    answer = await reader.read()  # to EOF: the lane closed the connection
    writer.close()
    assert b"\r\nConnection: close\r\n" in answer
    assert answer.endswith(b"lane:bye")


async def test_a_failing_handler_answers_500_and_the_connection_goes_on(
    served: tuple[Lane, int, FastSite],
) -> None:
    _, port, _ = served
    answers = await exchange(port, post("/echo", b"boom") + post("/echo", b"ok"), 2)
    assert answers[0].startswith(b"HTTP/1.1 500 Internal Server Error")
    assert b'"code":"internal_error"' in answers[0]
    assert answers[1].endswith(b"lane:ok")


async def test_a_body_larger_than_the_read_ahead_is_read_whole() -> None:
    lane = Lane()
    runner = web.AppRunner(web.Application(), access_log=None, handle_signals=False)
    await runner.setup()
    big = MAX_BUFFER * 3
    site = FastSite(runner, "127.0.0.1", 0, routes={("POST", "/echo"): lane.echo}, max_body=big)
    await site.start()
    assert site._server is not None
    port = site._server.sockets[0].getsockname()[1]
    try:
        body = b"y" * (MAX_BUFFER * 2)
        [answer] = await asyncio.wait_for(exchange(port, post("/echo", body), 1), 10)
        assert answer.endswith(b"lane:" + body)
    finally:
        await runner.cleanup()


async def test_an_idle_connection_is_closed() -> None:
    lane = Lane()
    runner = web.AppRunner(web.Application(), access_log=None, handle_signals=False)
    await runner.setup()
    site = FastSite(
        runner,
        "127.0.0.1",
        0,
        routes={("POST", "/echo"): lane.echo},
        max_body=1000,
        keepalive_s=0.05,
    )
    await site.start()
    assert site._server is not None
    port = site._server.sockets[0].getsockname()[1]
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(post("/echo", b"1"))
        answer = await asyncio.wait_for(reader.read(), 5)  # to EOF: closed when idle
        assert answer.endswith(b"lane:1")
        writer.close()
    finally:
        await runner.cleanup()


async def test_stopping_lets_the_request_in_hand_finish(
    served: tuple[Lane, int, FastSite],
) -> None:
    lane, port, site = served
    lane.release = asyncio.Event()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(post("/echo", b"late"))
    await writer.drain()
    await lane.started.wait()
    stopping = asyncio.create_task(site.stop())
    await asyncio.sleep(0)  # let stop() close the listener before the request finishes
    lane.release.set()
    answer = await reader.read()  # the answer, then EOF
    await stopping
    writer.close()
    assert answer.startswith(b"HTTP/1.1 201")
    assert answer.endswith(b"lane:late")
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", port)


def test_parse_waits_for_the_head_and_the_body() -> None:
    routes = {(b"POST", b"/echo"): "route"}
    data = post("/echo", b"abc")
    assert _parse(bytearray(data[:10]), routes, 100) is None
    parsed = _parse(bytearray(data), routes, 100)
    assert parsed is not None and parsed[0] == "route"
    head, total = parsed[4], parsed[5]
    assert data[head:total] == b"abc" and total == len(data)


def test_parse_hands_over_a_head_that_never_ends() -> None:
    routes = {(b"POST", b"/echo"): "route"}
    endless = bytearray(b"POST /echo HTTP/1.1\r\nX: " + b"a" * MAX_HEAD)
    assert _parse(bytearray(b"POST /echo HTTP/1.1\r\nX: a"), routes, 100) is None
    assert _parse(endless, routes, 100) is _HANDOFF  # too long: aiohttp's to refuse
