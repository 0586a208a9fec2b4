"""Request counters, readable in-process and through GET /_simulator/stats."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class RequestStats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests_by_kind: Counter[str] = Counter()
        self.responses_by_status: Counter[int] = Counter()
        self.faults: Counter[str] = Counter()
        self.in_flight = 0
        self.max_in_flight = 0

    def request(self, kind: str) -> None:
        with self._lock:
            self.requests_by_kind[kind] += 1

    def response(self, status: int) -> None:
        with self._lock:
            self.responses_by_status[status] += 1

    def fault(self, name: str) -> None:
        with self._lock:
            self.faults[name] += 1

    def enter(self) -> int:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            return self.in_flight

    def leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def reset(self) -> None:
        with self._lock:
            self.requests_by_kind.clear()
            self.responses_by_status.clear()
            self.faults.clear()
            self.max_in_flight = self.in_flight

    def to_json(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": dict(self.requests_by_kind),
                "statusCodes": {str(k): v for k, v in sorted(self.responses_by_status.items())},
                "faults": dict(self.faults),
                "inFlight": self.in_flight,
                "maxInFlight": self.max_in_flight,
            }
