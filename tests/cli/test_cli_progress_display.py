"""The progress display fed as the ingest asset feeds it: the ingest's own reports through the
`ingest.progress` logger. A load that fails, a step retried, several projects."""

from __future__ import annotations

import io
import logging
import time

from rich.console import Console

from ingest.executions import IngestReport
from workflow_analytics.cli_progress import PROGRESS_LOGGER, IngestProgress

log = logging.getLogger(PROGRESS_LOGGER)
LOOK = 0.7  # more than the display's look every 0.5 s


def _send(report: IngestReport) -> None:
    log.debug("ingest progress", extra={"ingest_report": report})


def _loaded(project: str, n: int) -> IngestReport:
    return IngestReport(
        project=project, listed=n, new=n, details_fetched=n, executions_inserted=n, seconds=0.5
    )


def _plain(projects: int, feed: list[object]) -> list[str]:
    out = io.StringIO()
    with IngestProgress(Console(file=out, width=300), live=False, projects=projects):
        for item in feed:
            if item == "done":
                log.debug("ingest done", extra={"ingest_done": True})
            elif item == "look":
                time.sleep(LOOK)
            else:
                _send(item)  # type: ignore[arg-type]
    return out.getvalue().splitlines()


def test_a_retried_step_shows_the_failed_attempt_then_the_retry() -> None:
    failed = IngestReport(project="p", listed=80, new=80, details_fetched=50)
    lines = _plain(1, [failed, "look", _loaded("p", 80), "look", "done", "look"])
    assert lines[0] == "ingest: stopped after 50 details; listed 80, written 0 executions"
    assert lines[1].startswith("ingest: fetched 80 of 80 details (")
    assert lines[2:] == ["ingest done; views and checks running"]


def test_a_project_that_fails_while_loading_then_the_next() -> None:
    alpha = IngestReport(project="alpha", listed=40, new=40, details_fetched=30)
    lines = _plain(2, [alpha, "look", _loaded("beta", 7), "done", "look"])
    assert lines == [
        "ingest alpha: stopped after 30 details; listed 40, written 0 executions",
        lines[1],
        "ingest done; views and checks running",
    ]
    assert lines[1].startswith("ingest beta: fetched 7 of 7 details (")


def test_a_run_that_ends_at_once_still_gives_its_last_line() -> None:
    # The step failed (no "done"), and the run ended before the display looked again.
    lines = _plain(1, [IngestReport(project="p", listed=3, details_fetched=2)])
    assert lines == ["ingest: stopped after 2 details; listed 3, written 0 executions"]


def test_the_terminal_display_marks_a_failed_load_stopped() -> None:
    out = io.StringIO()
    console = Console(file=out, width=160, force_terminal=True, color_system=None)
    with IngestProgress(console, live=True, projects=2):
        _send(IngestReport(project="alpha", listed=40, new=40, details_fetched=30))
        time.sleep(LOOK)
        _send(_loaded("beta", 7))
        time.sleep(LOOK)
        log.debug("ingest done", extra={"ingest_done": True})
        time.sleep(LOOK)
    text = out.getvalue()
    alpha = [line for line in text.splitlines() if "fetching details alpha" in line]
    assert alpha and "stopped" in alpha[-1]
    assert "fetching details beta" in text and "analytics and checks" in text
