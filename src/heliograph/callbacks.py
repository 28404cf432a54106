"""The HTTP client that delivers callbacks to clients (aiohttp, one keep-alive pool).

Transport problems and non-2xx answers come back as a short error text for the
callback service to retry on; nothing here raises for a client's failure.
``exchange`` also keeps a 2xx answer, for the dialects that act on it.
"""

from __future__ import annotations

import asyncio

import aiohttp

from heliograph.services.ports import MAX_RESPONSE_BYTES, CallbackRequest, CallbackResponse


class HttpCallbackSender:
    def __init__(self, *, timeout_s: float = 10.0, concurrency: int = 100) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._concurrency = concurrency
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=self._concurrency, limit_per_host=50)
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=self._timeout, headers={"User-Agent": "Heliograph"}
            )
        return self._session

    async def send(self, request: CallbackRequest) -> str | None:
        try:
            async with self._client().request(
                request.method,
                request.url,
                data=request.body or None,
                headers=request.headers,
            ) as resp:
                await resp.read()
                if 200 <= resp.status < 300:
                    return None
                return f"HTTP {resp.status}"
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
            return f"{type(exc).__name__}: {exc}"[:300]

    async def exchange(self, request: CallbackRequest) -> CallbackResponse | str:
        try:
            async with self._client().request(
                request.method,
                request.url,
                data=request.body or None,
                headers=request.headers,
            ) as resp:
                body = await _read_at_most(resp.content, MAX_RESPONSE_BYTES)
                if not 200 <= resp.status < 300:
                    return f"HTTP {resp.status}"
                given = bool(resp.headers.get("Content-Type"))  # else aiohttp says octet-stream
                return CallbackResponse(
                    status=resp.status,
                    content_type=resp.content_type.lower() if given else "",
                    charset=resp.charset,
                    body=body,
                )
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
            return f"{type(exc).__name__}: {exc}"[:300]

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
            await asyncio.sleep(0)


async def _read_at_most(stream: aiohttp.StreamReader, limit: int) -> bytes:
    """The answer's first ``limit`` bytes; a longer answer is cut (its connection not reused)."""
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        chunk = await stream.read(limit - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)
