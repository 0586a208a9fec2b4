"""Progress of a long ingest on stderr: a live line on a terminal, a line every few seconds
otherwise (so CI and cron logs show it is alive without flooding them)."""

from __future__ import annotations

import time

from rich.console import Console

from workflow_analytics.ingest import IngestReport


class ProgressPrinter:
    def __init__(self, console: Console | None = None, every_s: float = 5.0) -> None:
        self.console = console or Console(stderr=True)
        self.every_s = every_s
        self._last = 0.0
        self._status = self.console.status("ingesting") if self.console.is_terminal else None
        if self._status is not None:
            self._status.start()

    @staticmethod
    def line(r: IngestReport) -> str:
        return (
            f"listed {r.listed:,}  new {r.new:,}  changed {r.changed:,}  "
            f"open {r.still_open + r.open_outside_window:,}  fetched {r.details_fetched:,}  "
            f"written {r.executions_inserted + r.executions_updated:,}"
        )

    def __call__(self, report: IngestReport) -> None:
        if self._status is not None:
            self._status.update(self.line(report))
            return
        now = time.monotonic()
        if now - self._last >= self.every_s:
            self._last = now
            self.console.print(self.line(report), highlight=False)

    def close(self) -> None:
        if self._status is not None:
            self._status.stop()
