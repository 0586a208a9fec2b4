"""Adaptive concurrency: additive increase, multiplicative decrease on 429 (like TCP)."""

from __future__ import annotations

import asyncio
import time
from types import TracebackType


class AdaptiveLimiter:
    """At most ``limit`` holders at once; the limit halves on throttling and creeps back up.

    One burst of 429 answers comes from requests that were all in flight together, so the limit
    halves at most once per ``cooldown_s``; it grows by one after ``limit`` successes in a row.
    """

    def __init__(self, maximum: int, *, cooldown_s: float = 0.25) -> None:
        self.maximum = maximum
        self.limit = maximum
        self.lowest = maximum
        self.cooldown_s = cooldown_s
        self._in_flight = 0
        self._successes = 0
        self._last_decrease = float("-inf")
        self._cond = asyncio.Condition()

    async def __aenter__(self) -> AdaptiveLimiter:
        async with self._cond:
            await self._cond.wait_for(lambda: self._in_flight < self.limit)
            self._in_flight += 1
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        async with self._cond:
            self._in_flight -= 1
            self._cond.notify_all()

    def throttled(self) -> None:
        self._successes = 0
        now = time.monotonic()
        if now - self._last_decrease >= self.cooldown_s:
            self._last_decrease = now
            self.limit = max(1, self.limit // 2)
            self.lowest = min(self.lowest, self.limit)

    def succeeded(self) -> None:
        self._successes += 1
        if self.limit < self.maximum and self._successes >= self.limit:
            self.limit += 1
            self._successes = 0
