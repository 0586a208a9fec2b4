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


def plain_line(report: Any, elapsed_s: float) -> str:
    """One progress line: fetched of the total expected (found so far, scaled up while the
    listing runs), rate, ETA, and what was written."""
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
        f"ingest: fetched {fetched:,} {of} ({rate:,.0f}/s, "
        f"ETA {eta_text(report, rate, elapsed_s)}); listed {report.listed:,}, written "
        f"{report.executions_inserted + report.executions_updated:,} executions"
    )


class IngestProgress(logging.Handler):
    """Shows the ingest's progress until :meth:`stop`; use as a context manager."""

    def __init__(self, console: Console, *, live: bool | None = None) -> None:
        super().__init__(logging.DEBUG)
        self.console = console
        self.live = console.is_terminal if live is None else live
        self.report: Any = None
        self.started = time.monotonic()  # reset at the first report: the ingest's own rate
        self.ingest_done_at: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True, name="ingest-progress")
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        self._views: TaskID | None = None

    def emit(self, record: logging.LogRecord) -> None:
        report = getattr(record, "ingest_report", None)
        if report is not None:
            if self.report is None:
                self.started = time.monotonic()
            self.report = report

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
        last_plain = time.monotonic()
        while not self._stop.wait(0.25 if self.live else 0.5):
            report = self.report
            if report is None:
                continue
            done = report.seconds > 0  # set when the executions are loaded
            if done and self.ingest_done_at is None:
                self.ingest_done_at = time.monotonic()
                if not self.live:
                    self._print(f"{plain_line(report, report.seconds)}; views and checks running")
                    last_plain = time.monotonic()
            if self.live:
                self._draw(report, done)
            elif time.monotonic() - last_plain >= PLAIN_EVERY_S:
                last_plain = time.monotonic()
                if self.ingest_done_at is None:
                    self._print(plain_line(report, self._elapsed()))
                else:
                    waited = time.monotonic() - self.ingest_done_at
                    self._print(f"analytics and checks: running for {waited:,.0f} s")

    def _elapsed(self) -> float:
        return time.monotonic() - self.started

    def _print(self, line: str) -> None:
        self.console.print(line, highlight=False, markup=False, soft_wrap=True)

    def _draw(self, report: Any, done: bool) -> None:
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
            self._task = self._bar.add_task("fetching details", total=None, counts="", eta="")
        assert self._task is not None
        if self._views is not None:
            return
        fetched = report.details_fetched
        total = max(expected_total(report), fetched)
        about = "" if done or listing_part(report) is None else "~"
        elapsed = report.seconds if done else self._elapsed()
        rate = fetched / elapsed if elapsed > 0 else 0.0
        self._bar.update(
            self._task,
            completed=fetched,
            total=total or None,
            counts=f"{fetched:,}/{about}{total:,} {rate:,.0f}/s",
            eta="" if done else f"ETA {eta_text(report, rate, elapsed)}",
        )
        if done:
            self._bar.stop_task(self._task)
            self._views = self._bar.add_task("analytics and checks", total=None, counts="", eta="")
