"""A nightly run's checks look at the rows written since a time: the rows of every execution
stamped since then, whichever rows of the table those are."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from cdf_simulator import Simulator, create_app
from tests.support.ingest import ingest
from tests.support.sim import cdf_config_for, small_sim_config
from warehouse.data_checks import DataCheck, data_checks, run_data_check
from warehouse.store import Warehouse


def _check(name: str) -> DataCheck:
    (check,) = [c for c in data_checks() if c.name == name]
    return check


@pytest.fixture
def written_now(tmp_path: Path) -> Iterator[tuple[Warehouse, datetime, str, int]]:
    """A warehouse with one execution from the middle of the table stamped as written now; its
    task rows' first row id."""
    directory = tmp_path / "warehouse"
    ingest(
        cdf_config_for("http://127.0.0.1"),
        directory,
        transport=httpx.ASGITransport(app=create_app(Simulator(small_sim_config()))),
    )
    with Warehouse(directory) as wh:
        con = wh.connection
        (execution,) = con.execute(
            "SELECT execution_id FROM task_executions ORDER BY rowid "
            "LIMIT 1 OFFSET (SELECT count(*) // 2 FROM task_executions)"
        ).fetchone()
        (first_row,) = con.execute(
            "SELECT min(rowid) FROM task_executions WHERE execution_id = ?", [execution]
        ).fetchone()
        assert first_row > 0  # rows of other executions come before it
        since = datetime.now(UTC)
        con.execute(
            "UPDATE workflow_executions SET ingested_at = ? WHERE execution_id = ?",
            [since, execution],
        )
        yield wh, since, execution, first_row


def test_the_first_task_row_of_a_written_execution_is_checked(
    written_now: tuple[Warehouse, datetime, str, int],
) -> None:
    wh, since, execution, first_row = written_now
    con = wh.connection
    check = _check("task_times_inside_execution")
    # Inside the window first (the simulator sends small skews, as CDF does)...
    con.execute(
        "UPDATE task_executions AS t SET start_time = e.created_time, end_time = e.end_time "
        "FROM workflow_executions AS e "
        "WHERE e.execution_id = t.execution_id AND t.execution_id = ?",
        [execution],
    )
    assert run_data_check(con, check, since=since).count == 0
    # ...then its first row starts before the execution was created.
    con.execute(
        "UPDATE task_executions SET start_time = start_time - INTERVAL 1 MINUTE WHERE rowid = ?",
        [first_row],
    )
    found = run_data_check(con, check, since=since)
    assert found.count == 1
    (task_row,) = con.execute(
        "SELECT task_execution_id FROM task_executions WHERE rowid = ?", [first_row]
    ).fetchone()
    assert found.examples[0]["task_execution_id"] == task_row


def test_a_written_task_row_that_repeats_an_older_key_is_found(
    written_now: tuple[Warehouse, datetime, str, int],
) -> None:
    wh, since, _, first_row = written_now
    con = wh.connection
    check = _check("tasks_key_unique")
    shared = _check("task_ids_shared")
    assert run_data_check(con, check, since=since).count == 0
    assert run_data_check(con, shared, since=since).count == 0
    # The written execution's first row takes the task id of the table's first row (not written
    # now): the source sent one task id under two executions, which the warning names.
    con.execute(
        "UPDATE task_executions SET task_execution_id = "
        "(SELECT task_execution_id FROM task_executions WHERE rowid = 0) WHERE rowid = ?",
        [first_row],
    )
    assert run_data_check(con, check, since=since).count == 0
    found = run_data_check(con, shared, since=since)
    assert found.count == 1 and found.examples[0]["executions"] == 2
    assert run_data_check(con, shared).count == 1  # the whole warehouse finds it too
    # A task row copied within its execution: the same key twice, our write gone wrong.
    con.execute(
        "UPDATE task_executions AS t SET task_execution_id = o.task_execution_id "
        "FROM task_executions AS o WHERE t.rowid = ? AND o.execution_id = t.execution_id "
        "AND o.rowid = (SELECT max(rowid) FROM task_executions "
        "               WHERE execution_id = (SELECT execution_id FROM task_executions "
        "                                     WHERE rowid = ?))",
        [first_row, first_row],
    )
    assert run_data_check(con, check, since=since).count == 1
