"""One progress line for a running ingest (Dagster logs and the command line show it)."""

from __future__ import annotations

from ingest.executions import IngestReport


def progress_line(r: IngestReport) -> str:
    return (
        f"listed {r.listed:,}  new {r.new:,}  changed {r.changed:,}  "
        f"open {r.still_open + r.open_outside_window:,}  fetched {r.details_fetched:,}  "
        f"written {r.executions_inserted + r.executions_updated:,}"
    )
