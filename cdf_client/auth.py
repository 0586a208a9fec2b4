"""Bearer tokens: OAuth2 client credentials with a cached, early-refreshed token, or static."""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

import httpx
import orjson

from cdf_client.errors import RETRYABLE_STATUSES, AuthError, RetryableError

# Named in the error when the token endpoint stays down past the retry budget.
IDENTITY_PROVIDER = "the identity provider (IDP_TOKEN_URL)"

# Refresh this many seconds before the token expires, as the official SDK does.
REFRESH_MARGIN_S = 30.0


class TokenProvider(Protocol):
    async def token(self, http: httpx.AsyncClient) -> str: ...

    def invalidate(self) -> None: ...


class StaticToken:
    """A bearer token handed over as it is (no refresh possible)."""

    def __init__(self, token: str) -> None:
        self._token = token

    async def token(self, http: httpx.AsyncClient) -> str:
        return self._token

    def invalidate(self) -> None:
        # Nothing to refresh: a rejected static token surfaces as AuthError to the caller.
        pass


class ClientCredentials:
    """OAuth2 client-credentials flow; one token shared by all concurrent requests."""

    def __init__(
        self, token_url: str, client_id: str, client_secret: str, scopes: tuple[str, ...]
    ) -> None:
        self._token_url = token_url
        self._client_id = client_id
        self._client_secret = client_secret
        self._scopes = scopes
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"ClientCredentials(token_url={self._token_url!r}, client_id={self._client_id!r})"

    def invalidate(self) -> None:
        self._token = None
        self._expires_at = 0.0

    def _fresh(self) -> bool:
        return self._token is not None and time.monotonic() < self._expires_at

    async def token(self, http: httpx.AsyncClient) -> str:
        if self._fresh():
            return self._token  # type: ignore[return-value]
        async with self._lock:
            if not self._fresh():
                await self._fetch(http)
        return self._token  # type: ignore[return-value]

    async def _fetch(self, http: httpx.AsyncClient) -> None:
        form = {
            "grant_type": "client_credentials",
            "client_id": self._client_id,
            "client_secret": self._client_secret,
            "scope": " ".join(self._scopes),
        }
        try:
            response = await http.post(self._token_url, data=form)
        except httpx.TransportError as exc:
            raise RetryableError(
                f"token request to {self._token_url} failed: {type(exc).__name__}",
                source=IDENTITY_PROVIDER,
            ) from None
        if response.status_code in RETRYABLE_STATUSES:
            raise RetryableError(
                f"token endpoint {self._token_url} answered {response.status_code}",
                status=response.status_code,
                source=IDENTITY_PROVIDER,
            )
        if response.status_code in (404, 405):
            raise AuthError(
                f"the identity provider has no token endpoint at {self._token_url} "
                f"({response.status_code}): check IDP_TOKEN_URL (or IDP_TENANT_ID)"
            )
        if response.status_code != 200:
            raise AuthError(
                f"the identity provider at {self._token_url} refused the client credentials "
                f"({response.status_code}): check IDP_CLIENT_ID, IDP_CLIENT_SECRET and IDP_SCOPES"
            )
        try:
            body = orjson.loads(response.content)
            access_token = body["access_token"]
            expires_in = float(body.get("expires_in", 3600))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            raise AuthError(
                f"the identity provider at {self._token_url} sent no usable access_token"
            ) from None
        self._token = str(access_token)
        # Never wait until the last second; with a very short lifetime refresh at half-life.
        margin = min(REFRESH_MARGIN_S, expires_in / 2)
        self._expires_at = time.monotonic() + expires_in - margin
