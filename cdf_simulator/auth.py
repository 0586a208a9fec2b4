"""OAuth2 client-credentials tokens with real (wall-clock) expiry.

Expiry follows real time, not the simulated clock: clients refresh by real time, and jumping the
simulated clock by months must not invalidate every token at once.
"""

from __future__ import annotations

import secrets
import threading
import time


class TokenStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._expiry: dict[str, float] = {}

    def issue(self, lifetime_s: int) -> str:
        token = "sim_" + secrets.token_urlsafe(24)
        now = time.monotonic()
        with self._lock:
            # Forget expired tokens so a long-running simulator does not grow without bound.
            if len(self._expiry) > 10_000:
                self._expiry = {t: e for t, e in self._expiry.items() if e > now}
            self._expiry[token] = now + lifetime_s
        return token

    def check(self, token: str) -> str | None:
        """None when valid, else the reason it is not."""
        with self._lock:
            expiry = self._expiry.get(token)
        if expiry is None:
            return "Unknown or invalid token"
        if time.monotonic() >= expiry:
            return "Token has expired"
        return None
