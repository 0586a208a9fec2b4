"""The trigger ingest against the simulator in-process: incremental re-runs, and missed runs
that agree with the simulator's own paused windows and failed fires."""

from __future__ import annotations

import math
from pathlib import Path

import httpx

from cdf_simulator import Simulator, create_app
from cdf_simulator.trigger_fires import Trigger
from tests.support.ingest import ingest
from tests.support.sim import cdf_config_for, small_sim_config
from warehouse.store import Warehouse
from warehouse.trigger_tables import datetime_to_ms

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS


def history(sim: Simulator, external_id: str) -> list[dict]:
    rows: list[dict] = []
    cursor = None
    while True:
        found = sim.world.trigger_history(external_id, 1000, cursor, sim.clock.now_ms())
        assert found is not None
        page, cursor = found
        rows += page
        if cursor is None:
            return rows


def count(directory: Path, table: str) -> int:
    with Warehouse(directory, read_only=True) as wh:
        return wh.connection.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]


def scheduled_in(t: Trigger, start_ms: int, end_ms: int) -> set[int]:
    """The simulator's own slot instants in [start, end), independent of croniter."""
    wf = t.workflow
    out = set()
    for slot in t.slot_range(start_ms, end_ms):
        at = t.slot_time(slot)
        hour_ok = (
            wf.active_hours >= 24
            or wf.period_ms >= DAY_MS
            or ((at // HOUR_MS) % 24 - wf.first_hour) % 24 < wf.active_hours
        )
        if start_ms <= at < end_ms and hour_ok:
            out.add(at)
    return out


def test_reruns_add_only_new_trigger_runs(tmp_path: Path) -> None:
    sim = Simulator(small_sim_config())
    transport = httpx.ASGITransport(app=create_app(sim))
    config = cdf_config_for("http://127.0.0.1")
    directory = tmp_path / "wh"
    triggers = list(sim.world.triggers_by_external_id)
    sizes = {x: len(history(sim, x)) for x in triggers}
    total = sum(sizes.values())

    first = ingest(config, directory, transport).triggers
    assert first["triggers_listed"] == len(triggers) >= 5
    assert first["runs_inserted"] == total > 300
    assert count(directory, "trigger_runs") == total
    assert count(directory, "workflow_triggers") == len(triggers)
    expected_rows = count(directory, "trigger_expected_fires")
    assert expected_rows == first["expected_inserted"] > 0

    sim.stats.reset()
    second = ingest(config, directory, transport).triggers
    assert (second["runs_inserted"], second["expected_inserted"]) == (0, 0)
    # Only the lookback (24 h) is rewritten, not the whole history.
    assert second["runs_in_window"] < total / 5
    assert sim.requests_by_kind["triggers"] == 1
    assert sim.requests_by_kind["trigger_history"] == sum(
        max(1, math.ceil(n / 1000)) for n in sizes.values()
    )
    assert count(directory, "trigger_runs") == total

    before = sim.clock.now_ms()
    sim.clock.advance(6 * HOUR_MS)
    new = sum(1 for x in triggers for r in history(sim, x) if r["fireTime"] > before)
    third = ingest(config, directory, transport).triggers
    assert third["runs_inserted"] == new > 0
    assert count(directory, "trigger_runs") == total + new
    assert count(directory, "trigger_expected_fires") == expected_rows + third["expected_inserted"]


def test_paused_windows_and_failed_fires_show_up_as_missed_runs(tmp_path: Path) -> None:
    sim = Simulator(small_sim_config(history_days=30, future_days=30))
    world = sim.world
    paused = [
        t
        for t in world.triggers.values()
        if t.trigger_type == "schedule"
        and t.pauses
        and scheduled_in(t, t.pauses[0].start_ms, t.pauses[0].end_ms)
    ]
    assert paused
    sim.clock.set(max(t.pauses[0].end_ms for t in paused) + 2 * DAY_MS)
    directory = tmp_path / "wh"
    report = ingest(
        cdf_config_for("http://127.0.0.1"), directory, httpx.ASGITransport(app=create_app(sim))
    ).triggers
    as_of = report["as_of_ms"]
    with Warehouse(directory) as wh:
        con = wh.connection
        misses = con.execute(
            "SELECT trigger_external_id, scheduled_time, miss_kind, fire_time FROM trigger_misses"
        ).fetchall()
        periods = con.execute(
            "SELECT trigger_external_id, first_silent_time, last_silent_time, silent_fires, "
            "resumed_scheduled_time FROM trigger_paused_periods"
        ).fetchall()
    not_fired = {(x, datetime_to_ms(at)) for x, at, kind, _ in misses if kind == "not_fired"}
    for t in paused:
        w = t.pauses[0]
        inside = scheduled_in(t, w.start_ms, w.end_ms)
        assert {(t.external_id, at) for at in inside} <= not_fired
        [period] = [p for p in periods if p[0] == t.external_id]
        assert datetime_to_ms(period[1]) == min(inside)
        assert datetime_to_ms(period[2]) == max(inside)
        assert period[3] == len(inside)
        assert datetime_to_ms(period[4]) >= w.end_ms
    # Every slot with no fire lies in a paused window of its trigger: nothing else goes missing.
    for x, at in not_fired:
        t = world.triggers_by_external_id[x]
        assert any(w.contains(at) for w in t.pauses), (x, at)
    # Failed fires are missed runs, and every failed fire due before the as-of instant is one.
    failed_in_history = {
        (t.external_id, r["fireTime"])
        for t in world.triggers.values()
        if t.trigger_type == "schedule"
        for r in history(sim, t.external_id)
        if r["status"] == "failed" and r["fireTime"] < as_of
    }
    failed_missed = {(x, datetime_to_ms(f)) for x, _, kind, f in misses if kind == "failed_fire"}
    assert failed_missed == failed_in_history
    assert failed_missed


def test_trigger_reads_share_the_request_budget_with_the_details(tmp_path: Path) -> None:
    # Trigger histories are read while the details are fetched: together they must stay
    # within the client's concurrency, or a project's cap answers 429.
    from cdf_simulator import FaultConfig

    sim = Simulator(small_sim_config())
    sim.set_faults(FaultConfig(max_concurrent=4, latency_ms=5, retry_after_s=0))
    transport = httpx.ASGITransport(app=create_app(sim))
    report = ingest(cdf_config_for("http://127.0.0.1", concurrency=4), tmp_path / "wh", transport)
    assert report.details_fetched > 100
    assert report.triggers["histories_read"] == len(sim.world.triggers_by_external_id) > 1
    assert sim.responses_by_status.get(429, 0) == 0
