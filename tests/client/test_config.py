"""Configuration from the Cognite environment variables (through the settings layer into the
client's CdfConfig): defaults and one-line errors."""

from __future__ import annotations

import pytest

from cdf_client.config import CdfConfig
from cdf_client.errors import ConfigError
from ingest.settings import CdfSettings


def _config(env: dict[str, str]) -> CdfConfig:
    return CdfSettings.load(env).cdf_config()


BASE_ENV = {
    "CDF_CLUSTER": "westeurope-1",
    "CDF_PROJECT": "acme",
    "IDP_TOKEN_URL": "https://login.example.com/token",
    "IDP_CLIENT_ID": "client",
    "IDP_CLIENT_SECRET": "s3cret-value",
}


def test_cluster_gives_base_url_and_default_scope() -> None:
    config = _config(BASE_ENV)
    assert config.base_url == "https://westeurope-1.cognitedata.com"
    assert config.scopes == ("https://westeurope-1.cognitedata.com/.default",)
    assert config.api_root == "https://westeurope-1.cognitedata.com/api/v1/projects/acme"


def test_cdf_url_wins_over_cluster_and_scopes_split_on_spaces() -> None:
    env = {**BASE_ENV, "CDF_URL": "https://api.example.com/", "IDP_SCOPES": "a b"}
    config = _config(env)
    assert config.base_url == "https://api.example.com"
    assert config.scopes == ("a", "b")


def test_tenant_id_gives_entra_token_url() -> None:
    env = {k: v for k, v in BASE_ENV.items() if k != "IDP_TOKEN_URL"} | {"IDP_TENANT_ID": "t1"}
    config = _config(env)
    assert config.token_url == "https://login.microsoftonline.com/t1/oauth2/v2.0/token"


def test_static_token_needs_no_client_credentials() -> None:
    env = {"CDF_URL": "https://x.cognitedata.com", "CDF_PROJECT": "p", "CDF_TOKEN": "tok"}
    assert _config(env).token == "tok"


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({k: v for k, v in BASE_ENV.items() if k != "CDF_CLUSTER"}, ["CDF_URL", "CDF_CLUSTER"]),
        ({k: v for k, v in BASE_ENV.items() if k != "CDF_PROJECT"}, ["CDF_PROJECT"]),
        ({k: v for k, v in BASE_ENV.items() if k != "IDP_CLIENT_SECRET"}, ["IDP_CLIENT_SECRET"]),
        ({**BASE_ENV, "CDF_URL": "ftp://x"}, ["CDF_URL"]),
        ({**BASE_ENV, "CDF_URL": "http://westeurope-1.cognitedata.com"}, ["plain http"]),
        ({**BASE_ENV, "CDF_CONCURRENCY": "lots"}, ["CDF_CONCURRENCY"]),
    ],
)
def test_bad_configuration_is_one_line_naming_the_fix(
    env: dict[str, str], names: list[str]
) -> None:
    with pytest.raises(ConfigError) as info:
        _config(env)
    message = str(info.value)
    assert "\n" not in message
    for name in names:
        assert name in message
    assert "s3cret-value" not in message


def test_plain_http_allowed_for_loopback_only() -> None:
    env = {**BASE_ENV, "CDF_URL": "http://127.0.0.1:8765"}
    assert _config(env).base_url == "http://127.0.0.1:8765"


def test_secret_not_in_repr() -> None:
    config = _config({**BASE_ENV, "CDF_TOKEN": "tok-value"})
    assert "s3cret-value" not in repr(config)
    assert "tok-value" not in repr(config)
