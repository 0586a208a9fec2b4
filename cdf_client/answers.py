"""Reading CDF's answers: list pages, error messages, Retry-After.

Anything that is not what the API documents becomes a one-line :class:`CdfApiError` that names
the request id, never a KeyError or a decoding traceback.
"""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from cdf_client.errors import CdfApiError


def retry_after_seconds(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # An HTTP-date form: fall back to our own backoff.


def error_message(response: httpx.Response) -> str:
    try:
        body = orjson.loads(response.content)
        message = body["error"]["message"]
        return str(message)[:500]
    except Exception:
        return response.reason_phrase or "no error message"


def json_body(response: httpx.Response) -> Any:
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        raise CdfApiError(
            response.status_code,
            "answer is not valid JSON",
            request_id=response.headers.get("x-request-id"),
        ) from None


def page_of(response: httpx.Response, kind: str) -> tuple[list[Any], str | None]:
    """A list answer's items and next cursor; anything else is a clear CdfApiError."""
    page = json_body(response)
    request_id = response.headers.get("x-request-id")
    items = page.get("items") if isinstance(page, dict) else None
    if not isinstance(items, list):
        raise CdfApiError(
            response.status_code, f"{kind} answer has no items array", request_id=request_id
        )
    cursor = page.get("nextCursor")
    if cursor is not None and not isinstance(cursor, str):
        raise CdfApiError(
            response.status_code,
            f"{kind} answer has a nextCursor that is not a string",
            request_id=request_id,
        )
    return items, cursor or None
