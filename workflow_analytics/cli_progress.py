"""The running ingest on the command line: a live progress bar on a terminal, plain lines
otherwise.

The ingest asset sends its report to the ``ingest.progress`` logger on every list
page and written batch (as the record's ``ingest_report``); the command line runs the job
in-process, so a handler here sees the very object the ingest updates and reads it a few times a
second. Nothing is printed for a run that fails before its first progress report, so a
configuration error stays one line.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

PROGRESS_LOGGER = "ingest.progress"
PLAIN_EVERY_S = 10.0


def to_fetch(report: Any) -> int:
    """Details the run will fetch, as far as the listing has got."""
    return report.new + report.changed + report.still_open + report.open_outside_window


# Before the listing is this far through its window, its first pages say little about the rest:
# scaled up from 2 details found at 0.1% of a night's window, the total came out at 2,329 and
# the ETA at almost two hours, for an ingest that took 28 s. Until then the line shows what was
# found so far.
MIN_LISTING_PART = 0.05


def listing_part(report: Any) -> float | None:
    """How far the listing has got through its createdTime window, while it runs and once it is
    far enough for its pace to tell (MIN_LISTING_PART <= x < 1); None otherwise."""
    position = float(report.listing_position)
    return position if MIN_LISTING_PART <= position < 1.0 else None


def expected_total(report: Any) -> int:
    """Details the run will fetch: CDF announces no total, so while the listing runs, what it
    found so far scaled up by how far through its window it has got; then what it found."""
    found = to_fetch(report)
    part = listing_part(report)
    return found if part is None else max(found, round(found / part))


# Fewer details than this waiting, and no listing position yet: the fetch has caught up with the
# listing, whose end is not known, so no ETA can be given.
CAUGHT_UP = 64


def eta_text(report: Any, rate: float, elapsed_s: float) -> str:
    """Time left: for the details expected (see :func:`expected_total`) at the current rate,
    and at least for the listing to get through its window at its pace so far. "listing" when
    neither is known yet."""
    if report.seconds > 0 or (to_fetch(report) <= report.details_fetched and report.listed == 0):
        return "-"
    backlog = expected_total(report) - report.details_fetched
    part = listing_part(report)
    if part is None:
        if backlog < CAUGHT_UP or rate <= 0:
            return "listing"
        return f"{backlog / rate:,.0f} s"
    listing_left = elapsed_s * (1.0 - part) / part
    fetch_left = backlog / rate if rate > 0 else listing_left
    return f"{max(fetch_left, listing_left):,.0f} s"


def _subject(project: str) -> str:
    """What a progress line is about: the ingest, or one project's load of several."""
    return f"ingest {project}" if project else "ingest"


def plain_line(report: Any, elapsed_s: float, project: str = "") -> str:
    """One progress line: fetched of the total expected (found so far, scaled up while the
    listing runs), rate, ETA, and what was written; ``project`` names the project loading."""
    fetched, found = report.details_fetched, to_fetch(report)
    rate = fetched / elapsed_s if elapsed_s > 0 else 0.0
    part = listing_part(report)
    if report.seconds > 0:  # the ingest is done: the total is what it found
        of = f"of {found:,} details"
    elif part is None:
        of = f"of {found:,} details found so far"
    else:
        of = (
            f"of about {expected_total(report):,} details ({found:,} found, the listing "
            f"{part:.0%} through its window)"
        )
    return (
        f"{_subject(project)}: fetched {fetched:,} {of} ({rate:,.0f}/s, "
        f"ETA {eta_text(report, rate, elapsed_s)}); listed {report.listed:,}, written "
        f"{report.executions_inserted + report.executions_updated:,} executions"
    )


def final_line(report: Any, project: str = "") -> str:
    """A project's last progress line: its :func:`plain_line`, or for a project that stopped
    before its executions were loaded (it failed), how far it got."""
    if report.seconds > 0:
        return plain_line(report, report.seconds, project)
    written = report.executions_inserted + report.executions_updated
    return (
        f"{_subject(project)}: stopped after {report.details_fetched:,} "
        f"details; listed {report.listed:,}, written {written:,} executions"
    )


