"""Dagster freshness policies: a nightly run that never happened shows in the UI.

The ``ingest_is_fresh`` asset check runs only inside the nightly job, so when the schedule
does not fire (daemon down, schedule stopped) nothing evaluates it and nothing turns red. A
freshness policy is evaluated by Dagster itself from the last materialization, whether a run
happened or not, and Dagster's alerting can notify on it. The instance must have freshness
enabled (``freshness: enabled: true`` in ``dagster.yaml``, see README "Dagster").
"""

from __future__ import annotations

from datetime import timedelta

import dagster as dg

from assets.checks import FRESHNESS_HOURS

# Same bound as the ingest_is_fresh check: the nightly runs every 24 h, plus time for a slow
# run and its retries. WARN from 25 h: the night's run is late but may still come.
NIGHTLY_FRESHNESS = dg.FreshnessPolicy.time_window(
    fail_window=timedelta(hours=FRESHNESS_HOURS), warn_window=timedelta(hours=25)
)
