"""SLA targets that analysts edit as a CSV file, loaded into the ``sla_targets`` table.

The file (``config/sla_targets.csv`` by default, or ``$SLA_TARGETS_FILE`` through the settings
layer) has one row per workflow and a ``*`` row that applies to every workflow without its own
value:

    workflow_external_id,max_duration_minutes,deadline_utc,note
    *,60,,every run within an hour
    daily-load,90,06:30,must be done before the morning reports

``max_duration_minutes`` may have decimals, or be a percentile such as ``p95``: the workflow's
own 95th-percentile duration of its COMPLETED runs in the warehouse (nearest rank; no target
while the workflow has fewer than 20 such runs), so that a breach means "slower than 19 in 20 of
its own successful runs" until someone sets a real budget. ``deadline_utc`` is a time of day
(``HH:MM`` or ``HH:MM:SS``, UTC) by which a day's run must have finished. An empty cell means
"inherit the ``*`` row's value" (and no target when the ``*`` row has none either). Other
columns are ignored.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import time
from pathlib import Path

import duckdb

from warehouse.sqlfiles import sql_file

_PERCENTILE = re.compile(r"[pP](\d{1,2}(?:\.\d+)?)")


class SlaTargetsError(ValueError):
    """The targets file cannot be read; the message names the file and the line."""


@dataclass(frozen=True)
class SlaTarget:
    workflow_external_id: str
    max_duration_ms: int | None
    deadline_utc: time | None
    note: str | None
    # 0.95 for ``p95``: the budget is that quantile of the workflow's own completed runs.
    duration_percentile: float | None = None


def _parse_percentile(text: str, where: str) -> float | None:
    match = _PERCENTILE.fullmatch(text.strip())
    if match is None:
        return None
    value = float(match.group(1))
    if not 0 < value < 100:
        raise SlaTargetsError(f"{where}: percentile {text.strip()!r} must be between p0 and p100")
    return value / 100


def _parse_minutes(text: str, where: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    try:
        minutes = float(text)
    except ValueError:
        raise SlaTargetsError(f"{where}: max_duration_minutes {text!r} is not a number") from None
    if minutes < 0 or minutes != minutes:
        raise SlaTargetsError(f"{where}: max_duration_minutes must be >= 0, got {text!r}")
    return round(minutes * 60_000)


def _parse_deadline(text: str, where: str) -> time | None:
    text = text.strip()
    if not text:
        return None
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise SlaTargetsError(f"{where}: deadline_utc {text!r} is not HH:MM[:SS]") from None


def read_sla_targets(path: Path) -> list[SlaTarget]:
    """Parse and validate the CSV file (no database involved)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = {"workflow_external_id", "max_duration_minutes", "deadline_utc"} - set(
                reader.fieldnames or ()
            )
            if missing:
                raise SlaTargetsError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
            targets: dict[str, SlaTarget] = {}
            for line, row in enumerate(reader, start=2):
                where = f"{path}:{line}"
                workflow = (row.get("workflow_external_id") or "").strip()
                if not workflow or workflow.startswith("#"):
                    continue
                if workflow in targets:
                    raise SlaTargetsError(f"{where}: workflow {workflow!r} listed twice")
                note = (row.get("note") or "").strip() or None
                budget = row.get("max_duration_minutes") or ""
                percentile = _parse_percentile(budget, where)
                targets[workflow] = SlaTarget(
                    workflow,
                    None if percentile is not None else _parse_minutes(budget, where),
                    _parse_deadline(row.get("deadline_utc") or "", where),
                    note,
                    percentile,
                )
    except OSError as exc:
        raise SlaTargetsError(f"cannot read SLA targets {path}: {exc.strerror}") from None
    return list(targets.values())


def _row(target: SlaTarget) -> tuple[object, ...]:
    return (
        target.workflow_external_id,
        target.max_duration_ms,
        target.deadline_utc,
        target.note,
        target.duration_percentile,
    )


def ensure_sla_targets_table(con: duckdb.DuckDBPyConnection) -> None:
    """The table the SLA views read, created empty so the views can be created before any
    targets are loaded (and given the percentile column where an older version made it)."""
    con.execute(sql_file("store", "create_sla_targets"))
    con.execute(sql_file("store", "add_sla_percentile"))


def load_sla_targets(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    """Replace the contents of ``sla_targets`` with the rows of the file at ``path`` (the
    settings layer gives ``SLA_TARGETS_FILE``, else the file the repository ships); returns the
    row count.

    The file is parsed fully before the table is touched, and the swap is one transaction, so a
    broken file leaves the previous targets in place.
    """
    targets = read_sla_targets(Path(path))
    ensure_sla_targets_table(con)
    wanted = sorted(_row(t) for t in targets)
    if con.execute(sql_file("store", "read_sla_targets")).fetchall() == wanted:
        return len(targets)  # unchanged: nothing written (the file stays as it was)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM sla_targets")
        if targets:
            con.executemany(
                "INSERT INTO sla_targets (workflow_external_id, max_duration_ms, deadline_utc, "
                "note, duration_percentile) VALUES (?, ?, ?, ?, ?)",
                [list(_row(t)) for t in targets],
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return len(targets)


def install_sla(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    """Load the targets file into ``sla_targets`` for the SLA models, which read it when they are
    queried (they are created with the other models). Returns the number of target rows loaded.
    """
    return load_sla_targets(con, path)
