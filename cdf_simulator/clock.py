"""The simulated clock: what "now" is for the world, moved explicitly by tests and demos."""

from __future__ import annotations

import threading
import time


def current_minute_ms() -> int:
    return int(time.time() // 60) * 60_000


class SimClock:
    """Epoch-millisecond clock. Frozen by default; with speed > 0 it also runs with real time."""

    def __init__(self, now_ms: int | None = None, speed: float = 0.0) -> None:
        self._lock = threading.Lock()
        self._base_ms = current_minute_ms() if now_ms is None else int(now_ms)
        self._speed = float(speed)
        self._real_base = time.monotonic()

    def now_ms(self) -> int:
        with self._lock:
            if self._speed == 0.0:
                return self._base_ms
            elapsed = time.monotonic() - self._real_base
            return self._base_ms + int(elapsed * 1000 * self._speed)

    def set(self, ms: int) -> None:
        with self._lock:
            self._base_ms = int(ms)
            self._real_base = time.monotonic()

    def advance(self, ms: int) -> None:
        self.set(self.now_ms() + int(ms))

    @property
    def speed(self) -> float:
        return self._speed
