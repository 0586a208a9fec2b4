"""Errors the CDF client raises. Each message is one line a user can act on, without secrets."""

from __future__ import annotations

# Answers worth another attempt, from CDF and from the identity provider alike. Our calls only
# read, so retrying a 500 is safe too (the official SDK does not, for its writes' sake).
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


class CdfError(Exception):
    """Base class of everything the client raises on purpose."""


class ConfigError(CdfError):
    """Missing or invalid configuration (environment variables)."""


class AuthError(CdfError):
    """The identity provider refused the credentials, or CDF refused the token (401)."""


class AccessError(CdfError):
    """CDF answered 403: the credentials work but lack access to the project or capability."""


class CdfApiError(CdfError):
    """An error answer from the CDF API that is not retried (or no longer)."""

    def __init__(self, status: int, message: str, *, request_id: str | None = None) -> None:
        self.status = status
        self.api_message = message
        self.request_id = request_id
        suffix = f" (x-request-id {request_id})" if request_id else ""
        super().__init__(f"CDF API answered {status}: {message}{suffix}")


class RetryableError(CdfError):
    """A transient failure: 429, 502/503/504, a dropped connection or a timeout.

    Carries the server's ``Retry-After`` (seconds) when it sent one.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        source: str = "CDF",
    ) -> None:
        self.status = status
        self.retry_after = retry_after
        # Who did not answer: CDF, or the identity provider a token comes from.
        self.source = source
        super().__init__(message)


class SourceUnavailableError(CdfError):
    """Transient failures went on past the retry budget (count or total time)."""
