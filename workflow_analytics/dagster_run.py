"""Materialise the nightly selection in-process: what `workflow-analytics ingest` runs.

The command line and the schedule are one code path: both execute the `nightly_ingest` job
of `pipelines.definitions`. With ``DAGSTER_HOME`` set, the run is recorded in that Dagster
instance (and shows in the UI); otherwise an ephemeral instance is used (in memory, nothing
written, no telemetry). A ``DAGSTER_HOME`` without a ``dagster.yaml`` gets the repository's
(telemetry off, the writer pool limited to 1) before the first run, so Dagster's first-run
notices stay out of the command's output.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg

from warehouse.errors import first_line

# The instance settings the repository ships; a wheel installed without the repository falls
# back to the part that keeps the command line's output clean.
INSTANCE_YAML = Path(__file__).resolve().parent.parent / "dagster.yaml"
_FALLBACK_YAML = "telemetry:\n  enabled: false\nconcurrency:\n  pools:\n    default_limit: 1\n"


@dataclass
class JobOutcome:
    success: bool
    error: str | None = None
    metadata: dict[str, dict[str, Any]] = field(default_factory=dict)
    failed_checks: list[str] = field(default_factory=list)
    # One line per failed WARN check (what the source sent, operational alarms): the run
    # still succeeds.
    warnings: list[str] = field(default_factory=list)
    # Wall seconds of each step, from its start event to its end event (Dagster's step keys).
    step_seconds: dict[str, float] = field(default_factory=dict)
    # When each step started (epoch seconds, Dagster's step keys).
    step_started_at: dict[str, float] = field(default_factory=dict)


def _plain(value: Any) -> Any:
    return getattr(value, "value", value)


def _error_line(result: dg.ExecuteInProcessResult) -> str:
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data is not None:
            error = event.step_failure_data.error
            user = getattr(event.step_failure_data, "user_failure_data", None)
            if user is not None and user.description:
                return str(user.description)
            if error is not None:
                # The innermost cause is the one the user can act on.
                while error.cause is not None:
                    error = error.cause
                # Its first line names the error; later lines are advice (DuckDB adds several).
                return first_line(error.message, error.cls_name or "error")
    return "the nightly ingest job failed (see the Dagster logs)"


def cli_instance() -> dg.DagsterInstance:
    """The command line's Dagster instance: ``DAGSTER_HOME``'s when set, else ephemeral."""
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        return dg.DagsterInstance.ephemeral()
    config = Path(home) / "dagster.yaml"
    if not config.exists():
        config.parent.mkdir(parents=True, exist_ok=True)
        text = INSTANCE_YAML.read_text() if INSTANCE_YAML.exists() else _FALLBACK_YAML
        config.write_text(text)
    return dg.DagsterInstance.get()


_STEP_EVENTS = {
    dg.DagsterEventType.STEP_START,
    dg.DagsterEventType.STEP_SUCCESS,
    dg.DagsterEventType.STEP_FAILURE,
}


def _step_times(instance: dg.DagsterInstance, run_id: str, outcome: JobOutcome) -> None:
    started = outcome.step_started_at
    for entry in instance.all_logs(run_id, of_type=_STEP_EVENTS):
        key = entry.step_key
        if key is None or entry.dagster_event is None:
            continue
        if entry.dagster_event.event_type == dg.DagsterEventType.STEP_START:
            started[key] = entry.timestamp
        elif key in started:
            outcome.step_seconds[key] = entry.timestamp - started[key]


# Dagster's console logger only for critical events: the command line prints its own progress,
# summary and one-line error (a step failure would otherwise print its whole stack on stderr).
QUIET_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def _run_config(*, verbose: bool, full_refresh: bool) -> dict[str, Any] | None:
    config: dict[str, Any] = {} if verbose else dict(QUIET_RUN_CONFIG)
    if full_refresh:
        config["ops"] = {"analytics_views": {"config": {"full_refresh": True}}}
    return config or None


def run_nightly_job(
    *,
    verbose: bool = False,
    step_retries: bool = True,
    access_checked: bool = False,
    full_refresh: bool = False,
    resources: Mapping[str, object] | None = None,
) -> JobOutcome:
    """Run the nightly job in-process; ``step_retries=False`` fails at once when CDF stays down
    past the client's retry budget instead of retrying the step minutes later;
    ``access_checked``: the caller has just checked access to the (single) CDF project;
    ``full_refresh``: rebuild the incremental analytics tables whole;
    ``resources``: resources to use instead of the code location's (``cdf``, ``warehouse``)."""
    from assets.common import ACCESS_CHECKED_TAG, STEP_RETRIES_TAG
    from pipelines.definitions import defs

    job = defs.resolve_job_def("nightly_ingest")
    with cli_instance() as instance:
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            resources=resources,
            run_config=_run_config(verbose=verbose, full_refresh=full_refresh),
            tags={
                **({} if step_retries else {STEP_RETRIES_TAG: "false"}),
                **({ACCESS_CHECKED_TAG: "true"} if access_checked else {}),
            }
            or None,
        )
        outcome = JobOutcome(success=result.success)
        for event in result.get_asset_materialization_events():
            mat = event.materialization
            if mat is not None:
                outcome.metadata[mat.asset_key.to_user_string()] = {
                    k: _plain(v) for k, v in mat.metadata.items()
                }
        _step_times(instance, result.run_id, outcome)
        for event in result.get_asset_check_evaluations():
            if event.passed:
                continue
            if event.severity == dg.AssetCheckSeverity.WARN:
                meta = {k: _plain(v) for k, v in event.metadata.items()}
                summary = meta.get("summary") or ", ".join(
                    f"{k} {v}" for k, v in meta.items() if isinstance(v, int | float | str)
                )
                outcome.warnings.append(f"{event.check_name}: {summary or 'failed'}")
            else:
                outcome.failed_checks.append(event.check_name)
        outcome.warnings.sort()
        if not result.success:
            outcome.error = _error_line(result)
            if outcome.failed_checks:
                outcome.error = "asset checks failed: " + ", ".join(outcome.failed_checks)
        return outcome
