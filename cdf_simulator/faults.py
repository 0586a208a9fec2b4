"""Seeded fault decisions: the same seed and request sequence give the same faults."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

import httpx

from .config import FaultConfig
from .rng import hash_ints


class SimulatedConnectionDrop(httpx.RemoteProtocolError):
    """Raised in-process (ASGITransport) where no socket can be closed: a transport error."""

    def __init__(self) -> None:
        super().__init__("simulated dropped connection: server closed without a response")


@dataclass(frozen=True)
class FaultDecision:
    status: int | None = None  # an error status to answer instead of the real response
    drop: bool = False
    delay_ms: int = 0  # extra delay (slow answer), on top of the fixed latency


NO_FAULT = FaultDecision()


class FaultInjector:
    def __init__(self, config: FaultConfig, seed: int) -> None:
        self._lock = threading.Lock()
        self._seed = seed
        self.config = config
        self._rng = random.Random(hash_ints(seed, 0xFA17))

    def configure(self, config: FaultConfig) -> None:
        with self._lock:
            self.config = config
            # A new configuration restarts the sequence so runs are reproducible from here on.
            self._rng = random.Random(hash_ints(self._seed, 0xFA17))

    def decide(self) -> FaultDecision:
        with self._lock:
            c = self.config
            u, v = self._rng.random(), self._rng.random()
        delay = c.slow_ms if v < c.rate_slow else 0
        edge = 0.0
        for status, rate in (
            (429, c.rate_429),
            (500, c.rate_500),
            (502, c.rate_502),
            (503, c.rate_503),
            (504, c.rate_504),
        ):
            edge += rate
            if u < edge:
                return FaultDecision(status=status, delay_ms=delay)
        edge += c.rate_drop
        if u < edge:
            return FaultDecision(drop=True, delay_ms=delay)
        return FaultDecision(delay_ms=delay) if delay else NO_FAULT
