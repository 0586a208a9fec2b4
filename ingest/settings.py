"""Where the warehouse lives (``WAREHOUSE_DIR``, with a default inside the repository) and where
its Parquet tree goes (``WAREHOUSE_PARQUET_URI``, default under the directory)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

# The repository root when installed in editable mode (the way `make install` installs).
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WAREHOUSE_DIR = REPO_ROOT / "data" / "warehouse"


def parquet_uri(env: Mapping[str, str] | None = None) -> str | None:
    """``WAREHOUSE_PARQUET_URI`` (``s3://bucket/prefix``) when the Parquet tree lives on object
    storage; None keeps it under ``WAREHOUSE_DIR``."""
    env = os.environ if env is None else env
    return env.get("WAREHOUSE_PARQUET_URI", "").strip() or None


def warehouse_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    configured = env.get("WAREHOUSE_DIR", "").strip()
    return Path(configured).expanduser().resolve() if configured else DEFAULT_WAREHOUSE_DIR
