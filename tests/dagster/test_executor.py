"""The nightly job runs its steps in one process under Dagster's own executor (as the schedule
launches it), not one process per asset check."""

from __future__ import annotations

import dagster as dg

from pipelines.definitions import defs


def test_nightly_job_uses_the_in_process_executor() -> None:
    job = defs.resolve_job_def("nightly_ingest")
    assert job.executor_def is dg.in_process_executor
    # The asset checks are part of the job (so they run in that one process too).
    assert job.asset_layer.asset_graph.asset_check_keys
