"""The projects file: settings per project, secrets only by the name of their variable, clear
errors; without a file the single project of the environment, as before. And the nightly job
over a projects file, where one project cannot be read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from assets.ingest import cdf_incremental_ingest
from assets.resources import CdfResource, WarehouseResource
from cdf_client.errors import ConfigError
from cdf_simulator import Simulator, run_server
from ingest.projects import load_projects
from tests.support.sim import small_sim_config
from warehouse.store import Warehouse

ENV = {"ACME_SECRET": "s3cr3t-value", "ACME_DEV_ID": "dev-client", "ACME_DEV_SECRET": "dev-s3cr3t"}


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "projects.toml"
    path.write_text(text)
    return path


def test_projects_read_their_settings_and_secrets_from_the_named_variables(
    tmp_path: Path,
) -> None:
    path = _write(
        tmp_path,
        """
[defaults]
cluster = "westeurope-1"
tenant_id = "tenant-1"

[projects.acme-prod]
client_id = "prod-client"
client_secret_env = "ACME_SECRET"

[projects.acme-dev]
base_url = "https://api.example.com"
token_url = "https://idp.example.com/token"
client_id_env = "ACME_DEV_ID"
client_secret_env = "ACME_DEV_SECRET"
scopes = ["a/.default", "b"]
concurrency = 4
""",
    )
    prod, dev = load_projects({"CDF_PROJECTS_FILE": str(path), "CDF_MAX_ATTEMPTS": "3", **ENV})
    assert (prod.project, prod.base_url) == ("acme-prod", "https://westeurope-1.cognitedata.com")
    assert prod.token_url == "https://login.microsoftonline.com/tenant-1/oauth2/v2.0/token"
    assert (prod.client_id, prod.client_secret) == ("prod-client", "s3cr3t-value")
    assert prod.scopes == ("https://westeurope-1.cognitedata.com/.default",)
    assert prod.max_attempts == dev.max_attempts == 3
    assert (dev.project, dev.base_url, dev.token_url) == (
        "acme-dev",
        "https://api.example.com",
        "https://idp.example.com/token",
    )
    assert (dev.client_id, dev.client_secret) == ("dev-client", "dev-s3cr3t")
    assert dev.scopes == ("a/.default", "b") and dev.concurrency == 4
    assert "s3cr3t" not in repr(prod) + repr(dev)


def test_without_a_file_the_environment_names_the_single_project() -> None:
    (only,) = load_projects(
        {
            "CDF_CLUSTER": "westeurope-1",
            "CDF_PROJECT": "solo",
            "IDP_TENANT_ID": "t",
            "IDP_CLIENT_ID": "c",
            "IDP_CLIENT_SECRET": "s",
        }
    )
    assert (only.project, only.base_url) == ("solo", "https://westeurope-1.cognitedata.com")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[projects.p]\ncluster = "c"\ntenant_id = "t"\nclient_id = "x"\nclient_secret = "oops"',
            "projects.p.client_secret: secrets never go in this file; put the secret in an "
            "environment variable and give its name as client_secret_env",
        ),
        (
            '[projects.p]\ncluster = "c"\ntoken = "oops"',
            "projects.p.token: secrets never go in this file",
        ),
        (
            '[projects.p]\ncluster = "c"\ntenant_id = "t"\nclient_id = "x"\n'
            'client_secret_env = "NOT_SET_ANYWHERE"',
            "project 'p': the environment variable NOT_SET_ANYWHERE (client_secret_env in ",
        ),
        (
            '[projects.p]\ncluster = "c"\ntenant_id = "t"\nclient_id = "x"',
            "project 'p' in ",  # ... missing IDP_CLIENT_SECRET
        ),
        ('[projects.p]\nclustr = "c"', "projects.p: unknown keys ['clustr']"),
        ("[defaults]\ncluster = 'c'", "name at least one project"),
        ("[projects.p\n", "not valid TOML"),
    ],
)
def test_bad_files_fail_with_one_clear_line(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_projects({"CDF_PROJECTS_FILE": str(path), **ENV})
    assert message in str(caught.value)
    assert "\n" not in str(caught.value) and "oops" not in str(caught.value)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"CDF_PROJECTS_FILE: cannot read .*nowhere\.toml"):
        load_projects({"CDF_PROJECTS_FILE": str(tmp_path / "nowhere.toml")})


@pytest.fixture
def two_servers() -> Iterator[tuple[str, str]]:
    world = {"workflows": 3, "executions_per_day": 5.0, "history_days": 3}
    good = Simulator(small_sim_config(project="good", **world))
    # This identity provider only knows another secret than the one configured.
    locked = Simulator(
        small_sim_config(project="locked", client_id="c", client_secret="other", **world)
    )
    with run_server(good) as good_url, run_server(locked) as locked_url:
        yield good_url, locked_url


def test_nightly_asset_reports_the_projects_that_loaded_then_fails(
    two_servers: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good_url, locked_url = two_servers
    monkeypatch.setenv("GOOD_SECRET", "any")
    monkeypatch.setenv("LOCKED_SECRET", "wrong")
    monkeypatch.setenv("CDF_MAX_ATTEMPTS", "2")
    path = _write(
        tmp_path,
        f"""
[projects.good]
base_url = "{good_url}"
token_url = "{good_url}/oauth2/token"
client_id = "c"
client_secret_env = "GOOD_SECRET"

[projects.locked]
base_url = "{locked_url}"
token_url = "{locked_url}/oauth2/token"
client_id = "c"
client_secret_env = "LOCKED_SECRET"
""",
    )
    directory = tmp_path / "wh"
    result = dg.materialize(
        [cdf_incremental_ingest],
        resources={
            "cdf": CdfResource(projects_file=str(path)),
            "warehouse": WarehouseResource(directory=str(directory)),
        },
        raise_on_error=False,
    )
    assert not result.success
    materialized = {
        e.materialization.asset_key.to_user_string(): e.materialization.metadata
        for e in result.get_asset_materialization_events()
        if e.materialization is not None
    }
    executions = materialized["workflow_executions"]
    assert executions["cdf_projects"].value == "good"
    assert executions["cdf_projects_failed"].value == "locked"
    failure = next(e for e in result.all_events if e.is_step_failure)
    description = failure.step_failure_data.user_failure_data.description
    assert description.startswith("1 of 2 CDF projects failed: 'locked': ")
    assert "wrong" not in description
    with Warehouse(directory, read_only=True) as wh:
        stored = wh.connection.execute(
            "SELECT cdf_project, count(*) FROM workflow_executions GROUP BY ALL"
        ).fetchall()
    assert stored == [("good", executions["dagster/row_count"].value)]
