"""Values formatted for people, shared by the HTML report and the notebook.

The warehouse keeps durations in milliseconds and rates as fractions; readers want
"2 h 54 min", "96.1 %" and "10,491,413". A column's name says what its values are: ``*_ms`` is a
duration, ``*_rate`` / ``*_share`` a fraction shown as a percentage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import polars as pl

MISSING = "-"
_SECOND = 1_000
_MINUTE = 60 * _SECOND
_HOUR = 60 * _MINUTE
_DAY = 24 * _HOUR


def format_duration(ms: float | None) -> str:
    """A duration in milliseconds as people read it: "850 ms", "3.2 s", "4 min 12 s",
    "2 h 54 min", "3 d 4 h". Larger units are truncated, not rounded up, so a run of
    2 h 54 min 51 s never reads as 2 h 55 min."""
    if ms is None:
        return MISSING
    sign = "-" if ms < 0 else ""
    value = abs(float(ms))
    if value < _SECOND:
        return f"{sign}{value:.0f} ms"
    if value < _MINUTE:
        # One decimal, truncated: 59.96 s stays "59.9 s" instead of rounding to "60.0 s".
        tenths = int(value // 100)
        return f"{sign}{tenths // 10}.{tenths % 10} s"
    whole = int(value)
    for big, small, big_unit, small_unit in (
        (_DAY, _HOUR, "d", "h"),
        (_HOUR, _MINUTE, "h", "min"),
        (_MINUTE, _SECOND, "min", "s"),
    ):
        if whole >= big:
            first, rest = divmod(whole, big)
            second = rest // small
            text = f"{first:,} {big_unit}"
            return f"{sign}{text} {second} {small_unit}" if second else f"{sign}{text}"
    raise AssertionError("unreachable")  # pragma: no cover


def format_rate(fraction: float | None, digits: int = 1) -> str:
    """A fraction as a percentage: 0.9614849187935035 -> "96.1 %"."""
    if fraction is None:
        return MISSING
    return f"{fraction * 100:.{digits}f} %"


def format_count(count: float | None) -> str:
    """A count with thousands separators: 10491413 -> "10,491,413"."""
    if count is None:
        return MISSING
    if isinstance(count, float) and not count.is_integer():
        return f"{count:,.2f}"
    return f"{int(count):,}"


def format_timestamp(moment: datetime | None) -> str:
    if moment is None:
        return MISSING
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return f"{moment:%Y-%m-%d %H:%M:%S}"


def is_duration(column: str) -> bool:
    return column.endswith("_ms")


def is_rate(column: str) -> bool:
    return column.endswith(("_rate", "_share"))


def is_numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def format_value(value: Any, column: str) -> str:
    """One cell as text, by what its column holds."""
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if is_numeric(value):
        if is_duration(column):
            return format_duration(value)
        if is_rate(column):
            return format_rate(value)
        return format_count(value)
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def column_label(column: str) -> str:
    """A column name as a heading: "p95_duration_ms" -> "p95 duration"."""
    name = column.removesuffix("_ms") if is_duration(column) else column
    return name.replace("_", " ")


@dataclass(frozen=True)
class Cell:
    text: str
    numeric: bool = False
    missing: bool = False


@dataclass(frozen=True)
class Table:
    """A titled table of formatted cells, ready for a template or a notebook."""

    title: str
    headers: list[str]
    rows: list[list[Cell]]
    empty: str

    @property
    def is_empty(self) -> bool:
        return not self.rows

    def to_polars(self) -> pl.DataFrame:
        """The formatted table as a frame of strings (what the notebook displays)."""
        columns = {
            header: [row[i].text for row in self.rows] for i, header in enumerate(self.headers)
        }
        return pl.DataFrame(columns, schema=dict.fromkeys(self.headers, pl.String))


def format_table(frame: pl.DataFrame | None, title: str, empty: str = "nothing to show") -> Table:
    """``frame`` with every value formatted for people, under ``title``."""
    if frame is None:
        return Table(title=title, headers=[], rows=[], empty=empty)
    columns = frame.columns
    rows = [
        [
            Cell(format_value(value, column), is_numeric(value), value is None)
            for column, value in zip(columns, row, strict=True)
        ]
        for row in frame.iter_rows()
    ]
    return Table(title=title, headers=[column_label(c) for c in columns], rows=rows, empty=empty)
