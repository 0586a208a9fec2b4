"""A small async client for the CDF Data Workflows API (knows nothing of Dagster)."""

__version__ = "0.1.0"

from cdf_client.config import CdfConfig
from cdf_client.errors import (
    AccessError,
    AuthError,
    CdfApiError,
    CdfError,
    ConfigError,
    SourceUnavailableError,
)

__all__ = [
    "AccessError",
    "AuthError",
    "CdfApiError",
    "CdfConfig",
    "CdfError",
    "ConfigError",
    "SourceUnavailableError",
    "__version__",
]
