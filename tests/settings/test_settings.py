"""The typed settings layer: every variable parsed, clear one-line errors, the projects file and
the environment giving the same project, and a value given to a Dagster resource winning."""

from __future__ import annotations

import ast
import asyncio
from pathlib import Path
from typing import Any

import duckdb
import pytest

from assets.resources import CdfResource, WarehouseResource
from cdf_client.errors import ConfigError
from cdf_simulator import Simulator, SimulatorConfig, create_app
from ingest.projects import load_projects
from ingest.settings import (
    DEFAULT_SLA_TARGETS_FILE,
    AlertsSettings,
    CdfSettings,
    RunSettings,
    WarehouseSettings,
)
from warehouse.store import DATABASE_FILE, Warehouse

REPO = Path(__file__).resolve().parents[2]
SECRET = "s3cret-value-9f1"
BASE = {
    "CDF_CLUSTER": "westeurope-1",
    "CDF_PROJECT": "acme",
    "IDP_TOKEN_URL": "https://login.example.com/token",
    "IDP_CLIENT_ID": "client",
    "IDP_CLIENT_SECRET": SECRET,
}

# Every variable the project reads: (settings class, variable, text, field, parsed value).
VARIABLES: list[tuple[Any, str, str, str, object]] = [
    (CdfSettings, "CDF_URL", " https://api.example.com ", "base_url", "https://api.example.com"),
    (CdfSettings, "CDF_CLUSTER", "westeurope-1", "cluster", "westeurope-1"),
    (CdfSettings, "CDF_PROJECT", "acme", "project", "acme"),
    (CdfSettings, "IDP_TOKEN_URL", "https://idp/token", "token_url", "https://idp/token"),
    (CdfSettings, "IDP_TENANT_ID", "t-1", "tenant_id", "t-1"),
    (CdfSettings, "IDP_CLIENT_ID", "client", "client_id", "client"),
    (CdfSettings, "IDP_SCOPES", "a/.default  b", "scopes", ("a/.default", "b")),
    (CdfSettings, "CDF_CONCURRENCY", "8", "concurrency", 8),
    (CdfSettings, "CDF_MAX_ATTEMPTS", "3", "max_attempts", 3),
    (CdfSettings, "CDF_MAX_RETRY_SECONDS", "12.5", "max_retry_seconds", 12.5),
    (CdfSettings, "CDF_PROJECTS_FILE", "/etc/p.toml", "projects_file", Path("/etc/p.toml")),
    (WarehouseSettings, "WAREHOUSE_DIR", "/data/wh", "directory", Path("/data/wh")),
    (WarehouseSettings, "WAREHOUSE_PARQUET_URI", "s3://b/p", "parquet_uri", "s3://b/p"),
    (WarehouseSettings, "WAREHOUSE_DUCKDB_MEMORY", "4GB", "duckdb_memory", "4GB"),
    (WarehouseSettings, "SLA_TARGETS_FILE", "/x/sla.csv", "sla_targets_file", Path("/x/sla.csv")),
    (RunSettings, "INGEST_REFETCH_OPEN", "Yes", "refetch_open", True),
    (AlertsSettings, "ALERTS_FILE", "/x/alerts.toml", "alerts_file", Path("/x/alerts.toml")),
    (
        AlertsSettings,
        "CDF_UI_EXECUTION_URL",
        "https://ui/{id}",
        "ui_execution_url",
        "https://ui/{id}",
    ),
]

# What a variable gives when unset, where that is not None (or False).
UNSET: dict[str, object] = {"SLA_TARGETS_FILE": DEFAULT_SLA_TARGETS_FILE}


@pytest.mark.parametrize(
    ("cls", "variable", "text", "field", "value"), VARIABLES, ids=[v[1] for v in VARIABLES]
)
def test_every_variable_is_parsed_from_a_mapping_and_from_the_environment(
    cls: Any, variable: str, text: str, field: str, value: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert getattr(cls.load({variable: text}), field) == value
    unset = (UNSET[variable],) if variable in UNSET else (None, False)
    assert getattr(cls.load({}), field) in unset
    # An empty variable counts as unset.
    assert getattr(cls.load({variable: ""}), field) in unset
    monkeypatch.setenv(variable, text)
    assert getattr(cls.load(), field) == value
    assert cls.variable(field) == variable


def test_secrets_are_read_but_never_shown() -> None:
    settings = CdfSettings.load({**BASE, "CDF_TOKEN": "tok-" + SECRET})
    assert settings.client_secret is not None and settings.token is not None
    assert settings.client_secret.get_secret_value() == SECRET
    config = settings.cdf_config()
    assert (config.client_secret, config.token) == (SECRET, "tok-" + SECRET)
    assert SECRET not in repr(settings) + str(settings) + repr(config)


def test_a_projects_file_and_the_environment_give_the_same_project(tmp_path: Path) -> None:
    from_env = load_projects(
        {**BASE, "IDP_SCOPES": "s/.default other", "CDF_CONCURRENCY": "4", "CDF_MAX_ATTEMPTS": "2"}
    )
    path = tmp_path / "projects.toml"
    path.write_text(
        "[projects.acme]\n"
        'cluster = "westeurope-1"\n'
        'token_url = "https://login.example.com/token"\n'
        'client_id = "client"\n'
        'client_secret_env = "ACME_SECRET"\n'
        'scopes = ["s/.default", "other"]\n'
        "concurrency = 4\n"
    )
    from_file = load_projects(
        {"CDF_PROJECTS_FILE": str(path), "ACME_SECRET": SECRET, "CDF_MAX_ATTEMPTS": "2"}
    )
    assert from_file == from_env
    assert from_env[0].max_attempts == 2 and from_env[0].concurrency == 4


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CDF_CONCURRENCY": "lots"}, "CDF_CONCURRENCY must be an integer, got 'lots'"),
        ({"CDF_MAX_ATTEMPTS": "3.5"}, "CDF_MAX_ATTEMPTS must be an integer, got '3.5'"),
        ({"CDF_MAX_RETRY_SECONDS": "soon"}, "CDF_MAX_RETRY_SECONDS must be a number, got 'soon'"),
        ({"CDF_MAX_ATTEMPTS": "0"}, "CDF_MAX_ATTEMPTS must be 1..100, got 0"),
        ({"CDF_CONCURRENCY": "0"}, "CDF_CONCURRENCY must be 1..256, got 0"),
        ({"CDF_PROJECT": "  "}, "CDF_PROJECT is not set"),
        ({"CDF_CLUSTER": None}, "set CDF_URL (e.g. https://westeurope-1.cognitedata.com)"),
        ({"IDP_CLIENT_SECRET": None}, "missing IDP_CLIENT_SECRET"),
        ({"IDP_TOKEN_URL": None}, "missing IDP_TOKEN_URL (or IDP_TENANT_ID for Entra ID):"),
    ],
)
def test_bad_values_are_one_line_naming_the_variable(
    env: dict[str, str | None], message: str
) -> None:
    values = {k: v for k, v in {**BASE, **env}.items() if v is not None}
    with pytest.raises(ConfigError) as caught:
        CdfSettings.load(values).cdf_config()
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)
    assert SECRET not in str(caught.value)