class IngestProgress(logging.Handler):
    """Shows the ingest's progress until :meth:`stop`; use as a context manager.

    Each project's load (and each retry of the step) sends its own report: the display gives
    each its own bar or lines (named by its project when there are several), and turns to the
    analytics and checks only when the ingest step says it is done (the ``ingest_done`` record,
    sent when the step succeeded).
    """

    def __init__(self, console: Console, *, live: bool | None = None, projects: int = 1) -> None:
        super().__init__(logging.DEBUG)
        self.console = console
        self.live = console.is_terminal if live is None else live
        self.projects = projects
        # Every load's report in the order they started, the last the one running, and when
        # each started (its own rate).
        self.reports: list[Any] = []
        self._started: dict[int, float] = {}
        self.ingest_done_at: float | None = None
        self._ingest_done = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True, name="ingest-progress")
        self._bar: Progress | None = None
        self._tasks: dict[int, TaskID] = {}  # id(report) -> its bar
        self._finished: set[int] = set()  # id(report) of the loads shown as ended
        self._last_plain = time.monotonic()

    @property
    def report(self) -> Any:
        return self.reports[-1] if self.reports else None

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, "ingest_done", False):
            self._ingest_done = True
            return
        report = getattr(record, "ingest_report", None)
        if report is not None and report is not self.report:
            self._started[id(report)] = time.monotonic()
            self.reports.append(report)

    def _project(self, report: Any) -> str:
        return report.project if self.projects > 1 else ""

    def _elapsed(self, report: Any) -> float:
        if report.seconds > 0:
            return float(report.seconds)
        return time.monotonic() - self._started.get(id(report), time.monotonic())

    def __enter__(self) -> IngestProgress:
        logger = logging.getLogger(PROGRESS_LOGGER)
        logger.setLevel(logging.DEBUG)
        logger.addHandler(self)
        logger.propagate = False
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        logging.getLogger(PROGRESS_LOGGER).removeHandler(self)
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        if self._bar is not None:
            self._bar.stop()

    def _watch(self) -> None:
        while not self._stop.wait(0.25 if self.live else 0.5):
            self._tick()
        if not self.live:
            # The run ended between two looks (a failed step ends it at once): the loads that
            # ended still get their last line.
            self._finish_lines(list(self.reports))

    def _finish_lines(self, reports: list[Any]) -> None:
        for report in reports:
            if id(report) not in self._finished:
                self._finished.add(id(report))
                self._print(final_line(report, self._project(report)))
                self._last_plain = time.monotonic()

    def _tick(self) -> None:
        ingest_done = self._ingest_done  # read once: the ingest's thread sets it
        reports = list(self.reports)
        if not reports:
            return
        current = reports[-1]
        # A load has ended once the next one started, when its executions are loaded (its
        # seconds are set), or when the whole ingest is done.
        ended = [r for r in reports if r is not current or r.seconds > 0 or ingest_done]
        if self.live:
            ended_ids = {id(r) for r in ended}
            for report in reports:
                self._draw(report, id(report) in ended_ids)
        else:
            self._finish_lines(ended)
        if ingest_done and self.ingest_done_at is None:
            self.ingest_done_at = time.monotonic()
            if self._bar is not None:
                self._bar.add_task("analytics and checks", total=None, counts="", eta="")
            elif not self.live:
                self._print("ingest done; views and checks running")
        if self.live or time.monotonic() - self._last_plain < PLAIN_EVERY_S:
            return
        self._last_plain = time.monotonic()
        if self.ingest_done_at is not None:
            waited = time.monotonic() - self.ingest_done_at
            self._print(f"analytics and checks: running for {waited:,.0f} s")
        elif id(current) not in self._finished:
            self._print(plain_line(current, self._elapsed(current), self._project(current)))

    def _print(self, line: str) -> None:
        self.console.print(line, highlight=False, markup=False, soft_wrap=True)

    def _draw(self, report: Any, ended: bool) -> None:
        """Update the load's bar; one that ended is left as it ended."""
        if id(report) in self._finished:
            return
        if self._bar is None:
            self._bar = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.fields[counts]}"),
                TimeElapsedColumn(),
                TextColumn("{task.fields[eta]}"),
                console=self.console,
                transient=True,
            )
            self._bar.start()
        task = self._tasks.get(id(report))
        if task is None:
            project = self._project(report)
            label = f"fetching details {project}" if project else "fetching details"
            task = self._tasks[id(report)] = self._bar.add_task(
                label, total=None, counts="", eta=""
            )
        fetched = report.details_fetched
        stopped = ended and report.seconds <= 0  # it failed before its executions were loaded
        total = max(expected_total(report), fetched)
        about = "" if (ended and not stopped) or listing_part(report) is None else "~"
        elapsed = self._elapsed(report)
        rate = fetched / elapsed if elapsed > 0 else 0.0
        eta = "" if ended else f"ETA {eta_text(report, rate, elapsed)}"
        self._bar.update(
            task,
            completed=fetched,
            total=total or None,
            counts=f"{fetched:,}/{about}{total:,} {rate:,.0f}/s",
            eta="stopped" if stopped else eta,
        )
        if ended:
            self._bar.stop_task(task)
            self._finished.add(id(report))
