"""Which CDF projects to load: one TOML file (``CDF_PROJECTS_FILE``) or the single project of the
Cognite environment variables.

The file names each project's connection settings and the NAMES of the environment variables
holding its secrets, never the secrets themselves::

    [defaults]                       # optional, applies to every project
    cluster = "westeurope-1"
    tenant_id = "0000-..."           # Entra ID tenant: gives the token URL

    [projects.acme-prod]             # the table name is the CDF project
    client_id = "5f0c..."            # not a secret
    client_secret_env = "ACME_PROD_CLIENT_SECRET"

    [projects.acme-dev]
    base_url = "https://api.cognitedata.com"
    token_url = "https://idp.example.com/oauth2/token"
    client_id_env = "ACME_DEV_CLIENT_ID"
    client_secret_env = "ACME_DEV_CLIENT_SECRET"
    scopes = ["https://api.cognitedata.com/.default"]
    concurrency = 8

Each project fills the same typed settings as the variables
(:class:`~ingest.settings.CdfSettings`), so the same validation (https only, credentials
complete, ...) applies to both. The retry budget (``CDF_MAX_ATTEMPTS``,
``CDF_MAX_RETRY_SECONDS``) comes from the environment for all projects. Without
``CDF_PROJECTS_FILE`` the single project of ``CDF_URL``/``CDF_PROJECT``/``IDP_*`` is loaded, as
always.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cdf_client.config import CdfConfig
from cdf_client.errors import ConfigError
from ingest.settings import PROJECTS_FILE_VARIABLE, CdfSettings

# File keys holding plain values: the CdfSettings field of the same name.
_PLAIN = ("base_url", "cluster", "token_url", "tenant_id", "client_id", "concurrency", "scopes")
# File key naming an environment variable -> the CdfSettings field its value fills.
_FROM_ENV = {
    "client_id_env": "client_id",
    "client_secret_env": "client_secret",
    "token_env": "token",
}
_SECRET_KEYS = {"client_secret", "token", "secret", "password", "cdf_token"}
_KNOWN = {*_PLAIN, *_FROM_ENV}


def load_projects(env: Mapping[str, str] | None = None) -> list[CdfConfig]:
    """The configured projects, in file order (or the single project of the environment)."""
    settings = CdfSettings.load(env)
    if settings.projects_file is None:
        return [settings.cdf_config()]
    return read_projects_file(settings.projects_file, settings, env)


def read_projects_file(
    path: Path, shared: CdfSettings, env: Mapping[str, str] | None = None
) -> list[CdfConfig]:
    """The projects of the file at ``path``; ``shared`` gives the retry budget for all of them,
    ``env`` the variables the file names for secrets (default: the process environment)."""
    env = os.environ if env is None else env
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{PROJECTS_FILE_VARIABLE}: cannot read {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    unknown = set(document) - {"defaults", "projects"}
    if unknown:
        raise ConfigError(f"{path}: unknown top-level keys {sorted(unknown)}")
    defaults = document.get("defaults", {})
    projects = document.get("projects", {})
    if not isinstance(defaults, dict) or not isinstance(projects, dict) or not projects:
        raise ConfigError(f"{path}: name at least one project as a [projects.<name>] table")
    _check_keys(path, "defaults", defaults)
    configs = []
    for name, settings in projects.items():
        if not isinstance(settings, dict):
            raise ConfigError(f"{path}: projects.{name} must be a table")
        _check_keys(path, f"projects.{name}", settings)
        merged = {**defaults, **settings}
        configs.append(_project_config(path, name, merged, shared, env))
    return configs


def _check_keys(path: Path, where: str, settings: dict[str, Any]) -> None:
    secrets = _SECRET_KEYS & set(settings)
    if secrets:
        key = sorted(secrets)[0]
        instead = "token_env" if key in ("token", "cdf_token") else "client_secret_env"
        raise ConfigError(
            f"{path}: {where}.{key}: secrets never go in this file; put the secret in an "
            f"environment variable and give its name as {instead}"
        )
    unknown = set(settings) - _KNOWN
    if unknown:
        raise ConfigError(f"{path}: {where}: unknown keys {sorted(unknown)}")


def _project_config(
    path: Path,
    name: str,
    settings: dict[str, Any],
    shared: CdfSettings,
    env: Mapping[str, str],
) -> CdfConfig:
    values: dict[str, Any] = {key: settings[key] for key in _PLAIN if key in settings}
    for key, field in _FROM_ENV.items():
        if key in settings:
            source = str(settings[key])
            value = env.get(source)
            if not value:
                raise ConfigError(
                    f"project {name!r}: the environment variable {source} ({key} in {path}) "
                    "is not set"
                )
            values[field] = value
    scopes = values.get("scopes")
    if scopes is not None and (
        not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes)
    ):
        raise ConfigError(f"{path}: projects.{name}.scopes must be a list of strings")
    if "concurrency" in values:
        values["concurrency"] = str(values["concurrency"])
    try:
        project = CdfSettings.load(
            {},
            project=name,
            max_attempts=shared.max_attempts,
            max_retry_seconds=shared.max_retry_seconds,
            **values,
        )
        return project.cdf_config()
    except ConfigError as exc:
        # The checks speak of the Cognite variables; say which project and file they stand for.
        raise ConfigError(f"project {name!r} in {path}: {exc}") from None