def test_a_bad_switch_is_one_line() -> None:
    with pytest.raises(ConfigError, match=r"^INGEST_REFETCH_OPEN must be one of .* got 'maybe'$"):
        RunSettings.load({"INGEST_REFETCH_OPEN": "maybe"})


def test_a_value_given_to_a_resource_wins_over_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name, value in {
        **BASE,
        "CDF_CONCURRENCY": "4",
        "WAREHOUSE_DIR": str(tmp_path / "env"),
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("CDF_PROJECTS_FILE", raising=False)
    given = CdfResource(project="given", concurrency=9).cdf_config()
    assert (given.project, given.concurrency, given.client_id) == ("given", 9, "client")
    assert CdfResource().cdf_config().project == "acme"
    assert WarehouseResource(directory=str(tmp_path / "given")).path() == tmp_path / "given"
    assert WarehouseResource().path() == tmp_path / "env"
    monkeypatch.setenv("WAREHOUSE_DUCKDB_MEMORY", "1GB")
    assert WarehouseResource().memory_limit("256MB") == "1GB"
    assert WarehouseResource(duckdb_memory="2GB").memory_limit("256MB") == "2GB"
    monkeypatch.delenv("WAREHOUSE_DUCKDB_MEMORY")
    assert WarehouseResource().memory_limit("256MB") == "256MB"


def test_the_warehouse_resource_opens_the_store_for_writing_or_reading(tmp_path: Path) -> None:
    resource = WarehouseResource(directory=str(tmp_path / "wh"), duckdb_memory="300MB")
    with resource.open() as wh:
        assert isinstance(wh, Warehouse) and not wh.read_only
        wh.ensure_schema()
        (limit,) = wh.connection.execute("SELECT current_setting('memory_limit')").fetchone()
    assert (tmp_path / "wh" / DATABASE_FILE).exists()
    assert limit.replace(" ", "") in ("286.1MiB", "300.0MB", "300MB")
    with resource.open(read_only=True) as wh, pytest.raises(duckdb.Error):
        wh.connection.execute("CREATE TABLE nope (x INT)")
    # Closed on leaving the block.
    with pytest.raises(RuntimeError, match="not open"):
        _ = wh.connection


def test_the_cdf_resource_gives_a_client_for_a_project_in_process() -> None:
    sim = Simulator(SimulatorConfig(seed=3, project="test-project", workflows=2, history_days=1))
    resource = CdfResource.in_process(
        create_app(sim),
        base_url="http://127.0.0.1",
        project="test-project",
        token_url="http://127.0.0.1/oauth2/token",
        client_id="c",
        client_secret="s",
    )
    assert set(resource.transports()) == {"test-project"}

    async def check() -> None:
        async with resource.client() as client:
            await client.check_access()

    asyncio.run(check())
    # Dagster rebuilds a resource from its fields: the copy still reaches the simulator.
    copy = CdfResource(**resource.model_dump())
    assert copy.transport is resource.transport


def test_no_module_reads_the_environment_outside_the_settings_layer() -> None:
    """Variables are read in ingest/settings.py; what remains elsewhere is named here: the
    variables a file names for secrets (alerts), AWS's own variables, proxies, DAGSTER_HOME."""
    allowed = {
        "ingest/settings.py",
        "ingest/projects.py",  # the variables the projects file names for secrets
        "alerts/senders.py",  # the variables the alerts file names for URLs and tokens
        "warehouse/objectstore.py",  # AWS_* for the S3 client
        "workflow_analytics/dagster_run.py",  # DAGSTER_HOME: Dagster's own
    }
    readers = set()
    packages = ("cdf_client", "warehouse", "ingest", "alerts", "assets", "pipelines")
    for package in (*packages, "workflow_analytics"):
        for path in (REPO / package).rglob("*.py"):
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                # os.environ / os.getenv, and `from os import environ, getenv` too.
                named = isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv")
                imported = isinstance(node, ast.ImportFrom) and any(
                    alias.name in ("environ", "getenv") for alias in node.names
                )
                if named or imported:
                    readers.add(str(path.relative_to(REPO)))
    assert readers <= allowed, sorted(readers - allowed)
