"""Adaptive concurrency: additive increase, multiplicative decrease on 429 (like TCP)."""

from __future__ import annotations

import asyncio
from types import TracebackType


class AdaptiveLimiter:
    """At most ``limit`` holders at once; the limit halves on throttling and creeps back up.

    Halving at most once per ``limit`` completions keeps one burst of 429 answers (all from
    requests already in flight) from collapsing the limit to 1.
    """

    def __init__(self, maximum: int) -> None:
        self.maximum = maximum
        self.limit = maximum
        self.lowest = maximum
        self._in_flight = 0
        self._since_change = 0
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
        if self._since_change >= self.limit or self.limit == self.maximum:
            self.limit = max(1, self.limit // 2)
            self.lowest = min(self.lowest, self.limit)
            self._since_change = 0

    def succeeded(self) -> None:
        self._since_change += 1
        if self.limit < self.maximum and self._since_change >= self.limit:
            self.limit += 1
            self._since_change = 0
