"""The alert routing file that analysts edit next to ``config/sla_targets.csv``.

``config/alerts.toml`` by default, or ``$ALERTS_FILE`` (read by the settings layer,
:class:`ingest.settings.AlertsSettings`, and passed in). Destinations name the environment
variables that hold their URLs and tokens; the file itself never holds a secret, and a URL or
token written into it is refused. See docs/analytics.md ("Alerts") for the format.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.settings import REPO_ROOT
from warehouse.quality import (
    END_BEFORE_START,
    FLAGS,
    OVER_METADATA_LIMIT,
    OVER_TASK_LIMIT,
    PAYLOAD_OVER_LIMIT,
    TASK_AFTER_EXECUTION_END,
)

DEFAULT_ALERTS_FILE = REPO_ROOT / "config" / "alerts.toml"

EVENT_KINDS = (
    "duration",
    "deadline",
    "missed_run",
    "failed_fire",
    "failed_run",
    "stuck",
    "source_anomaly",
)
# The quality flags that count for a source_anomaly event unless the file names others: records
# over CDF's documented limits and clocks that contradict the run. Left out: start_before_created
# (CDF's services do not share a clock; a few ms is normal on live projects) and parent_inferred
# (CDF often sends dynamic children without their parent), which would page every night.
DEFAULT_ANOMALY_FLAGS = (
    OVER_TASK_LIMIT,
    OVER_METADATA_LIMIT,
    PAYLOAD_OVER_LIMIT,
    END_BEFORE_START,
    TASK_AFTER_EXECUTION_END,
)
DESTINATION_TYPES = ("webhook", "slack")
_SECRET_KEYS = {"url", "webhook_url", "token", "secret", "password"}


class AlertsConfigError(ValueError):
    """The alerts file is not valid; the message names the file and the problem."""


@dataclass(frozen=True)
class Destination:
    name: str
    type: str  # webhook | slack
    url_env: str  # the variable holding the URL (a secret: Slack's URL is the credential)
    token_env: str | None = None  # optional bearer token for a webhook
    digest: bool = False  # one message per run with every event for this destination


@dataclass(frozen=True)
class Route:
    destinations: tuple[str, ...]
    cdf_projects: tuple[str, ...] = ("*",)
    workflows: tuple[str, ...] = ("*",)
    kinds: tuple[str, ...] = EVENT_KINDS
    owners: tuple[str, ...] = ()
    # The matching events go into their destinations' digest (one message per run), even for
    # a destination that otherwise sends one message per event.
    digest: bool = False


@dataclass(frozen=True)
class AlertsConfig:
    routes: tuple[Route, ...] = ()
    destinations: Mapping[str, Destination] = field(default_factory=dict)
    # Events older than this when first found are history: not sent unless include_history.
    lookback_hours: float = 48.0
    include_history: bool = False
    # How long a failed send is retried (from its first attempt); an event still failing after
    # that, or gone from the views (a stuck run that finished), is dropped.
    retry_days: float = 7.0
    # A project's rejected records on one day (per workflow) that make a source anomaly event.
    anomaly_min_rejected: int = 1
    # Executions stored with one of these quality flags, per project, workflow and UTC day of
    # their creation, that make a source anomaly event (an empty list: none).
    anomaly_flags: tuple[str, ...] = DEFAULT_ANOMALY_FLAGS
    anomaly_min_flagged: int = 1
    # A clock-skew flag counts only from this skew on: a few ms between CDF's services is normal.
    anomaly_min_skew_ms: int = 1000
    ui_execution_url: str | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.routes)


def _strings(value: Any, where: str, default: tuple[str, ...]) -> tuple[str, ...]:
    if value is None:
        return default
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise AlertsConfigError(f"{where}: expected a list of non-empty strings")
    return tuple(value)


def _destination(name: str, raw: Any, where: str) -> Destination:
    if not isinstance(raw, dict):
        raise AlertsConfigError(f"{where}: expected a table")
    secret = _SECRET_KEYS & set(raw)
    if secret:
        raise AlertsConfigError(
            f"{where}: {', '.join(sorted(secret))} must not be written in the file; put the "
            "value in an environment variable and name it with url_env / token_env"
        )
    unknown = set(raw) - {"type", "url_env", "token_env", "digest"}
    if unknown:
        raise AlertsConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    kind = raw.get("type")
    if kind not in DESTINATION_TYPES:
        raise AlertsConfigError(f"{where}: type must be one of {', '.join(DESTINATION_TYPES)}")
    url_env = raw.get("url_env")
    if not isinstance(url_env, str) or not url_env.strip():
        raise AlertsConfigError(f"{where}: url_env must name an environment variable")
    token_env = raw.get("token_env")
    if token_env is not None and (not isinstance(token_env, str) or not token_env.strip()):
        raise AlertsConfigError(f"{where}: token_env must name an environment variable")
    digest = raw.get("digest", False)
    if not isinstance(digest, bool):
        raise AlertsConfigError(f"{where}: digest must be true or false")
    return Destination(name, kind, url_env.strip(), token_env and token_env.strip(), digest)


def _route(raw: Any, where: str, destinations: Mapping[str, Destination]) -> Route:
    if not isinstance(raw, dict):
        raise AlertsConfigError(f"{where}: expected a table")
    unknown = set(raw) - {"cdf_project", "workflows", "kinds", "owners", "destinations", "digest"}
    if unknown:
        raise AlertsConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    names = _strings(raw.get("destinations"), f"{where}.destinations", ())
    if not names:
        raise AlertsConfigError(f"{where}: name at least one destination")
    missing = [n for n in names if n not in destinations]
    if missing:
        raise AlertsConfigError(f"{where}: unknown destination(s) {', '.join(missing)}")
    kinds = _strings(raw.get("kinds"), f"{where}.kinds", EVENT_KINDS)
    bad = [k for k in kinds if k not in EVENT_KINDS]
    if bad:
        raise AlertsConfigError(
            f"{where}: unknown kind(s) {', '.join(bad)}; known: {', '.join(EVENT_KINDS)}"
        )
    digest = raw.get("digest", False)
    if not isinstance(digest, bool):
        raise AlertsConfigError(f"{where}: digest must be true or false")
    return Route(
        digest=digest,
        destinations=names,
        cdf_projects=_strings(raw.get("cdf_project"), f"{where}.cdf_project", ("*",)),
        workflows=_strings(raw.get("workflows"), f"{where}.workflows", ("*",)),
        kinds=kinds,
        owners=_strings(raw.get("owners"), f"{where}.owners", ()),
    )


def _anomaly_flags(value: Any, where: str) -> tuple[str, ...]:
    """The quality flags that make source anomaly events: known names, an empty list for none."""
    if value is None:
        return DEFAULT_ANOMALY_FLAGS
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise AlertsConfigError(f"{where}: anomaly_flags must be a list of flag names")
    bad = [v for v in value if v not in FLAGS]
    if bad:
        raise AlertsConfigError(
            f"{where}: unknown anomaly flag(s) {', '.join(bad)}; known: {', '.join(FLAGS)}"
        )
    return tuple(dict.fromkeys(value))


def parse_alerts_config(
    data: Mapping[str, Any], where: str, ui_execution_url: str | None = None
) -> AlertsConfig:
    """Validate the file's contents (already parsed TOML). ``ui_execution_url``: the template of
    the link to an execution in CDF's UI (``CDF_UI_EXECUTION_URL``), e.g.
    ``https://fusion.cognite.com/{project}/...{execution_id}``; no link when None."""
    settings = data.get("settings", {})
    if not isinstance(settings, dict):
        raise AlertsConfigError(f"{where}: [settings] must be a table")
    known = {
        "lookback_hours",
        "include_history",
        "anomaly_min_rejected",
        "anomaly_flags",
        "anomaly_min_flagged",
        "anomaly_min_skew_ms",
        "retry_days",
    }
    unknown = set(settings) - known
    if unknown:
        raise AlertsConfigError(f"{where}: unknown setting(s) {', '.join(sorted(unknown))}")
    lookback = settings.get("lookback_hours", 48)
    if isinstance(lookback, bool) or not isinstance(lookback, int | float) or lookback <= 0:
        raise AlertsConfigError(f"{where}: lookback_hours must be a positive number")
    retry_days = settings.get("retry_days", 7)
    if isinstance(retry_days, bool) or not isinstance(retry_days, int | float) or retry_days < 0:
        raise AlertsConfigError(f"{where}: retry_days must be a number >= 0")
    history = settings.get("include_history", False)
    if not isinstance(history, bool):
        raise AlertsConfigError(f"{where}: include_history must be true or false")
    threshold = settings.get("anomaly_min_rejected", 1)
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1:
        raise AlertsConfigError(f"{where}: anomaly_min_rejected must be a whole number >= 1")
    flags = _anomaly_flags(settings.get("anomaly_flags"), where)
    min_flagged = settings.get("anomaly_min_flagged", 1)
    if isinstance(min_flagged, bool) or not isinstance(min_flagged, int) or min_flagged < 1:
        raise AlertsConfigError(f"{where}: anomaly_min_flagged must be a whole number >= 1")
    min_skew = settings.get("anomaly_min_skew_ms", 1000)
    if isinstance(min_skew, bool) or not isinstance(min_skew, int) or min_skew < 0:
        raise AlertsConfigError(f"{where}: anomaly_min_skew_ms must be a whole number >= 0")
    raw_destinations = data.get("destinations", {})
    if not isinstance(raw_destinations, dict):
        raise AlertsConfigError(f"{where}: [destinations] must be a table of tables")
    destinations = {
        name: _destination(name, raw, f"{where}: destinations.{name}")
        for name, raw in raw_destinations.items()
    }
    raw_routes = data.get("routes", [])
    if not isinstance(raw_routes, list):
        raise AlertsConfigError(f"{where}: routes must be an array of tables ([[routes]])")
    routes = tuple(
        _route(raw, f"{where}: routes[{i}]", destinations) for i, raw in enumerate(raw_routes)
    )
    unknown = set(data) - {"settings", "destinations", "routes"}
    if unknown:
        raise AlertsConfigError(f"{where}: unknown section(s) {', '.join(sorted(unknown))}")
    return AlertsConfig(
        routes=routes,
        destinations=destinations,
        lookback_hours=float(lookback),
        include_history=history,
        retry_days=float(retry_days),
        anomaly_min_rejected=threshold,
        anomaly_flags=flags,
        anomaly_min_flagged=min_flagged,
        anomaly_min_skew_ms=min_skew,
        ui_execution_url=ui_execution_url,
    )


def read_alerts_config(
    path: Path | None = None, *, ui_execution_url: str | None = None
) -> AlertsConfig:
    """Read and validate the alerts file at ``path`` (``$ALERTS_FILE``), else the one the
    repository ships. A missing default file means no alerts; a missing named file is an
    error."""
    target = DEFAULT_ALERTS_FILE if path is None else Path(path)
    if not target.exists() and path is None:
        return AlertsConfig(ui_execution_url=ui_execution_url)
    try:
        data = tomllib.loads(target.read_text(encoding="utf-8"))
    except OSError as exc:
        raise AlertsConfigError(f"cannot read alerts file {target}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise AlertsConfigError(f"{target}: not valid TOML: {exc}") from None
    return parse_alerts_config(data, str(target), ui_execution_url)
