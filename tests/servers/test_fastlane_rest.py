"""POST /v1/messages answered the same by the fast lane and by aiohttp.

One gateway; each request is sent twice: framed with Content-Length (the fast
lane reads it) and chunked (the lane hands the connection to aiohttp).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from heliograph.app import Gateway
from tests.e2e.test_mt_roundtrip import config, running


@pytest.fixture
async def gateway(tmp_path: Path) -> AsyncIterator[Gateway]:
    async for gw in running(config(tmp_path)):
        yield gw


async def send(
    port: int, head: list[str], body: bytes, *, chunked: bool
) -> tuple[int, dict[str, str], bytes]:
    if chunked:
        framing = ["Transfer-Encoding: chunked"]
        payload = (b"%x\r\n%s\r\n" % (len(body), body) if body else b"") + b"0\r\n\r\n"
    else:
        framing, payload = [f"Content-Length: {len(body)}"], body
    lines = ["POST /v1/messages HTTP/1.1", "Host: gw.example", *head, *framing]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + payload)
    await writer.drain()
    raw = await reader.readuntil(b"\r\n\r\n")
    status = int(raw.split(b" ")[1])
    headers = {}
    for line in raw.decode().split("\r\n")[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.lower()] = value.strip()
    answer = await reader.readexactly(int(headers["content-length"]))
    writer.close()
    return status, headers, answer


def shape(body: bytes) -> object:
    """The answer without what differs between two sends: ids and the accepted numbers."""
    value = json.loads(body)
    for entry in value.get("messages", []):
        if entry.pop("id", None) is not None:
            entry.pop("to")
    return value


CASES = [
    ([], b'{"to": "+447700900001", "text": "hi"}'),  # no key
    (["Authorization: Bearer nope"], b'{"to": "+447700900001", "text": "hi"}'),
    (["Content-Type: text/plain"], b'{"to": "+447700900001", "text": "hi"}'),
    (["Content-Type: application/json"], b'{"to": '),
    (["Content-Type: application/json"], b'{"to": "+447700900001"}'),
    (["Content-Type: application/json; charset=utf-8"], b'{"to": "12", "text": "hi"}'),
    (["Content-Type: application/json"], b'{"to": ["+4477009000NN", "x"], "text": "hi"}'),
    (["Content-Type: application/json", "Idempotency-Key: " + "k" * 300], b'{"to": "1"}'),
]


@pytest.mark.parametrize("extra, body", CASES)
async def test_the_same_answer_either_way(gateway: Gateway, extra: list[str], body: bytes) -> None:
    account = await gateway.create_account(f"fast-{abs(hash((tuple(extra), body)))}")
    head = [h for h in extra if not h.startswith("Authorization")]
    if not any(h.startswith("Authorization") for h in extra) and extra:
        head.append(f"Authorization: Bearer {account.api_key}")
    head += [h for h in extra if h.startswith("Authorization")]
    # a different number each time: the same text to one number twice is a duplicate
    fast = await send(gateway.http_port, head, body.replace(b"NN", b"02"), chunked=False)
    slow = await send(gateway.http_port, head, body.replace(b"NN", b"04"), chunked=True)
    assert fast[0] == slow[0]
    assert fast[1]["content-type"].startswith(slow[1]["content-type"].split(";")[0])
    assert shape(fast[2]) == shape(slow[2])


async def test_idempotent_replay_is_marked_on_the_fast_lane(gateway: Gateway) -> None:
    account = await gateway.create_account("fast-replay")
    head = [
        "Content-Type: application/json",
        f"Authorization: Bearer {account.api_key}",
        "Idempotency-Key: order-1",
    ]
    body = b'{"to": "+447700900003", "text": "once"}'
    first = await send(gateway.http_port, head, body, chunked=False)
    again = await send(gateway.http_port, head, body, chunked=False)
    viaslow = await send(gateway.http_port, head, body, chunked=True)
    assert first[0] == again[0] == viaslow[0] == 202
    assert "idempotent-replayed" not in first[1]
    assert again[1]["idempotent-replayed"] == viaslow[1]["idempotent-replayed"] == "true"
    assert first[2] == again[2] == viaslow[2]
