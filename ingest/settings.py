"""The typed settings layer: every environment variable the project reads, parsed in one place.

Each group is a ``pydantic-settings`` class whose fields carry the variable's name as alias:

* :class:`CdfSettings`: one CDF project (``CDF_URL``/``CDF_CLUSTER``, ``CDF_PROJECT``, ``IDP_*``,
  ``CDF_TOKEN``, the client's tuning ``CDF_CONCURRENCY``, ``CDF_MAX_ATTEMPTS``,
  ``CDF_MAX_RETRY_SECONDS``) and ``CDF_PROJECTS_FILE``; :meth:`CdfSettings.cdf_config` builds the
  :class:`~cdf_client.config.CdfConfig` the client takes. A project of the projects file
  (:mod:`ingest.projects`) is the same class filled from the file.
* :class:`WarehouseSettings`: ``WAREHOUSE_DIR``, ``WAREHOUSE_PARQUET_URI``,
  ``WAREHOUSE_DUCKDB_MEMORY``, ``SLA_TARGETS_FILE``.
* :class:`RunSettings`: the ingest's switch ``INGEST_REFETCH_OPEN``.
* :class:`AlertsSettings`: ``ALERTS_FILE``, ``CDF_UI_EXECUTION_URL``.

Values given when a class is built (the Dagster resources' fields, the CLI's ``demo``) win over
the environment, which wins over the defaults. An empty variable counts as unset. Errors are one
line naming the variable, raised as :class:`~cdf_client.errors.ConfigError`; secrets are
``SecretStr`` and never appear in a message or a ``repr``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Self

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from cdf_client.config import CdfConfig
from cdf_client.errors import ConfigError

# The repository root when installed in editable mode (the way `make install` installs).
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WAREHOUSE_DIR = REPO_ROOT / "data" / "warehouse"
DEFAULT_SLA_TARGETS_FILE = REPO_ROOT / "config" / "sla_targets.csv"
PROJECTS_FILE_VARIABLE = "CDF_PROJECTS_FILE"
REFETCH_OPEN_VARIABLE = "INGEST_REFETCH_OPEN"
_BOOLEAN_WORDS = {"0": False, "false": False, "no": False, "1": True, "true": True, "yes": True}
_SECRETS = {"client_secret", "token"}


def _variable(name: str, default: Any = None) -> Any:
    """A field read from the variable ``name``; also settable by its field name."""
    return Field(default=default, validation_alias=AliasChoices(name))


class _Settings(BaseSettings):
    model_config = SettingsConfigDict(
        case_sensitive=True,
        env_ignore_empty=True,
        extra="ignore",
        populate_by_name=True,
        frozen=True,
    )

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, **given: Any) -> Self:
        """The settings from ``env`` (default: the process environment); ``given`` values
        (by field name, None meaning not given) win over it."""
        given = {key: value for key, value in given.items() if value is not None}
        try:
            if env is None:
                return cls(**given)
            return cls.model_validate({**cls._from_mapping(env), **given})
        except ValidationError as exc:
            raise ConfigError(_message(exc)) from None

    @classmethod
    def _from_mapping(cls, env: Mapping[str, str]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, field in cls.model_fields.items():
            alias = field.validation_alias
            variable = alias.choices[0] if isinstance(alias, AliasChoices) else None
            if isinstance(variable, str) and env.get(variable):
                values[name] = env[variable]
        return values

    @classmethod
    def variable(cls, field: str) -> str:
        """The environment variable behind ``field``."""
        alias = cls.model_fields[field].validation_alias
        assert isinstance(alias, AliasChoices)
        return str(alias.choices[0])

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any, info: ValidationInfo) -> Any:
        # Secrets are taken as given; every other text is trimmed, and blank means unset.
        if isinstance(value, str) and info.field_name not in _SECRETS:
            return value.strip() or None
        return value


def _message(exc: ValidationError) -> str:
    """The first error as one line: our own validators' message, else the variable's name."""
    error = exc.errors(include_url=False, include_input=False)[0]
    cause = error.get("ctx", {}).get("error")
    if isinstance(cause, ValueError):
        return str(cause)
    where = ".".join(str(part) for part in error["loc"]) or exc.title
    return f"{where}: {error['msg']}"


def _number(kind: type, variable: str, value: Any) -> Any:
    if value is None or (isinstance(value, kind) and not isinstance(value, bool)):
        return value
    try:
        return kind(str(value).strip())
    except ValueError:
        noun = "an integer" if kind is int else "a number"
        raise ValueError(f"{variable} must be {noun}, got {str(value)!r}") from None


class CdfSettings(_Settings):
    """One CDF project's connection: OAuth2 client credentials or a static ``token``."""

    base_url: str | None = _variable("CDF_URL")
    cluster: str | None = _variable("CDF_CLUSTER")
    project: str | None = _variable("CDF_PROJECT")
    token_url: str | None = _variable("IDP_TOKEN_URL")
    tenant_id: str | None = _variable("IDP_TENANT_ID")
    client_id: str | None = _variable("IDP_CLIENT_ID")
    client_secret: SecretStr | None = _variable("IDP_CLIENT_SECRET")
    # Space-separated in the variable, a list in the projects file.
    scopes: tuple[str, ...] | None = _variable("IDP_SCOPES")
    token: SecretStr | None = _variable("CDF_TOKEN")
    concurrency: int | None = _variable("CDF_CONCURRENCY")
    max_attempts: int | None = _variable("CDF_MAX_ATTEMPTS")
    max_retry_seconds: float | None = _variable("CDF_MAX_RETRY_SECONDS")
    projects_file: Path | None = _variable(PROJECTS_FILE_VARIABLE)

    @field_validator("scopes", mode="before")
    @classmethod
    def _split_scopes(cls, value: Any) -> Any:
        return tuple(value.split()) if isinstance(value, str) else value

    @field_validator("concurrency", "max_attempts", mode="before")
    @classmethod
    def _integer(cls, value: Any, info: ValidationInfo) -> Any:
        return _number(int, cls.variable(str(info.field_name)), value)

    @field_validator("max_retry_seconds", mode="before")
    @classmethod
    def _seconds(cls, value: Any) -> Any:
        return _number(float, "CDF_MAX_RETRY_SECONDS", value)

    @field_validator("projects_file", mode="after")
    @classmethod
    def _expand(cls, value: Path | None) -> Path | None:
        return _expanded(value)

    def cdf_config(self) -> CdfConfig:
        """The client's configuration; its own checks (https, complete credentials, ranges)
        raise :class:`ConfigError` naming the variables."""
        base_url = self.base_url
        if not base_url:
            if not self.cluster:
                raise ConfigError(
                    "set CDF_URL (e.g. https://westeurope-1.cognitedata.com) "
                    "or CDF_CLUSTER (e.g. westeurope-1)"
                )
            base_url = f"https://{self.cluster}.cognitedata.com"
        base_url = base_url.rstrip("/")
        token_url = self.token_url
        if token_url is None and self.tenant_id:
            token_url = f"https://login.microsoftonline.com/{self.tenant_id}/oauth2/v2.0/token"
        tuning = {
            key: value
            for key, value in (
                ("concurrency", self.concurrency),
                ("max_attempts", self.max_attempts),
                ("max_retry_seconds", self.max_retry_seconds),
            )
            if value is not None
        }
        return CdfConfig(
            base_url=base_url,
            project=self.project or "",
            token_url=token_url,
            client_id=self.client_id,
            client_secret=_reveal(self.client_secret),
            scopes=self.scopes or (f"{base_url}/.default",),
            token=_reveal(self.token),
            **tuning,  # type: ignore[arg-type]
        )


