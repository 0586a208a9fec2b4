"""What a client did: request counts by kind and status, retries, throttling."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RequestStats:
    """What the client did, for run metadata and for tests that count requests.

    Several clients of one run may share one, so that their requests add up to one account.
    """

    requests: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    throttled: int = 0
    token_refreshes_on_401: int = 0
    not_found: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    # When the first request (token or API) was sent, epoch seconds: until then the user waited
    # for the process to start. Not in ``as_dict``, whose numbers add up over projects.
    first_request_at: float | None = None

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": dict(self.requests),
            "total_requests": self.total_requests,
            "retries": self.retries,
            "throttled": self.throttled,
            "token_refreshes_on_401": self.token_refreshes_on_401,
            "not_found": self.not_found,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
        }
