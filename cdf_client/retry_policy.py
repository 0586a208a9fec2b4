"""When the client retries a request to CDF, and how long it waits first (tenacity)."""

from __future__ import annotations

import logging
import random

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type

from cdf_client.config import CdfConfig
from cdf_client.errors import RetryableError
from cdf_client.stats import RequestStats

# Under the client's name, as before the policy had a module of its own.
log = logging.getLogger("cdf_client.client")


class RetryPolicy:
    """Retries of retryable answers (429, 5xx, CDF's auto-retryable ones, transport errors)
    within the configuration's budget of attempts and seconds."""

    def __init__(self, config: CdfConfig, stats: RequestStats, rng: random.Random) -> None:
        self.config = config
        self.stats = stats
        self._random = rng

    def attempts(self) -> AsyncRetrying:
        """A fresh retry loop for one request (``async for attempt in ...``)."""
        return AsyncRetrying(
            stop=self.stop,
            wait=self.wait,
            retry=retry_if_exception_type(RetryableError),
            before_sleep=self.before_sleep,
        )

    def wait(self, state: RetryCallState) -> float:
        """Full-jitter exponential backoff, never shorter than the server's Retry-After."""
        exc = state.outcome.exception() if state.outcome else None
        cap = self.config.max_backoff_seconds
        backoff = self._random.uniform(0, min(cap, 0.25 * 2 ** (state.attempt_number - 1)))
        if isinstance(exc, RetryableError) and exc.retry_after is not None:
            return max(min(exc.retry_after, cap), backoff)
        return backoff

    def stop(self, state: RetryCallState) -> bool:
        """Give up when the time budget is spent, or after ``max_attempts`` failures.

        A 429 says "slower", not "broken": throttled attempts count a quarter, so a busy server
        does not use up the budget meant for outages (the time budget still bounds them).
        """
        if state.seconds_since_start >= self.config.max_retry_seconds:
            return True
        exc = state.outcome.exception() if state.outcome else None
        failures = getattr(state, "weighted_failures", 0.0)
        failures += 0.25 if isinstance(exc, RetryableError) and exc.status == 429 else 1.0
        state.weighted_failures = failures  # type: ignore[attr-defined]
        return failures >= self.config.max_attempts

    def before_sleep(self, state: RetryCallState) -> None:
        self.stats.retries += 1
        exc = state.outcome.exception() if state.outcome else None
        log.debug("retrying after %s (attempt %d)", exc, state.attempt_number)
