"""Daily partitions for history backfills: one UTC day of execution ``createdTime`` each."""

from __future__ import annotations

import dagster as dg

# CDF keeps executions for three months; earlier partitions are kept in the definition so a
# backfill from an older warehouse copy or a long-lived project still has somewhere to go.
HISTORY_START_DATE = "2024-01-01"

daily_history = dg.DailyPartitionsDefinition(
    start_date=HISTORY_START_DATE, timezone="UTC", end_offset=1
)
