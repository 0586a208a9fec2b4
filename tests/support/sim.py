"""A small deterministic simulated CDF project and a CDF configuration pointing at it."""

from __future__ import annotations

from datetime import UTC, datetime

from cdf_client.config import CdfConfig
from cdf_simulator import FaultConfig, SimulatorConfig

# A fixed simulated "now" a few weeks before the real date, so the worlds are reproducible and
# no simulated time lies in the real future (the warehouse checks look for that).
SIM_NOW_MS = int(datetime(2026, 10, 1, 12, 0, tzinfo=UTC).timestamp() * 1000)


HOUR_MS = 3_600_000


def small_sim_config(**overrides: object) -> SimulatorConfig:
    """About 870 executions over 20 days: enough for paging and every task type, quick to ingest."""
    values: dict[str, object] = {
        "seed": 7,
        "project": "test-project",
        "workflows": 8,
        "executions_per_day": 11.0,
        "history_days": 20,
        "now_ms": SIM_NOW_MS,
        "faults": FaultConfig(),
    }
    values.update(overrides)
    return SimulatorConfig(**values)  # type: ignore[arg-type]


def cdf_config_for(base_url: str, project: str = "test-project", **overrides: object) -> CdfConfig:
    values: dict[str, object] = {
        "base_url": base_url,
        "project": project,
        "token_url": f"{base_url}/oauth2/token",
        "client_id": "test-client",
        "client_secret": "test-secret-value",
        "scopes": (f"{base_url}/.default",),
        # Tests keep backoff short; the policy itself is the same as in production.
        "max_backoff_seconds": 0.2,
        "max_retry_seconds": 30.0,
    }
    values.update(overrides)
    return CdfConfig(**values)  # type: ignore[arg-type]
