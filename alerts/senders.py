"""Posting alert messages over HTTPS with httpx.

The URL and token come from the environment variables a destination names; they are secrets
(a Slack incoming-webhook URL is its own credential), so nothing here puts them in an error,
a log line or a return value: a failure is described by its status code or exception type
only. Requests go straight to an httpx transport rather than through ``httpx.Client``, whose
INFO log line names the full URL. Plain http is refused except to loopback, as for CDF.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from alerts.config import Destination

USER_AGENT = "cdf-workflow-analytics-alerts/1"
TIMEOUT = httpx.Timeout(10.0, read=20.0)


@dataclass(frozen=True)
class SendResult:
    ok: bool
    error: str | None = None  # never holds the URL or the token


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, variable: str) -> str | None:
    """Why the URL cannot be used (naming the variable, not the URL), or None when it can."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return f"{variable} is not a URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{variable} is not an http(s) URL"
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        return f"{variable} uses plain http; use https (http is only allowed to loopback)"
    return None


class Sender:
    """Posts JSON documents to destinations; one connection pool for the whole run."""

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.env = os.environ if env is None else env
        # TLS verified; no proxy from the environment (a proxy set for other tools would see
        # the URLs); redirects are not followed.
        self._transport = transport or httpx.HTTPTransport(verify=True, retries=0)

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> Sender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def problem(self, destination: Destination) -> str | None:
        """Why this destination cannot be used now (missing or bad variable), or None."""
        url = self.env.get(destination.url_env, "").strip()
        if not url:
            return f"environment variable {destination.url_env} is not set"
        bad = check_url(url, destination.url_env)
        if bad:
            return bad
        if destination.token_env and not self.env.get(destination.token_env, "").strip():
            return f"environment variable {destination.token_env} is not set"
        return None

    def post(self, destination: Destination, body: dict[str, Any]) -> SendResult:
        problem = self.problem(destination)
        if problem:
            return SendResult(False, problem)
        headers = {"content-type": "application/json", "user-agent": USER_AGENT}
        if destination.token_env:
            headers["authorization"] = f"Bearer {self.env[destination.token_env].strip()}"
        request = httpx.Request(
            "POST",
            self.env[destination.url_env].strip(),
            headers=headers,
            content=orjson.dumps(body),
            extensions={"timeout": TIMEOUT.as_dict()},
        )
        try:
            response = self._transport.handle_request(request)
            try:
                response.read()
            finally:
                response.close()
        except httpx.TimeoutException:
            return SendResult(False, "timed out")
        except httpx.HTTPError as exc:
            # The exception's text may quote the URL: only its type is kept.
            return SendResult(False, f"request failed ({type(exc).__name__})")
        if 200 <= response.status_code < 300:
            return SendResult(True)
        return SendResult(False, f"answered HTTP {response.status_code}")
