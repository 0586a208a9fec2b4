"""What the command line prints: the ingest summary and query results (table, CSV, JSON)."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import time
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from pathlib import Path
from typing import Any

# Dagster's step keys of the nightly job; every other step is an asset check.
INGEST_STEP = "cdf_incremental_ingest"
VIEWS_STEP = "analytics_views"


def process_started_at() -> float:
    """When this process started (epoch seconds): the user's wait includes the interpreter's
    own start-up and the imports. Linux's /proc gives it; elsewhere, the first call's time.

    The start is read in the clock /proc counts it in (seconds since boot, as
    ``CLOCK_BOOTTIME``) and carried over to the wall clock at this instant. (/proc/stat's
    ``btime`` would do the same in whole seconds, making every process look up to a second
    older than it is.)
    """
    try:
        ticks = os.sysconf("SC_CLK_TCK")
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        # Field 22 of stat (starttime) is the 20th after the command's closing parenthesis.
        age = time.clock_gettime(time.CLOCK_BOOTTIME) - int(fields[19]) / ticks
        return time.time() - max(age, 0.0)
    except (OSError, ValueError, IndexError, AttributeError):
        return time.time()


def timing_line(
    started_at: float,
    first_request_at: float | None,
    step_started_at: dict[str, float],
    step_seconds: dict[str, float],
) -> str:
    """The times the user waited, one after the other: start-up (from the process's start to
    the run's first request to CDF), the ingest (the rest of its step), analytics, checks.

    Start-up ends at the first request, not at Dagster's first step: the ingest step opens the
    warehouse and reads its state before it asks CDF anything, and that is still waiting for
    the run to start. Without a request (a run that failed early) it ends at the first step.
    """
    total = time.time() - started_at
    parts = [f"done in {total:.1f}s"]
    ready_at = first_request_at
    if ready_at is None and step_started_at:
        ready_at = min(step_started_at.values())
    if ready_at is not None:
        parts.append(f"start-up {max(ready_at - started_at, 0.0):.1f}s")
    ingest = step_seconds.get(INGEST_STEP)
    views = step_seconds.get(VIEWS_STEP)
    checks = sum(s for k, s in step_seconds.items() if k not in (INGEST_STEP, VIEWS_STEP))
    if ingest is not None:
        ingest_started = step_started_at.get(INGEST_STEP)
        if first_request_at is not None and ingest_started is not None:
            # The step's set-up before its first request was counted as start-up.
            ingest -= min(max(first_request_at - ingest_started, 0.0), ingest)
        parts.append(f"ingest {ingest:.1f}s")
    if views is not None:
        parts.append(f"analytics {views:.1f}s")
    if len(step_seconds) > (INGEST_STEP in step_seconds) + (VIEWS_STEP in step_seconds):
        parts.append(f"checks {checks:.1f}s")
    return ", ".join(parts)


def analytics_line(metadata: dict[str, dict[str, Any]]) -> str | None:
    """How the analytics build went, from the models' metadata (None when it did not run)."""
    builds = {name: m["build"] for name, m in metadata.items() if "build" in m}
    if not builds:
        return None
    tables = [name for name, mode in builds.items() if mode != "view"]
    whole = [name for name in tables if builds[name] == "full"]
    rest = [name for name in tables if name not in whole]
    recomputed = max((int(metadata[n].get("executions_recomputed", 0)) for n in rest), default=0)
    views = len(builds) - len(tables)
    if whole:
        done = f"rebuilt whole: {', '.join(sorted(whole))}"
        # The others were kept up to date, possibly by the ingest itself as it wrote.
        if rest and recomputed:
            done += f"; {len(rest)} others: up to {recomputed:,} executions recomputed"
        elif rest:
            done += f"; {len(rest)} others up to date"
    elif recomputed:
        done = f"up to {recomputed:,} executions recomputed"
    else:
        done = "nothing new to recompute"
    return f"analytics: {len(tables)} tables ({done}), {views} views"


def ingest_counts_line(executions: dict[str, Any]) -> str:
    return (
        f"listed {executions.get('executions_listed', 0):,} executions (new "
        f"{executions.get('executions_new', 0):,}, changed "
        f"{executions.get('executions_changed', 0):,}, open re-checked "
        f"{executions.get('executions_still_open', 0):,}, unchanged "
        f"{executions.get('executions_unchanged', 0):,}); fetched "
        f"{executions.get('details_fetched', 0):,} details; "
        f"{executions.get('api_requests', 0):,} API requests, "
        f"{executions.get('api_retries', 0):,} retries"
    )


# --- query results ---------------------------------------------------------------------------


def display_value(value: Any) -> str:
    """A cell for people: floats rounded to what a reader compares, NULL spelled out."""
    if value is None:
        return "NULL"
    if isinstance(value, float | Decimal):
        number = float(value)
        if math.isnan(number) or math.isinf(number):
            return str(number)
        if number == 0 or 1e-3 <= abs(number) < 1e15:
            digits = 3 if abs(number) < 1000 else 1
            text = f"{number:.{digits}f}".rstrip("0").rstrip(".")
            return "0" if text in ("-0", "") else text
        return f"{number:.3g}"
    if isinstance(value, datetime | date | dtime):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def render_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Every column, aligned, nothing cut: numbers right, text left."""
    cells = [[display_value(v) for v in row] for row in rows]
    widths = [max([len(name), *(len(line[i]) for line in cells)]) for i, name in enumerate(columns)]
    numeric = [
        bool(rows) and all(isinstance(r[i], int | float | Decimal) or r[i] is None for r in rows)
        for i in range(len(columns))
    ]

    def line(values: Sequence[str]) -> str:
        return " | ".join(
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=True)
        ).rstrip()

    rule = "-+-".join("-" * w for w in widths)
    return "\n".join([line(columns), rule, *(line(c) for c in cells)])


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        # A number too large for a float (1e400 in a JSON payload) stays its digits, as text.
        number = float(value)
        return number if math.isfinite(number) else str(value)
    if isinstance(value, datetime | date | dtime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return str(value)


def _parsed(value: Any) -> Any:
    try:
        # Decimals, not floats: a float would turn 1e400 into Infinity, which is not JSON.
        return json.loads(value, parse_float=Decimal) if isinstance(value, str) else value
    except ValueError:
        return value


def render_json(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], json_columns: Sequence[int] = ()
) -> str:
    """One object per row, values as DuckDB gave them (times in ISO 8601); the columns at
    ``json_columns`` (DuckDB's JSON type) nested as JSON rather than as escaped strings."""
    nested = set(json_columns)
    records = [
        {
            name: _parsed(value) if i in nested else value
            for i, (name, value) in enumerate(zip(columns, row, strict=True))
        }
        for row in rows
    ]
    return json.dumps(records, default=_json_value, ensure_ascii=False, indent=1)


def render_csv(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """RFC 4180 CSV with a header; NULL is an empty field, values unrounded."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(
            [
                "" if v is None else v.isoformat() if isinstance(v, datetime | date) else v
                for v in row
            ]
        )
    return buffer.getvalue().rstrip("\n")
