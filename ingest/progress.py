"""One progress line for a running ingest (Dagster logs and the command line show it)."""

from __future__ import annotations

from ingest.executions import IngestReport


def progress_line(report: IngestReport) -> str:
    return (
        f"{report.project + ': ' if report.project else ''}"
        f"listed {report.listed:,}  new {report.new:,}  changed {report.changed:,}  "
        f"open {report.still_open + report.open_outside_window:,}  "
        f"fetched {report.details_fetched:,}  "
        f"written {report.executions_inserted + report.executions_updated:,}"
    )
