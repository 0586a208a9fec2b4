"""Dagster resources that do the work: CDF clients for the configured projects, and the
warehouse opened read-only or for writing with its memory cap.

Every field is optional: an unset field falls back, at run time, to the settings layer
(:mod:`ingest.settings`: ``CDF_URL``/``CDF_CLUSTER``, ``CDF_PROJECT``, ``IDP_*``,
``CDF_PROJECTS_FILE``, ``WAREHOUSE_DIR``, ...); a field that is set wins. Nothing is read at
import, and secrets given through ``dg.EnvVar`` are never shown in the UI.
"""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
import httpx
from pydantic import PrivateAttr

from cdf_client.client import WorkflowsClient
from cdf_client.config import CdfConfig
from cdf_client.errors import ConfigError
from ingest.projects import read_projects_file
from ingest.settings import CdfSettings, WarehouseSettings
from warehouse.lock import WriterLock
from warehouse.store import Warehouse

# In-process transports by key, held only while the resource that made them lives.
_IN_PROCESS: weakref.WeakValueDictionary[str, httpx.AsyncBaseTransport] = (
    weakref.WeakValueDictionary()
)


class CdfResource(dg.ConfigurableResource):
    """Connection to the CDF projects to load: the projects file (``projects_file``, else
    ``CDF_PROJECTS_FILE``) when there is one, otherwise one project (OAuth2 client credentials
    or a static token) from the fields below and the environment.

    :meth:`in_process` gives one whose requests go to an ASGI app (the simulator) in this
    process instead of the network."""

    projects_file: str | None = None

    base_url: str | None = None
    cluster: str | None = None
    project: str | None = None
    token_url: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    scopes: str | None = None
    concurrency: int | None = None
    # Set by in_process(): names the in-process transport (Dagster rebuilds a resource from its
    # fields for each run, so the transport itself cannot travel as an attribute).
    in_process_app: str | None = None

    _transport: httpx.AsyncBaseTransport | None = PrivateAttr(default=None)

    @classmethod
    def in_process(cls, app: Any, **fields: Any) -> CdfResource:
        """Requests go to the ASGI ``app`` (e.g. ``cdf_simulator.create_app(sim)``) in this
        process instead of the network; the transport lives as long as this resource."""
        transport = httpx.ASGITransport(app=app)
        key = f"asgi-{id(transport):x}"
        _IN_PROCESS[key] = transport
        resource = cls(**fields, in_process_app=key)
        resource._transport = transport
        return resource

    @property
    def transport(self) -> httpx.AsyncBaseTransport | None:
        """The in-process transport, or None for the network."""
        if self.in_process_app is None:
            return None
        transport = _IN_PROCESS.get(self.in_process_app)
        if transport is None:
            raise ConfigError(f"no in-process CDF app {self.in_process_app!r} in this process")
        return transport

    def settings(self) -> CdfSettings:
        """The environment's settings with this resource's fields on top."""
        return CdfSettings.load(
            base_url=self.base_url,
            cluster=self.cluster,
            project=self.project,
            token_url=self.token_url,
            client_id=self.client_id,
            client_secret=self.client_secret,
            scopes=self.scopes,
            concurrency=self.concurrency,
            projects_file=self.projects_file or None,
        )

    def cdf_config(self) -> CdfConfig:
        return self.settings().cdf_config()

    def cdf_configs(self) -> list[CdfConfig]:
        """Every project to load, in order (one when no projects file is configured)."""
        settings = self.settings()
        if settings.projects_file is not None:
            return read_projects_file(settings.projects_file, settings)
        return [settings.cdf_config()]

    def transports(self) -> dict[str, httpx.AsyncBaseTransport]:
        """Per project, the transport its client uses (empty: the network)."""
        transport = self.transport
        if transport is None:
            return {}
        return {config.project: transport for config in self.cdf_configs()}

    @asynccontextmanager
    async def client(self, config: CdfConfig | None = None) -> AsyncIterator[WorkflowsClient]:
        """An open client for ``config`` (default: the single configured project)."""
        config = self.cdf_config() if config is None else config
        async with WorkflowsClient(config, transport=self.transport) as client:
            yield client


class WarehouseResource(dg.ConfigurableResource):
    """The warehouse: where the DuckDB file and the Parquet partitions live (``directory``, else
    ``WAREHOUSE_DIR``; ``parquet_uri``, else ``WAREHOUSE_PARQUET_URI``: an ``s3://bucket/prefix``
    for the Parquet tree) and DuckDB's memory cap (``duckdb_memory``, else
    ``WAREHOUSE_DUCKDB_MEMORY``)."""

    directory: str | None = None
    parquet_uri: str | None = None
    duckdb_memory: str | None = None

    def settings(self) -> WarehouseSettings:
        return WarehouseSettings.load(
            directory=self.directory or None,
            parquet_uri=self.parquet_uri or None,
            duckdb_memory=self.duckdb_memory or None,
        )

    def path(self) -> Path:
        return self.settings().path

    def memory_limit(self, default: str | None = None) -> str | None:
        """The configured cap, else ``default`` (the caller's own; None: DuckDB's)."""
        return self.settings().memory_limit(default)

    @contextmanager
    def open(
        self, *, read_only: bool = False, memory_limit: str | None = None
    ) -> Iterator[Warehouse]:
        """The open warehouse; ``memory_limit`` is the default cap when none is configured. A
        writable open holds the writer lock (the ingest takes it in ``ingest.runner``), so the
        analytics and alerts steps queue behind a backfill's merge or a backup's ``flock`` as
        the ingest does."""
        settings = self.settings()
        with ExitStack() as stack:
            if not read_only:
                stack.enter_context(WriterLock(settings.path))
            warehouse = stack.enter_context(
                Warehouse(
                    settings.path,
                    read_only=read_only,
                    parquet_uri=settings.parquet_uri,
                    memory_limit=settings.memory_limit(memory_limit),
                )
            )
            yield warehouse
