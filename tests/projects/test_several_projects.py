"""Several CDF projects into one warehouse: keys that do not collide even when ids are equal,
incremental state per project, one project's bad credentials, and the upgrade of a warehouse
made before rows carried their project."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import duckdb
import httpx
import orjson
import pyarrow.parquet as pq
import pytest

from cdf_client.config import CdfConfig
from cdf_client.errors import AuthError
from cdf_simulator import Simulator, create_app
from ingest.executions import HIGH_WATER_KEY, LAST_RUN_KEY
from ingest.runner import ProjectsFailedError, run_ingest, run_ingest_projects
from tests.support.ingest import parquet_matches_duckdb
from tests.support.sim import HOUR_MS, cdf_config_for, small_sim_config
from warehouse.schema import ALL_TABLES, DATA_TABLES, quote_identifier
from warehouse.store import Warehouse

# Small worlds: a few dozen executions each, enough for every table.
WORLD = {"workflows": 4, "executions_per_day": 6.0, "history_days": 4}
# alpha and beta share a seed, so the simulator hands out the very same execution, task and
# trigger ids in both projects; gamma is another world.
SEEDS = {"alpha": 7, "beta": 7, "gamma": 11}
# Columns that record when a row was written, not what CDF said.
RUN_STAMPS = {"ingested_at", "rejected_at", "computed_at", "last_seen_at"}


def _sims(**overrides: object) -> dict[str, Simulator]:
    return {
        name: Simulator(small_sim_config(seed=seed, project=name, **WORLD, **overrides))
        for name, seed in SEEDS.items()
    }


def _transports(sims: dict[str, Simulator]) -> dict[str, httpx.AsyncBaseTransport]:
    return {name: httpx.ASGITransport(app=create_app(sim)) for name, sim in sims.items()}


def _configs(names: list[str], **overrides: object) -> list:
    return [cdf_config_for("http://127.0.0.1", project=name, **overrides) for name in names]


def _rows(directory: Path, table: str, project: str) -> list[tuple]:
    """A project's rows of a table without cdf_project and run stamps, sorted."""
    with Warehouse(directory, read_only=True) as wh:
        cursor = wh.connection.execute(
            f"SELECT * EXCLUDE (cdf_project) FROM {quote_identifier(table)} WHERE cdf_project = $1",
            [project],
        )
        names = [d[0] for d in cursor.description]
        keep = [i for i, n in enumerate(names) if n not in RUN_STAMPS]
        return sorted(tuple(str(r[i]) for i in keep) for r in cursor.fetchall())


def test_projects_share_one_warehouse_and_equal_ids_do_not_collide(tmp_path: Path) -> None:
    sims = _sims()
    transports = _transports(sims)
    shared = tmp_path / "shared"
    outcome = run_ingest_projects(_configs(list(SEEDS)), shared, transports=transports)
    assert set(outcome.reports) == set(SEEDS) and not outcome.errors

    # Each project's rows are exactly what a warehouse of that project alone holds.
    for name in SEEDS:
        alone = tmp_path / name
        run_ingest(_configs([name])[0], alone, transport=transports[name])
        for table in (*DATA_TABLES, *(t for t in ALL_TABLES if t.name.startswith("trigger"))):
            assert _rows(shared, table.name, name) == _rows(alone, table.name, name), (name, table)
        visible = sims[name].world.count_visible(sims[name].clock.now_ms())
        assert outcome.reports[name].executions_inserted == visible

    with Warehouse(shared, read_only=True) as wh:
        con = wh.connection
        ids = {
            project: {
                r[0]
                for r in con.execute(
                    "SELECT execution_id FROM workflow_executions WHERE cdf_project = $1", [project]
                ).fetchall()
            }
            for project in SEEDS
        }
        # Same ids in alpha and beta, both kept; gamma's world is another one.
        assert ids["alpha"] == ids["beta"] and ids["alpha"]
        assert not ids["alpha"] & ids["gamma"]
        total = con.execute("SELECT count(*) FROM workflow_executions").fetchall()[0][0]
        assert total == sum(len(v) for v in ids.values())
        # The SLA view keeps the projects apart and each project's volume adds up.
        sla = dict(
            con.execute(
                "SELECT cdf_project, sum(executions) FROM workflow_daily_sla GROUP BY cdf_project"
            ).fetchall()
        )
        assert sla == {p: len(v) for p, v in ids.items()}
    counts = parquet_matches_duckdb(shared)
    assert counts["workflow_executions"] == (total, total)
    cols = duckdb.sql(
        "SELECT DISTINCT cdf_project FROM read_parquet(?, hive_partitioning = true)",
        params=[str(shared / "parquet" / "workflow_executions" / "*" / "*.parquet")],
    ).fetchall()
    assert {c[0] for c in cols} == set(SEEDS)


def test_incremental_state_is_kept_per_project(tmp_path: Path) -> None:
    sims = _sims()
    transports = _transports(sims)
    directory = tmp_path / "wh"
    configs = _configs(list(SEEDS))
    first = run_ingest_projects(configs, directory, transports=transports)
    # Only alpha's world moves on.
    sims["alpha"].clock.advance(12 * HOUR_MS)
    second = run_ingest_projects(configs, directory, transports=transports)
    alpha, beta = second.reports["alpha"], second.reports["beta"]
    assert alpha.new > 0 and beta.new == 0 and second.reports["gamma"].new == 0
    for name in SEEDS:
        before = first.reports[name].high_water_after_ms
        assert second.reports[name].window_start_ms == before - 30 * HOUR_MS
    assert alpha.high_water_after_ms > first.reports["alpha"].high_water_after_ms
    assert beta.high_water_after_ms == first.reports["beta"].high_water_after_ms
    with Warehouse(directory, read_only=True) as wh:
        marks = wh.read_state_all_projects(HIGH_WATER_KEY)
        runs = wh.read_state_all_projects(LAST_RUN_KEY)
    assert marks == {n: second.reports[n].high_water_after_ms for n in SEEDS}
    assert set(runs) == set(SEEDS)


