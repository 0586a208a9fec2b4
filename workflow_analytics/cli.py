"""The `workflow-analytics` command line.

Each command imports what it uses when it runs: `--help`, a configuration error or a query
answer without loading Dagster, the report's plotting stack or the simulator.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from workflow_analytics.cli_output import process_started_at

if TYPE_CHECKING:
    from cdf_client.config import CdfConfig
    from ingest.settings import WarehouseSettings
    from workflow_analytics.dagster_run import JobOutcome

STARTED_AT = process_started_at()

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="CDF Workflow Analytics: CDF Data Workflow run history as a warehouse.",
)
err = Console(stderr=True)
out = Console()


def fail(message: str, code: int = 1) -> typer.Exit:
    """One clear line on stderr and a non-zero exit."""
    err.print(f"error: {message}", highlight=False, markup=False, soft_wrap=True)
    return typer.Exit(code)


def _warehouse_settings() -> WarehouseSettings:
    """``WAREHOUSE_DIR`` and the rest of the warehouse's settings; a bad value exits with 2."""
    from cdf_client.errors import ConfigError
    from ingest.settings import WarehouseSettings

    try:
        return WarehouseSettings.load()
    except ConfigError as exc:
        raise fail(str(exc), 2) from None


def _writable_warehouse() -> WarehouseSettings:
    """The warehouse's settings when its directory can be created and written (nothing is
    created yet); else exit with 2 at once, before Dagster loads, with one line naming it."""
    from warehouse.lock import WarehouseUnwritableError, check_writable

    place = _warehouse_settings()
    try:
        check_writable(place.path)
    except WarehouseUnwritableError as exc:
        raise fail(str(exc), 2) from None
    return place


def _summary(outcome: JobOutcome, place: WarehouseSettings) -> None:
    from warehouse.schema import EXPORTED_TABLES
    from warehouse.store import DATABASE_FILE, PARQUET_DIR
    from workflow_analytics.cli_output import analytics_line, ingest_counts_line, timing_line

    meta = outcome.metadata
    first_request_at = meta.get("workflow_executions", {}).get("first_request_at")
    line = timing_line(STARTED_AT, first_request_at, outcome.step_started_at, outcome.step_seconds)
    out.print(f"{line}", highlight=False, soft_wrap=True)
    out.print(
        ingest_counts_line(meta.get("workflow_executions", {})), highlight=False, soft_wrap=True
    )
    if analytics := analytics_line(meta):
        out.print(analytics, highlight=False, soft_wrap=True)
    # Each table's Parquet partitions are named by its own date (created_date, fire_date, ...).
    for table in EXPORTED_TABLES:
        rows = meta.get(table.name, {}).get("dagster/row_count", 0)
        line = f"  {table.name:<24} {rows:>10,} rows, Parquet by {table.partition_key}"
        out.print(line, highlight=False, soft_wrap=True)
    directory = place.path
    out.print(f"DuckDB:  {directory / DATABASE_FILE}", highlight=False, soft_wrap=True)
    out.print(
        f"Parquet: {place.parquet_uri or directory / PARQUET_DIR}/<table>/<date>=YYYY-MM-DD/ "
        "(analytics tables: <table>/day=YYYY-MM-DD/)",
        highlight=False,
        soft_wrap=True,
    )


def _warn(warnings: list[str]) -> None:
    """One line on stderr per warning check that failed (what the source sent); exit stays 0."""
    for line in warnings:
        err.print(f"warning: {line}", highlight=False, markup=False, soft_wrap=True)


def _check_config(*, started: Callable[[list[CdfConfig]], object] | None = None) -> None:
    """Configuration errors before Dagster is imported: the project settings first (cheap;
    ``started`` is called with them), then the ingest's own switches."""
    from cdf_client.errors import CdfError
    from ingest.projects import load_projects
    from ingest.settings import RunSettings, WarehouseSettings

    try:
        configs = load_projects()
        if started is not None:
            started(configs)
        RunSettings.load()
        WarehouseSettings.load()
    except CdfError as exc:
        raise fail(str(exc), 2) from None


