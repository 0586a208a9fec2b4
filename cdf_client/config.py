"""Connection settings for a CDF project: a plain typed object the client takes.

The settings layer (``ingest.settings``) builds it from the Cognite environment variables or
the projects file; the checks here speak of those variables because that is where users fix
them.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from cdf_client.errors import ConfigError

_LOOPBACK_NAMES = {"localhost"}


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class CdfConfig:
    """Everything needed to talk to one CDF project.

    Either OAuth2 client credentials (``token_url``, ``client_id``, ``client_secret``) or a
    static bearer ``token`` (handy in notebooks). Secrets are excluded from ``repr``.
    """

    base_url: str
    project: str
    token_url: str | None = None
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    scopes: tuple[str, ...] = ()
    token: str | None = field(default=None, repr=False)
    client_name: str = "cdf-workflow-analytics"
    verify_tls: bool = True
    # Seconds to connect / to wait for an answer.
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    # Retry budget for transient failures: whichever runs out first (CDF_MAX_ATTEMPTS and
    # CDF_MAX_RETRY_SECONDS).
    max_attempts: int = 8
    max_retry_seconds: float = 300.0
    max_backoff_seconds: float = 30.0
    # Concurrent detail requests; lowered on 429 and raised again while the server keeps up.
    concurrency: int = 16

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(
                f"CDF_URL must be an http(s) URL such as https://westeurope-1.cognitedata.com, "
                f"got {self.base_url!r}"
            )
        if parts.scheme == "http" and not _is_loopback(parts.hostname):
            # Tokens travel in headers: plain http is only acceptable for a local simulator.
            raise ConfigError(
                f"CDF_URL uses plain http for {parts.hostname}; use https (plain http is "
                "only allowed for a local simulator on 127.0.0.1/localhost)"
            )
        if not self.project:
            raise ConfigError("CDF_PROJECT is not set: name the CDF project to read")
        if self.token is None:
            missing = [
                name
                for name, value in (
                    ("IDP_TOKEN_URL (or IDP_TENANT_ID for Entra ID)", self.token_url),
                    ("IDP_CLIENT_ID", self.client_id),
                    ("IDP_CLIENT_SECRET", self.client_secret),
                )
                if not value
            ]
            if missing:
                raise ConfigError(
                    f"missing {', '.join(missing)}: set OAuth2 client credentials "
                    "(or CDF_TOKEN for a static bearer token)"
                )
        if not 1 <= self.concurrency <= 256:
            raise ConfigError(f"CDF_CONCURRENCY must be 1..256, got {self.concurrency}")
        if not 1 <= self.max_attempts <= 100:
            raise ConfigError(f"CDF_MAX_ATTEMPTS must be 1..100, got {self.max_attempts}")
        if not 0 < self.max_retry_seconds <= 86_400:
            raise ConfigError(
                f"CDF_MAX_RETRY_SECONDS must be more than 0 and at most 86400, "
                f"got {self.max_retry_seconds}"
            )

    @property
    def api_root(self) -> str:
        return f"{self.base_url.rstrip('/')}/api/v1/projects/{self.project}"