def test_one_projects_bad_credentials_fail_the_run_after_the_others_loaded(
    tmp_path: Path,
) -> None:
    sims = _sims()
    # beta's identity provider accepts only its own client; the configuration has another secret.
    sims["beta"] = Simulator(
        small_sim_config(
            seed=7, project="beta", client_id="test-client", client_secret="right", **WORLD
        )
    )
    transports = _transports(sims)
    directory = tmp_path / "wh"
    with pytest.raises(ProjectsFailedError) as caught:
        run_ingest_projects(_configs(list(SEEDS)), directory, transports=transports)
    error = caught.value
    assert set(error.outcome.reports) == {"alpha", "gamma"}
    assert isinstance(error.outcome.errors["beta"], AuthError)
    assert not error.transient  # credentials: retrying later does not help
    message = str(error)
    assert message.startswith("1 of 3 CDF projects failed: 'beta': ")
    assert "loaded: 'alpha', 'gamma'" in message
    assert "right" not in message and "test-secret-value" not in message
    with Warehouse(directory, read_only=True) as wh:
        stored = dict(
            wh.connection.execute(
                "SELECT cdf_project, count(*) FROM workflow_executions GROUP BY cdf_project"
            ).fetchall()
        )
    assert set(stored) == {"alpha", "gamma"}
    assert stored["alpha"] == error.outcome.reports["alpha"].executions_inserted
    parquet_matches_duckdb(directory)


def test_a_single_project_failure_is_raised_as_before(tmp_path: Path) -> None:
    sim = Simulator(
        small_sim_config(project="alpha", client_id="test-client", client_secret="right", **WORLD)
    )
    with pytest.raises(AuthError):
        run_ingest_projects(
            _configs(["alpha"]),
            tmp_path / "wh",
            transports={"alpha": httpx.ASGITransport(app=create_app(sim))},
        )
    assert not (tmp_path / "wh").exists()


def _old_format_copy(new: Path, old: Path) -> None:
    """The warehouse ``new`` as the code before `cdf_project` wrote it: tables declared by their
    source columns and keys only, state keyed by name alone, Parquet without the column."""
    old.mkdir(parents=True)
    con = duckdb.connect(str(old / "workflows.duckdb"))
    con.execute("ATTACH ? AS new (READ_ONLY)", [str(new / "workflows.duckdb")])
    for table in ALL_TABLES:
        con.execute(dataclasses.replace(table, project_scoped=False).create_sql())
        cols = ", ".join(quote_identifier(c) for c in table.column_names)
        con.execute(
            f"INSERT INTO {quote_identifier(table.name)} ({cols}) "
            f"SELECT {cols} FROM new.{quote_identifier(table.name)}"
        )
    con.execute("DETACH new")
    con.close()
    for source in (new / "parquet").rglob("*.parquet"):
        target = old / source.relative_to(new)
        target.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pq.read_table(source).drop_columns(["cdf_project"]), target)


def test_a_single_project_warehouse_is_upgraded_in_place(
    sim: Simulator, transport: httpx.ASGITransport, inprocess_config: CdfConfig, tmp_path: Path
) -> None:
    made_now = tmp_path / "now"
    run_ingest(inprocess_config, made_now, transport=transport)
    before = tmp_path / "before"
    _old_format_copy(made_now, before)
    with Warehouse(before, read_only=True) as wh:
        columns = wh.connection.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'workflow_executions'"
        ).fetchall()
        hwm = orjson.loads(
            wh.connection.execute(
                "SELECT value FROM _ingest_state WHERE key = $1", [HIGH_WATER_KEY]
            ).fetchall()[0][0]
        )
    assert ("cdf_project",) not in columns

    report = run_ingest(inprocess_config, before, transport=transport)
    # The state came through: an incremental run from the old high-water mark, nothing
    # finished fetched again.
    assert report.window_start_ms == hwm - 30 * HOUR_MS
    assert report.new == 0 and report.unchanged > 0
    with Warehouse(before, read_only=True) as wh:
        assert wh.dirty_partitions() == []
        for table in ALL_TABLES:
            described = [
                r[0]
                for r in wh.connection.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = $1 "
                    "ORDER BY ordinal_position",
                    [table.name],
                ).fetchall()
            ]
            assert described == list(table.stored_column_names), table.name
        projects = wh.connection.execute(
            "SELECT DISTINCT cdf_project FROM task_executions"
        ).fetchall()
    assert projects == [("test-project",)]
    for table in DATA_TABLES:
        assert _rows(before, table.name, "test-project") == _rows(
            made_now, table.name, "test-project"
        ), table.name
    # Every partition was rewritten with the column, and holds exactly DuckDB's rows.
    counts = parquet_matches_duckdb(before)
    assert counts["task_executions"][0] == counts["task_executions"][1] > 0
    for path in (before / "parquet").rglob("*.parquet"):
        assert "cdf_project" in pq.read_schema(path).names, path
