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

Each project becomes a :class:`~cdf_client.config.CdfConfig` through ``CdfConfig.from_env``, so
the same validation (https only, credentials complete, ...) applies as for the variables. The
retry budget (``CDF_MAX_ATTEMPTS``, ``CDF_MAX_RETRY_SECONDS``) comes from the environment for all
projects. Without ``CDF_PROJECTS_FILE`` the single project of ``CDF_URL``/``CDF_PROJECT``/
``IDP_*`` is loaded, as always.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cdf_client.config import CdfConfig
from cdf_client.errors import ConfigError

PROJECTS_FILE_VARIABLE = "CDF_PROJECTS_FILE"

# File key -> the Cognite variable it stands for (plain values).
_PLAIN = {
    "base_url": "CDF_URL",
    "cluster": "CDF_CLUSTER",
    "token_url": "IDP_TOKEN_URL",
    "tenant_id": "IDP_TENANT_ID",
    "client_id": "IDP_CLIENT_ID",
    "concurrency": "CDF_CONCURRENCY",
}
# File key naming an environment variable -> the Cognite variable its value stands for.
_FROM_ENV = {
    "client_id_env": "IDP_CLIENT_ID",
    "client_secret_env": "IDP_CLIENT_SECRET",
    "token_env": "CDF_TOKEN",
}
_SECRET_KEYS = {"client_secret", "token", "secret", "password", "cdf_token"}
# Shared by every project: the retry budget is a property of the run, not of a project.
_SHARED = ("CDF_MAX_ATTEMPTS", "CDF_MAX_RETRY_SECONDS")
_KNOWN = {*_PLAIN, *_FROM_ENV, "scopes"}


def projects_file(env: Mapping[str, str] | None = None) -> Path | None:
    env = os.environ if env is None else env
    text = env.get(PROJECTS_FILE_VARIABLE, "").strip()
    return Path(text).expanduser() if text else None


def load_projects(env: Mapping[str, str] | None = None) -> list[CdfConfig]:
    """The configured projects, in file order (or the single project of the environment)."""
    env = os.environ if env is None else env
    path = projects_file(env)
    if path is None:
        return [CdfConfig.from_env(env)]
    return read_projects_file(path, env)


def read_projects_file(path: Path, env: Mapping[str, str]) -> list[CdfConfig]:
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
        configs.append(_project_config(path, name, merged, env))
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
    path: Path, name: str, settings: dict[str, Any], env: Mapping[str, str]
) -> CdfConfig:
    values: dict[str, str] = {"CDF_PROJECT": name}
    for key, variable in _PLAIN.items():
        if key in settings:
            values[variable] = str(settings[key])
    for key, variable in _FROM_ENV.items():
        if key in settings:
            source = str(settings[key])
            value = env.get(source)
            if not value:
                raise ConfigError(
                    f"project {name!r}: the environment variable {source} ({key} in {path}) "
                    "is not set"
                )
            values[variable] = value
    scopes = settings.get("scopes")
    if scopes is not None:
        if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
            raise ConfigError(f"{path}: projects.{name}.scopes must be a list of strings")
        values["IDP_SCOPES"] = " ".join(scopes)
    for variable in _SHARED:
        if env.get(variable):
            values[variable] = env[variable]
    try:
        return CdfConfig.from_env(values)
    except ConfigError as exc:
        # from_env speaks of the Cognite variables; say which project and file they stand for.
        raise ConfigError(f"project {name!r} in {path}: {exc}") from None
