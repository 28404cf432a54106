"""The loop shared by the batch workers (dispatcher, callback sender).

``Wakeable.run_steps`` calls ``step()`` again at once while it finds work, and
otherwise sleeps until ``wake()`` (new work was committed) or ``idle_poll_s``
passes (work that became due with time: retries, scheduled sends).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


class Wakeable:
    def __init__(self, idle_poll_s: float) -> None:
        self._idle_poll_s = idle_poll_s
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run_steps(self, step: Callable[[], Awaitable[int]]) -> None:
        while True:
            self._wake.clear()
            if await step() == 0:
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a
                # cancellation that arrives as the event is set, and the loop would
                # then never stop.
                try:
                    async with asyncio.timeout(self._idle_poll_s):
                        await self._wake.wait()
                except TimeoutError:
                    pass
