"""Values formatted for people, as the report and the notebook show them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import polars as pl
import pytest

from workflow_analytics.formatting import (
    column_label,
    format_count,
    format_duration,
    format_rate,
    format_table,
    format_value,
)


@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (0, "0 ms"),
        (850, "850 ms"),
        (3_200, "3.2 s"),
        (59_960, "59.9 s"),
        (60_000, "1 min"),
        (252_000, "4 min 12 s"),
        (10_491_413, "2 h 54 min"),
        (7_200_000, "2 h"),
        (90_000_000, "1 d 1 h"),
        (-3_200, "-3.2 s"),
        (None, "-"),
    ],
)
def test_durations_read_as_people_say_them(ms: float | None, text: str) -> None:
    assert format_duration(ms) == text


def test_rates_counts_and_cells() -> None:
    assert format_rate(0.9614849187935035) == "96.1 %"
    assert format_rate(1.0) == "100.0 %"
    assert format_rate(None) == "-"
    assert format_count(10_491_413) == "10,491,413"
    assert format_count(2.5) == "2.50"
    assert format_value(10_491_413, "p95_duration_ms") == "2 h 54 min"
    assert format_value(0.25, "dominant_share") == "25.0 %"
    assert format_value(1234, "executions") == "1,234"
    assert format_value(True, "near_24h_cap") == "yes"
    moment = datetime(2026, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    assert format_value(moment, "created_time") == "2026-03-01 10:00:00"
    assert format_value(date(2026, 3, 1), "day") == "2026-03-01"
    assert format_value("<b>x</b>", "reason") == "<b>x</b>"  # escaping is the template's job
    assert column_label("p95_duration_ms") == "p95 duration"
    assert column_label("success_rate") == "success rate"


def test_a_table_keeps_its_title_and_formats_every_cell() -> None:
    frame = pl.DataFrame(
        {
            "workflow": ["a", "b"],
            "executions": [12_345, 7],
            "success_rate": [0.9614849187935035, None],
            "p95_duration_ms": [10_491_413, 3_200],
            "last_seen": [datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), None],
        }
    )
    table = format_table(frame, "Executions per workflow")
    assert table.title == "Executions per workflow"
    assert table.headers == ["workflow", "executions", "success rate", "p95 duration", "last seen"]
    assert [c.text for c in table.rows[0]] == [
        "a", "12,345", "96.1 %", "2 h 54 min", "2026-01-02 03:04:05",
    ]  # fmt: skip
    assert [c.text for c in table.rows[1]] == ["b", "7", "-", "3.2 s", "-"]
    assert table.rows[0][1].numeric and not table.rows[0][0].numeric
    assert table.rows[1][2].missing
    shown = table.to_polars()
    assert shown.columns == table.headers
    assert shown.row(0) == ("a", "12,345", "96.1 %", "2 h 54 min", "2026-01-02 03:04:05")
    assert format_table(None, "SLA", "no SLA views").is_empty