@app.command()
def ingest(
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress lines.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", help="Show Dagster's event log.")] = False,
    retry_later: Annotated[
        bool,
        typer.Option(
            "--retry-later",
            help="When CDF stays down past the client's retry budget (CDF_MAX_ATTEMPTS, "
            "CDF_MAX_RETRY_SECONDS), retry the step as the schedule does (minutes later) "
            "instead of failing at once.",
        ),
    ] = False,
    full_refresh: Annotated[
        bool,
        typer.Option(
            "--full-refresh",
            help="Rebuild every incremental analytics table whole from its definition instead "
            "of recomputing only the executions written since the last run.",
        ),
    ] = False,
) -> None:
    """One incremental ingest of the CDF project in the environment into WAREHOUSE_DIR.

    Runs the nightly job's assets in-process with Dagster, as the schedule does.
    """
    from cdf_client.errors import SourceUnavailableError
    from workflow_analytics.access_check import AccessCheck

    access: AccessCheck | None = None
    projects = 1

    def check_access(configs: list[CdfConfig]) -> None:
        nonlocal access, projects
        projects = len(configs)
        # Several projects: each is checked by the run, which loads the others when one fails.
        if len(configs) == 1:
            access = AccessCheck(configs[0])

    _check_config(started=check_access)
    place = _writable_warehouse()
    from workflow_analytics.cli_progress import IngestProgress
    from workflow_analytics.dagster_run import run_nightly_job

    problem = access.wait() if access is not None else None
    # CDF down past the retry budget: with --retry-later the run's step retries take over.
    if problem is not None and not (retry_later and isinstance(problem, SourceUnavailableError)):
        raise fail(str(problem))

    # Checked just now: the run does not send the same two requests again.
    options = {
        "step_retries": retry_later,
        "access_checked": access is not None and access.passed,
        "full_refresh": full_refresh,
    }
    try:
        if quiet:
            outcome = run_nightly_job(verbose=verbose, **options)
        else:
            with IngestProgress(err, projects=projects):
                outcome = run_nightly_job(verbose=verbose, **options)
    except KeyboardInterrupt:
        raise fail("interrupted; the next run completes the warehouse", 130) from None
    if not outcome.success:
        raise fail(outcome.error or "the ingest failed")
    _summary(outcome, place)
    _warn(outcome.warnings)


@app.command()
def demo(
    port: Annotated[int, typer.Option(help="Port for the local simulator (0: any free).")] = 0,
    seed: Annotated[int, typer.Option(help="Seed of the simulated world.")] = 1,
) -> None:
    """Start the local CDF simulator, ingest from it once, stop it, and print a summary."""
    from assets.resources import CdfResource, WarehouseResource
    from cdf_simulator import Simulator, SimulatorConfig, run_server
    from cdf_simulator.server import cannot_listen
    from warehouse.store import DATABASE_FILE
    from workflow_analytics.cli_progress import IngestProgress
    from workflow_analytics.dagster_run import run_nightly_job

    place = _writable_warehouse()
    directory = place.path
    sim = Simulator(SimulatorConfig(seed=seed, project="demo"))
    with contextlib.ExitStack() as stack:
        try:
            base_url = stack.enter_context(run_server(sim, port=port))
        except OSError as exc:
            raise fail(cannot_listen("127.0.0.1", port, exc), 2) from None
        err.print(f"simulator serving a CDF project 'demo' at {base_url}", highlight=False)
        # The simulator's connection goes to the run as resources; the environment is left as
        # it was.
        cdf = CdfResource(
            base_url=base_url,
            project="demo",
            token_url=f"{base_url}/oauth2/token",
            client_id="demo-client",
            client_secret="demo-secret",
            scopes=f"{base_url}/.default",
        )
        warehouse = WarehouseResource(directory=str(directory))
        with IngestProgress(err):
            outcome = run_nightly_job(resources={"cdf": cdf, "warehouse": warehouse})
    if not outcome.success:
        raise fail(outcome.error or "the demo ingest failed")
    _summary(outcome, place)
    _warn(outcome.warnings)
    db = directory / DATABASE_FILE
    out.print(
        "\nQuery it:\n"
        "  .venv/bin/workflow-analytics sql "
        '"SELECT * FROM workflow_daily_sla ORDER BY day DESC LIMIT 10"\n'
        f"  python: duckdb.connect('{db}', read_only=True)\n"
        f"  polars: pl.scan_parquet('{directory}/parquet/workflow_executions/**/*.parquet', "
        "hive_partitioning=True)\n"
        "Run it again later: the next ingest is incremental.",
        highlight=False,
        soft_wrap=True,
    )


FORMATS = ("table", "csv", "json")


