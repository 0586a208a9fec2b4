"""Every analytics view against values worked out by hand from ``world.py``."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from tests.support.analytics_world import D1, D2, PROJECT, rows, t

DAY1 = date(2024, 5, 1)
DAY2 = date(2024, 5, 2)


def test_execution_facts_keeps_every_execution_and_bad_times(
    con: duckdb.DuckDBPyConnection,
) -> None:
    assert rows(con, "SELECT count(*) FROM execution_facts") == [(14,)]
    got = {
        r[0]: r[1:]
        for r in rows(
            con,
            "SELECT execution_id, status_class, duration_ms, queue_ms, latency_ms, task_rows "
            "FROM execution_facts WHERE execution_id IN ('E1', 'R1', 'R2', 'R3', 'B1')",
        )
    }
    assert got["E1"] == ("success", 600_000, 10_000, 610_000, 6)
    # Ends a minute before it starts: no duration, no latency, but still a success.
    assert got["R1"] == ("success", None, 0, None, 0)
    assert got["R2"] == ("unknown", None, 0, None, 0)
    assert got["R3"] == ("running", None, None, None, 0)
    assert got["B1"] == ("success", 300_000, 0, 300_000, 200)


def test_day_is_the_utc_date_whatever_the_session_zone(con: duckdb.DuckDBPyConnection) -> None:
    # E1 was created at 01:00 UTC, the previous evening in Los Angeles.
    con.execute("SET TimeZone = 'America/Los_Angeles'")
    assert rows(con, "SELECT day FROM execution_facts WHERE execution_id = 'E1'") == [(DAY1,)]


def test_execution_durations_daily(con: duckdb.DuckDBPyConnection) -> None:
    got = {r[:4]: r[4:] for r in rows(con, "SELECT * FROM execution_durations_daily")}
    assert len(got) == 6
    # etl v1 day 1: durations 600k, 1.2M, 1.2M (a tie); queue 10 s, 0, 30 s;
    # latency 610k, 1.2M, 1.23M.
    assert got[(PROJECT, "etl", "1", DAY1)] == (
        3, 2, 1, 0, 0, pytest.approx(2 / 3),
        1_200_000, 1_200_000, 1_200_000,
        10_000, 28_000, 29_600,
        1_200_000, 1_227_000, 1_229_400,
    )  # fmt: skip
    # etl v2 day 2: TIMED_OUT 3.6M, FAILED 5k, COMPLETED 600k, one RUNNING (queue 0).
    assert got[(PROJECT, "etl", "2", DAY2)] == (
        4, 1, 2, 1, 0, pytest.approx(1 / 3),
        600_000, 3_300_000, 3_540_000,
        0, 0, 0,
        600_000, 3_300_000, 3_540_000,
    )  # fmt: skip
    # report day 1: the unknown status is counted in volume, not in the rate; the only
    # terminal run ends before it starts, so no duration at all.
    assert got[(PROJECT, "report", "1", DAY1)] == (
        2, 1, 0, 0, 1, 1.0, None, None, None, 0, 0, 0, None, None, None,
    )  # fmt: skip
    # report day 2: a queued run has no queue time yet.
    assert got[(PROJECT, "report", "1", DAY2)][:6] == (3, 0, 1, 2, 0, 0.0)
    assert got[(PROJECT, "report", "1", DAY2)][6] == 60_000


def test_task_hot_spots(con: duckdb.DuckDBPyConnection) -> None:
    cols = (
        "runs, executions, finished, completed, failed, completed_with_errors, timed_out, "
        "skipped, cancelled, in_progress, unknown_status, failure_rate, timeout_rate, "
        "skip_rate, p50_duration_ms, p95_duration_ms"
    )
    got = {
        (r[0], r[1], r[2]): r[3:]
        for r in rows(
            con,
            f"SELECT workflow_external_id, level, task_key, {cols} FROM task_hot_spots",
        )
    }
    # extract: 120k, 120k, 100k, 3.6M (timed out), 5k (failed), 600k.
    assert got[("etl", "task", "extract")] == (
        6, 6, 6, 4, 1, 0, 1, 0, 0, 0, 0, pytest.approx(1 / 6), pytest.approx(1 / 6), 0.0,
        120_000, 2_850_000,
    )  # fmt: skip
    # transform: two rows in E2 (60k failed, 180k retry) plus 180k and 200k.
    assert got[("etl", "task", "transform")] == (
        4, 3, 4, 3, 1, 0, 0, 0, 0, 0, 0, 0.25, 0.0, 0.0, 180_000, 197_000,
    )  # fmt: skip
    # The two dynamic children folded under their parent: 240k and 280k, one with errors.
    assert got[("etl", "children", "fanout")] == (
        2, 1, 2, 1, 0, 1, 0, 0, 0, 0, 0, 0.5, 0.0, 0.0, 260_000, 278_000,
    )  # fmt: skip
    assert rows(
        con,
        "SELECT parent_task_external_id, runs FROM task_hot_spots "
        "WHERE level = 'task' AND task_key = 'fanout-2'",
    ) == [("fanout", 1)]
    # In progress and unknown task statuses are visible but have no rate.
    assert got[("report", "task", "render")][:3] == (1, 1, 0)
    assert got[("report", "task", "render")][9:12] == (1, 0, None)
    assert got[("report", "task", "archive")][10:12] == (1, None)
    assert got[("report", "task", "notify")][7] == 1
    assert got[("report", "task", "notify")][13] == 1.0


def test_task_retries_several_rows_in_one_execution(con: duckdb.DuckDBPyConnection) -> None:
    assert rows(
        con,
        "SELECT execution_id, task_external_id, attempts, failed_attempts, first_status, "
        "final_status, recovered, total_duration_ms FROM task_retries",
    ) == [("E2", "transform", 2, 1, "FAILED", "COMPLETED", True, 240_000)]


def test_flaky_tasks_both_forms(con: duckdb.DuckDBPyConnection) -> None:
    sql = (
        "SELECT task_key, executions, successes, failures, in_execution_retries, "
        "in_execution_recoveries, cross_execution_recoveries, last_recovery_time, is_flaky "
        "FROM flaky_tasks WHERE workflow_external_id = 'etl' ORDER BY task_key"
    )
    got = {r[0]: r[1:] for r in rows(con, sql)}
    # extract: C C C | TIMED_OUT FAILED COMPLETED: E5 (02:00) -> E6 (05:00) within 24 h.
    assert got["extract"] == (6, 4, 2, 0, 0, 1, t(D2, "05:00:00"), True)
    # transform failed then succeeded inside E2 only.
    assert got["transform"] == (3, 3, 0, 1, 1, 0, t(D1, "02:00:00"), True)
    # load: failed in E2, completed in E3 an hour later.
    assert got["load"] == (3, 2, 1, 0, 0, 1, t(D1, "03:00:00"), True)
    assert got["fanout"][-1] is False
    # A child that ended with errors is a failure, never followed by a success.
    assert got["fanout-2"] == (1, 0, 1, 0, 0, 0, None, False)

    # With a 2 h window the 3 h gap of extract no longer counts; load's 1 h still does.
    con.execute("SET VARIABLE flaky_window_ms = 7200000")
    got = {r[0]: r[1:] for r in rows(con, sql)}
    assert got["extract"][5:] == (0, None, False)
    assert got["load"][5] == 1


def test_workflow_incidents_and_mttr(con: duckdb.DuckDBPyConnection) -> None:
    got = rows(
        con,
        "SELECT workflow_external_id, day, first_failed_execution_id, failed_at, failures, "
        "resolved_by_execution_id, resolved_at, time_to_resolution_ms, is_resolved, "
        "resolved_within_window FROM workflow_incidents ORDER BY workflow_external_id, day",
    )
    assert got == [
        # E2 ends 02:20; E3 ends 03:20:30.
        ("etl", DAY1, "E2", t(D1, "02:20:00"), 1, "E3", t(D1, "03:20:30"), 3_630_000,
         True, True),
        # E4 ends 01:30, E5 fails too, E6 ends 05:10; the RUNNING E7 changes nothing.
        ("etl", DAY2, "E4", t(D2, "01:30:00"), 2, "E6", t(D2, "05:10:00"), 13_200_000,
         True, True),
        # No success after R4 (the PAUSED R2 and the RUNNING runs do not count).
        ("report", DAY2, "R4", t(D2, "07:01:00"), 1, None, None, None, False, None),
    ]  # fmt: skip
    assert rows(con, "SELECT * FROM workflow_mttr_daily ORDER BY workflow_external_id, day") == [
        (PROJECT, "etl", DAY1, 1, 1, 0, 1, 3_630_000, 3_630_000, 3_630_000),
        (PROJECT, "etl", DAY2, 1, 1, 0, 2, 13_200_000, 13_200_000, 13_200_000),
        (PROJECT, "report", DAY2, 1, 0, 1, 1, None, None, None),
    ]


def test_sla_breaches(con: duckdb.DuckDBPyConnection) -> None:
    got = rows(
        con,
        "SELECT execution_id, elapsed_ms, max_duration_ms, over_budget_ms, deadline_at, "
        "late_by_ms, target_source, breached_duration, breached_deadline "
        "FROM sla_breaches ORDER BY execution_id",
    )
    assert got == [
        # etl: 30 min inherited from '*', deadline 01:15 of its own; 1 h run ending 01:30.
        ("E4", 3_600_000, 1_800_000, 1_800_000, t(D2, "01:15:00"), 900_000, "workflow",
         True, True),
        # report: 30 s budget; R2 (unknown status) has been going 25 h at "now".
        ("R2", 90_000_000, 30_000, 89_970_000, None, None, "workflow", True, False),
        ("R4", 60_000, 30_000, 30_000, None, None, "workflow", True, False),
        # R5 is still running: 07:00:30 -> 12:00.
        ("R5", 17_970_000, 30_000, 17_940_000, None, None, "workflow", True, False),
        # tiny has no row: the '*' default applies.
        ("T1", 2_430_000, 1_800_000, 630_000, None, None, "default", True, False),
    ]  # fmt: skip


def test_sla_breaches_daily(con: duckdb.DuckDBPyConnection) -> None:
    got = rows(
        con,
        "SELECT workflow_external_id, day, executions, checked, duration_breaches, "
        "deadline_breaches, breaching_executions, deadline_met "
        "FROM sla_breaches_daily ORDER BY workflow_external_id, day",
    )
    assert got == [
        ("bulk", DAY1, 1, 1, 0, 0, 0, None),
        # E1 completed at 01:10:10, before the 01:15 deadline.
        ("etl", DAY1, 3, 3, 0, 0, 0, True),
        # The only completed run of day 2 ended at 05:10.
        ("etl", DAY2, 4, 4, 1, 1, 1, False),
        ("report", DAY1, 2, 2, 1, 0, 1, None),
        ("report", DAY2, 3, 3, 2, 0, 2, None),
        ("tiny", DAY1, 1, 1, 1, 0, 1, None),
    ]


def test_deadline_not_yet_passed_is_undecided(con: duckdb.DuckDBPyConnection) -> None:
    # At 01:00 on day 2 the 01:15 deadline is still ahead and E4 is within its hour.
    con.execute("SET VARIABLE analytics_now = ?::TIMESTAMPTZ", [t(D2, "01:00:00")])
    assert rows(
        con,
        "SELECT deadline_met FROM sla_breaches_daily "
        "WHERE workflow_external_id = 'etl' AND day = ?",
        [DAY2],
    ) == [(None,)]


def test_failure_reasons_normalised_and_grouped(con: duckdb.DuckDBPyConnection) -> None:
    got = {
        (r[0], r[1]): r[2:]
        for r in rows(
            con,
            "SELECT source, normalized_reason, occurrences, executions, workflows_affected, "
            "first_seen, last_seen FROM failure_reasons",
        )
    }
    assert got == {
        ("execution", "Execution timed out after <n> s at <time> in <value>"): (
            2, 2, 2, t(D2, "00:30:00"), t(D2, "07:00:00")),
        ("execution", "Task load failed: job <uuid> returned <n>"): (
            1, 1, 1, t(D1, "02:00:00"), t(D1, "02:00:00")),
        ("execution", "<no reason given>"): (1, 1, 1, t(D2, "02:00:00"), t(D2, "02:00:00")),
        ("task", "Task timed out after <n> s"): (
            2, 2, 1, t(D2, "00:30:00"), t(D2, "02:00:00")),
        ("task", "Timeout after <n> s"): (1, 1, 1, t(D1, "02:00:00"), t(D1, "02:00:00")),
        ("task", "Function call <n> failed (callId <id>)"): (
            1, 1, 1, t(D1, "01:00:00"), t(D1, "01:00:00")),
        ("task", "<no reason given>"): (1, 1, 1, t(D1, "02:00:00"), t(D1, "02:00:00")),
    }  # fmt: skip


def test_critical_paths(con: duckdb.DuckDBPyConnection) -> None:
    got = {
        r[0]: r[1:]
        for r in rows(
            con,
            "SELECT execution_id, path_status, critical_path, critical_path_ms, "
            "dominant_task_external_id, dominant_task_ms, dominant_share FROM critical_paths",
        )
    }
    assert len(got) == 14
    # fanout runs 10 s itself but its children span 290 s: extract 120 + fanout 290 +
    # load 180 = 590 s beats extract + transform + load = 480 s.
    assert got["E1"] == (
        "ok", ["extract", "fanout", "load"], 590_000, "fanout", 290_000,
        pytest.approx(290 / 590),
    )  # fmt: skip
    # transform's two attempts add up (60 + 180 s): 120 + 240 + 840 = 1 200 s.
    assert got["E2"] == ("ok", ["extract", "transform", "load"], 1_200_000, "load", 840_000, 0.7)
    assert got["E3"][:4] == ("ok", ["extract", "fanout", "load"], 450_000, "fanout")
    assert got["E4"][:4] == ("ok", ["extract"], 3_600_000, "extract")
    # Nothing has a duration yet: every chain sums to 0, the shortest wins the tie.
    assert got["R5"] == ("ok", ["render"], 0, "render", 0, None)
    assert got["R1"] == ("no_tasks", None, None, None, None, None)
    assert got["E7"][0] == "no_tasks"
    # Tasks but no definition rows for the hash (or no hash at all).
    assert got["T1"][0] == "no_definition"
    assert got["B1"][0] == "no_definition"


def test_stuck_runs(con: duckdb.DuckDBPyConnection) -> None:
    got = rows(
        con,
        "SELECT execution_id, is_queued, elapsed_ms, usual_p95_ms, history_runs, "
        "over_usual_p95, near_24h_cap FROM stuck_runs ORDER BY execution_id",
    )
    # report's usual p95 comes from R4 alone (R1 has no duration). E7 has run 5 min against
    # etl's p95 of 3 000 000 ms, so it is not stuck.
    assert got == [
        ("R2", False, 90_000_000, 60_000, 1, True, True),
        ("R3", True, 21_600_000, 60_000, 1, True, False),
        ("R5", False, 17_970_000, 60_000, 1, True, False),
    ]


def test_capacity_tasks_daily(con: duckdb.DuckDBPyConnection) -> None:
    got = {
        (r[0], r[1]): r[2:]
        for r in rows(
            con,
            "SELECT workflow_external_id, day, executions, max_task_rows, p95_task_rows, "
            "executions_over_90pct, executions_at_cap, max_utilisation, max_tasks, p95_tasks, "
            "executions_over_cap FROM capacity_tasks_daily",
        )
    }
    assert got[("bulk", DAY1)] == (1, 200, 200.0, 1, 1, 1.0, 200, 200.0, 0)
    # E1 6 rows, E2 5 (transform twice: 4 tasks), E3 4.
    assert got[("etl", DAY1)] == (3, 6, pytest.approx(5.9), 0, 0, 0.03, 6, pytest.approx(5.8), 0)
    assert got[("report", DAY1)] == (2, 0, 0.0, 0, 0, 0.0, 0, 0.0, 0)


def test_capacity_concurrency_daily(con: duckdb.DuckDBPyConnection) -> None:
    got = rows(con, "SELECT * FROM capacity_concurrency_daily ORDER BY day")
    assert got == [
        # T1 starts exactly when E2 ends and ends exactly when E3 starts: never 2 at once.
        # The first overlap is R2 (PAUSED since 11:00) with B1 at 20:00.
        (PROJECT, DAY1, 2, t(D1, "20:00:00"), 50, 0.04, 6, 1),
        # R2 runs into day 2 until its 24 h cap at 11:00; R2 + R4 + R5 at 07:00:30.
        (PROJECT, DAY2, 3, t(D2, "07:00:30"), 50, 0.06, 6, 1),
    ]
