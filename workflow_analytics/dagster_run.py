"""Materialise the nightly selection in-process: what `workflow-analytics ingest` runs.

The command line and the schedule are one code path: both execute the `nightly_ingest` job
of `pipelines.definitions`. With ``DAGSTER_HOME`` set, the run is recorded in that Dagster
instance (and shows in the UI); otherwise an ephemeral instance is used.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import dagster as dg


@dataclass
class JobOutcome:
    success: bool
    error: str | None = None
    metadata: dict[str, dict[str, Any]] = field(default_factory=dict)
    failed_checks: list[str] = field(default_factory=list)
    # One line per failed WARN check (what the source sent, operational alarms): the run
    # still succeeds.
    warnings: list[str] = field(default_factory=list)


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
                return error.message.strip().splitlines()[0]
    return "the nightly ingest job failed (see the Dagster logs)"


# Dagster's console logger only for critical events: the command line prints its own progress,
# summary and one-line error (a step failure would otherwise print its whole stack on stderr).
QUIET_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def run_nightly_job(*, verbose: bool = False, step_retries: bool = True) -> JobOutcome:
    """Run the nightly job in-process; ``step_retries=False`` fails at once when CDF stays down
    past the client's retry budget instead of retrying the step minutes later."""
    from assets.common import STEP_RETRIES_TAG
    from pipelines.definitions import defs

    job = defs.resolve_job_def("nightly_ingest")
    instance = (
        dg.DagsterInstance.get()
        if os.environ.get("DAGSTER_HOME")
        else dg.DagsterInstance.ephemeral()
    )
    with instance:
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config=None if verbose else QUIET_RUN_CONFIG,
            tags=None if step_retries else {STEP_RETRIES_TAG: "false"},
        )
        outcome = JobOutcome(success=result.success)
        for event in result.get_asset_materialization_events():
            mat = event.materialization
            if mat is not None:
                outcome.metadata[mat.asset_key.to_user_string()] = {
                    k: _plain(v) for k, v in mat.metadata.items()
                }
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
