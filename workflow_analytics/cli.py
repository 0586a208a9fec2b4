"""The `workflow-analytics` command line."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from cdf_client.errors import CdfError
from workflow_analytics.ingest import IngestReport, IngestSettings
from workflow_analytics.settings import warehouse_dir

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="CDF Workflow Analytics: CDF Data Workflow run history as a warehouse.",
)
err = Console(stderr=True)
out = Console()


def fail(message: str, code: int = 1) -> typer.Exit:
    """One clear line on stderr and a non-zero exit."""
    err.print(f"error: {message}", highlight=False, markup=False)
    return typer.Exit(code)


def _print_report(report: IngestReport, directory: Path) -> None:
    r = report
    out.print(
        f"ingest done in {r.seconds:.1f}s: listed {r.listed:,} executions "
        f"(new {r.new:,}, changed {r.changed:,}, open re-checked "
        f"{r.still_open + r.open_outside_window:,}, unchanged {r.unchanged:,}); "
        f"fetched {r.details_fetched:,} details ({r.details_missing:,} gone); "
        f"{r.executions_inserted:,} inserted, {r.executions_updated:,} updated, "
        f"{r.task_rows_written:,} task rows, {r.rejected:,} rejected; "
        f"{r.requests.get('total_requests', 0):,} requests, "
        f"{r.requests.get('retries', 0):,} retries",
        highlight=False,
    )
    out.print(f"warehouse: {directory}", highlight=False)


@app.command()
def ingest(
    lookback_hours: Annotated[
        float,
        typer.Option(help="Re-list this far behind the high-water mark (covers the 24 h run cap)."),
    ] = 30.0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
) -> None:
    """One incremental ingest from the CDF project in the environment into WAREHOUSE_DIR."""
    from cdf_client.config import CdfConfig
    from workflow_analytics.progress import ProgressPrinter
    from workflow_analytics.runner import run_ingest

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    directory = warehouse_dir()
    try:
        cdf = CdfConfig.from_env()
    except CdfError as exc:
        raise fail(str(exc), 2) from None
    printer = None if quiet else ProgressPrinter()
    try:
        report = run_ingest(
            cdf, directory, IngestSettings(lookback_hours=lookback_hours), progress=printer
        )
    except CdfError as exc:
        raise fail(str(exc)) from None
    except KeyboardInterrupt:
        raise fail("interrupted; the next run completes the warehouse", 130) from None
    finally:
        if printer is not None:
            printer.close()
    _print_report(report, directory)


def _register_commands() -> None:
    """Commands that live in other modules, registered here (one line each)."""
    from cdf_simulator.cli import simulate

    app.command("simulate", help="Serve the simulated CDF Workflows API on 127.0.0.1.")(simulate)


def main() -> None:
    _register_commands()
    app()


if __name__ == "__main__":
    sys.exit(main())
