"""View metadata for Dagster: computed within a memory budget, skipped (not failed) beyond it."""

from __future__ import annotations

import duckdb
import pytest

from warehouse import inspection as inspect


def test_small_view_gets_columns_count_and_preview() -> None:
    con = duckdb.connect()
    con.execute("CREATE VIEW v AS SELECT i AS n, 'row ' || i AS label FROM range(25) t(i)")
    summary = inspect.view_summary(con, "v")
    assert summary.columns == [("n", "BIGINT"), ("label", "VARCHAR")]
    assert summary.row_count == 25
    assert len(summary.preview) == 10 and summary.preview[0] == {"n": 0, "label": "row 0"}
    assert summary.skipped is None


def test_view_over_the_budget_is_described_but_not_computed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    con = duckdb.connect()
    limit = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    # One aggregate state of ~100 MB: it cannot spill to disk.
    con.execute(
        "CREATE VIEW heavy AS "
        "SELECT string_agg(repeat('x', 1000) || i::VARCHAR, ',') AS s FROM range(100000) t(i)"
    )
    monkeypatch.setattr(inspect, "VIEW_METADATA_MEMORY", "8MB")
    summary = inspect.view_summary(con, "heavy")
    assert summary.columns == [("s", "VARCHAR")]
    assert summary.row_count is None and summary.preview == []
    assert summary.skipped is not None and "8MB" in summary.skipped
    # The connection's own limit is back, and the view still works without the budget.
    assert con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0] == limit
    assert con.execute("SELECT length(s) > 100_000_000 FROM heavy").fetchall() == [(True,)]


def test_the_connections_own_cap_is_put_back() -> None:
    con = duckdb.connect()
    con.execute("SET memory_limit = '2GB'")
    con.execute("CREATE VIEW v AS SELECT 1 AS a")
    assert inspect.view_summary(con, "v", "2GB").row_count == 1
    assert con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0] == "1.8 GiB"