def _expanded(value: Path | None) -> Path | None:
    return None if value is None else value.expanduser()


def _reveal(secret: SecretStr | None) -> str | None:
    return None if secret is None else secret.get_secret_value() or None


# The sizes DuckDB's `memory_limit` takes: a number and a unit (1000- or 1024-based), or a %.
_MEMORY_SIZE = re.compile(r"\s*\d+(\.\d+)?\s*([KMGT]i?B?|B|bytes|%)\s*", re.IGNORECASE)


class WarehouseSettings(_Settings):
    """Where the warehouse lives and how much memory DuckDB may take."""

    directory: Path | None = _variable("WAREHOUSE_DIR")
    # ``s3://bucket/prefix`` when the Parquet tree lives on object storage; None keeps it under
    # the directory.
    parquet_uri: str | None = _variable("WAREHOUSE_PARQUET_URI")
    # An operator's DuckDB memory cap (e.g. ``4GB``) for every connection; None leaves each
    # caller's default (see :mod:`warehouse.store`).
    duckdb_memory: str | None = _variable("WAREHOUSE_DUCKDB_MEMORY")
    # Unset: the file the repository ships.
    sla_targets_file: Path = _variable("SLA_TARGETS_FILE", DEFAULT_SLA_TARGETS_FILE)

    @field_validator("sla_targets_file", mode="after")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator("duckdb_memory", mode="after")
    @classmethod
    def _memory(cls, value: str | None) -> str | None:
        # DuckDB would only say "Memory must have a number" when the first connection opens.
        if value is not None and not _MEMORY_SIZE.fullmatch(value):
            raise ValueError(
                "WAREHOUSE_DUCKDB_MEMORY must be a size such as 4GB, 512MB or 2GiB (or a share "
                f"of the machine's memory such as 50%), got {value!r}"
            )
        return value

    @property
    def path(self) -> Path:
        if self.directory is None:
            return DEFAULT_WAREHOUSE_DIR
        return self.directory.expanduser().resolve()

    def memory_limit(self, default: str | None = None) -> str | None:
        """The operator's cap when set, else ``default`` (None: DuckDB's own)."""
        return self.duckdb_memory or default


class RunSettings(_Settings):
    """Switches of the nightly ingest."""

    # Re-fetch still-running executions on every run (see ingest.executions).
    refetch_open: bool = Field(default=False, validation_alias=AliasChoices(REFETCH_OPEN_VARIABLE))

    @field_validator("refetch_open", mode="before")
    @classmethod
    def _boolean(cls, value: Any) -> Any:
        if value is None:
            return False
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if word not in _BOOLEAN_WORDS:
            raise ValueError(
                f"{REFETCH_OPEN_VARIABLE} must be one of 1, 0, true, false, yes, no; got {word!r}"
            )
        return _BOOLEAN_WORDS[word]


class AlertsSettings(_Settings):
    """Where the alert routes are and how a message links to an execution."""

    # None: the file the repository ships (see alerts.config).
    alerts_file: Path | None = _variable("ALERTS_FILE")
    ui_execution_url: str | None = _variable("CDF_UI_EXECUTION_URL")

    @field_validator("alerts_file", mode="after")
    @classmethod
    def _expand(cls, value: Path | None) -> Path | None:
        return _expanded(value)


def warehouse_dir(env: Mapping[str, str] | None = None) -> Path:
    """``WAREHOUSE_DIR``, else the default inside the repository."""
    return WarehouseSettings.load(env).path


def parquet_uri(env: Mapping[str, str] | None = None) -> str | None:
    """``WAREHOUSE_PARQUET_URI`` when the Parquet tree lives on object storage, else None."""
    return WarehouseSettings.load(env).parquet_uri
