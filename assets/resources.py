"""Dagster resources: the CDF connection and the warehouse location.

Every field is optional: an unset field falls back, at run time, to the contract's environment
variable (``CDF_URL``/``CDF_CLUSTER``, ``CDF_PROJECT``, ``IDP_*``, ``WAREHOUSE_DIR``). Nothing is
read at import, and secrets given through ``dg.EnvVar`` are never shown in the UI.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from cdf_client.config import CdfConfig
from ingest.projects import PROJECTS_FILE_VARIABLE, read_projects_file
from ingest.settings import parquet_uri, warehouse_dir


class CdfResource(dg.ConfigurableResource):
    """Connection to the CDF projects to load: the projects file (``projects_file``, else
    ``CDF_PROJECTS_FILE``) when there is one, otherwise one project (OAuth2 client credentials
    or a static token) from the fields below and the contract's variables."""

    projects_file: str | None = None

    base_url: str | None = None
    cluster: str | None = None
    project: str | None = None
    token_url: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    scopes: str | None = None
    concurrency: int | None = None

    def cdf_config(self) -> CdfConfig:
        env = dict(os.environ)
        for name, value in (
            ("CDF_URL", self.base_url),
            ("CDF_CLUSTER", self.cluster),
            ("CDF_PROJECT", self.project),
            ("IDP_TOKEN_URL", self.token_url),
            ("IDP_CLIENT_ID", self.client_id),
            ("IDP_CLIENT_SECRET", self.client_secret),
            ("IDP_SCOPES", self.scopes),
        ):
            if value:
                env[name] = value
        if self.concurrency is not None:
            env["CDF_CONCURRENCY"] = str(self.concurrency)
        return CdfConfig.from_env(env)

    def cdf_configs(self) -> list[CdfConfig]:
        """Every project to load, in order (one when no projects file is configured)."""
        path = self.projects_file or os.environ.get(PROJECTS_FILE_VARIABLE, "").strip()
        if path:
            return read_projects_file(Path(path).expanduser(), os.environ)
        return [self.cdf_config()]


class WarehouseResource(dg.ConfigurableResource):
    """Where the DuckDB file and the Parquet partitions live (``parquet_uri``, else
    ``WAREHOUSE_PARQUET_URI``: an ``s3://bucket/prefix`` for the Parquet tree)."""

    directory: str | None = None
    parquet_uri: str | None = None

    def path(self) -> Path:
        return Path(self.directory).expanduser().resolve() if self.directory else warehouse_dir()

    def parquet_location(self) -> str | None:
        return self.parquet_uri or parquet_uri()
