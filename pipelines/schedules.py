"""Schedules."""

from __future__ import annotations

import dagster as dg

from pipelines.jobs import nightly_ingest_job

# Every night at 02:30 UTC: after midnight so yesterday's UTC day is complete in the views,
# and away from the top of the hour when many CDF workflows are themselves scheduled.
NIGHTLY_CRON = "30 2 * * *"

nightly_ingest_schedule = dg.ScheduleDefinition(
    name="nightly_ingest_schedule",
    job=nightly_ingest_job,
    cron_schedule=NIGHTLY_CRON,
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Nightly incremental ingest at 02:30 UTC.",
)