@app.command()
def sql(
    query: Annotated[
        str,
        typer.Argument(
            metavar="QUERY",
            help="A SQL query over the warehouse tables and views (as the docs write them: a "
            "leading `--` comment line and a trailing `;` are fine).",
        ),
    ],
    limit: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Rows to print at most, 0 for all (default: 50 for a table, all for csv and "
            "json).",
        ),
    ] = None,
    output_format: Annotated[
        str,
        typer.Option(
            "--format", "-f", help="table (every column, floats rounded), csv or json (unrounded)."
        ),
    ] = "table",
) -> None:
    """Run one SQL statement on a read-only connection to the warehouse; print the result."""
    if output_format not in FORMATS:
        raise fail(f"--format must be one of {', '.join(FORMATS)}; got {output_format!r}", 2)
    import duckdb

    from warehouse.errors import BEING_WRITTEN, error_line, is_lock_conflict
    from warehouse.layout import missing_warehouse
    from warehouse.store import Warehouse
    from workflow_analytics.cli_output import render_csv, render_json, render_table

    place = _warehouse_settings()
    directory = place.path
    if problem := missing_warehouse(directory):
        raise fail(problem, 2)
    if limit is None:
        limit = 50 if output_format == "table" else 0
    try:
        with Warehouse(directory, read_only=True, memory_limit=place.duckdb_memory) as wh:
            # The query runs as given: wrapped in a LIMIT, a trailing `;` or comment would
            # break it. One row past the limit tells whether rows were left out.
            statements = len(wh.connection.extract_statements(query))
            if statements != 1:
                raise fail(f"QUERY must hold one SQL statement; it holds {statements}", 2)
            cursor = wh.connection.execute(query)
            if cursor.description is None:
                return
            columns = [column[0] for column in cursor.description]
            json_columns = [i for i, c in enumerate(cursor.description) if str(c[1]) == "JSON"]
            rows = cursor.fetchmany(limit + 1) if limit > 0 else cursor.fetchall()
    except duckdb.Error as exc:
        raise fail(BEING_WRITTEN if is_lock_conflict(exc) else error_line(exc)) from None
    more = limit > 0 and len(rows) > limit
    rows = rows[:limit] if more else rows
    if output_format == "json":
        text = render_json(columns, rows, json_columns)
    else:
        text = {"table": render_table, "csv": render_csv}[output_format](columns, rows)
    sys.stdout.write(text + "\n")
    if output_format == "table":
        shown = f"{len(rows):,} row{'s' if len(rows) != 1 else ''}"
        err.print(
            f"({shown}; more rows exist, --limit N shows more)" if more else f"({shown})",
            highlight=False,
        )


# Commands defined in other modules, imported only when they are the one that runs: the
# simulator and the report load the web server and the plotting stack. Their one-line help is
# here for the command list.
LAZY_COMMANDS: dict[str, tuple[str, str, str]] = {
    "simulate": (
        "cdf_simulator.cli",
        "simulate",
        "Serve the simulated CDF Workflows API on 127.0.0.1.",
    ),
    "report": (
        "workflow_analytics.report",
        "report",
        "Write a static HTML report of the analytics.",
    ),
}


def _not_invoked() -> None:  # pragma: no cover - stands in for a command that is not running
    raise RuntimeError("a lazily registered command ran without its module")


def _register_commands(argv: Sequence[str] | None = None) -> None:
    """Register the lazy commands: the real one for the command in ``argv``, stand-ins for the
    others; all of them real when ``argv`` is None (tests that invoke ``app`` directly)."""
    invoked = None if argv is None else next((a for a in argv if not a.startswith("-")), None)
    for name, (module, attr, help_text) in LAZY_COMMANDS.items():
        real = argv is None or name == invoked
        function: Any = getattr(importlib.import_module(module), attr) if real else _not_invoked
        app.command(name, help=help_text)(function)


def _query_last(argv: list[str]) -> list[str]:
    """``sql`` takes a query that starts with a ``-- comment`` line as its query, not as an
    unknown option: such an argument (it starts with ``-`` and holds whitespace, which no option
    does) moves behind a ``--``, so the options around it still count."""
    invoked = next((a for a in argv if not a.startswith("-")), None)
    if invoked != "sql" or "--" in argv:
        return argv
    queries = [a for a in argv if a.startswith("-") and any(c.isspace() for c in a)]
    if not queries:
        return argv
    return [a for a in argv if a not in queries] + ["--", *queries]


def run() -> int:
    """Run the command in ``sys.argv``; its exit code."""
    argv = _query_last(sys.argv[1:])
    _register_commands(argv)
    try:
        app(args=argv)
    except SystemExit as done:
        code = done.code
    else:
        code = 0
    if isinstance(code, str):  # sys.exit("message"): the interpreter would print it
        print(code, file=sys.stderr)
        return 1
    return code if isinstance(code, int) else (0 if code is None else 1)


def main() -> None:
    code = run()
    # The command's work is committed and its output written: what is left is the
    # interpreter's teardown of the whole heap (Dagster, polars, DuckDB, what the ingest
    # left), a noticeable wait after the last line on a large warehouse. Exit handlers run
    # first (Dagster's and the logging module's), then the streams are flushed and the
    # process ends without the teardown. The warehouse and Dagster's storage are closed by
    # then: every command closes what it opened before it returns.
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
