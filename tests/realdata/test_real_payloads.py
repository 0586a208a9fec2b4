"""Cognite's own payloads, served over HTTP by the simulator, through the ingest and every view.

The files live outside the repository, in ``<repo>/../shared/real-payloads`` (or the folder named
by ``REAL_PAYLOADS_DIR``); their README says what is real about each. A missing folder fails
these tests: they are the only check against what a live CDF project sends.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import httpx
import orjson
import pytest

from cdf_simulator import Simulator, create_app
from tests.support.ingest import ingest, parquet_matches_duckdb
from tests.support.sim import cdf_config_for, small_sim_config
from warehouse.analytics.models import load_models

REPO = Path(__file__).resolve().parents[2]
ENV = "REAL_PAYLOADS_DIR"
LIVE = "execution_detail_live_2023.json"


def payload_dir() -> Path:
    # The variable, when set, is the folder asked for: it comes before the default place.
    tried = [Path(os.environ[ENV])] if os.environ.get(ENV) else []
    tried.append(REPO.parent / "shared" / "real-payloads")
    for folder in tried:
        if folder.is_dir() and any(folder.glob("*.json")):
            return folder
    pytest.fail(
        f"Cognite's real payloads are missing: looked in {', '.join(map(str, tried))}. "
        f"Put the files in <repo>/../shared/real-payloads or set {ENV} to their folder."
    )


def load(folder: Path, name: str) -> Any:
    return orjson.loads((folder / name).read_bytes())


# How each kind of file is served: by the start of its name.
def _detail(sim: Simulator, body: Any, lists: dict[str, Any]) -> None:
    # The list example of the same id, when there is one, is served as its list item.
    sim.injected.add_execution(body, summary=lists.get(body["id"]))


def _list(sim: Simulator, body: Any, lists: dict[str, Any]) -> None:
    lists.update({item["id"]: item for item in body["items"]})


def _triggers(sim: Simulator, body: Any, lists: dict[str, Any]) -> None:
    for trigger in body["items"]:
        sim.injected.add_trigger(trigger)


def _history(sim: Simulator, body: Any, lists: dict[str, Any]) -> None:
    for run in body["items"]:
        if not any(t.get("externalId") == run["externalId"] for t in sim.injected.triggers):
            # A history whose trigger is in no file: listed as a schedule trigger of the same
            # name, so that the ingest asks for its history.
            sim.injected.add_trigger(
                {
                    "externalId": run["externalId"],
                    "triggerRule": {"triggerType": "schedule", "cronExpression": "0 * * * *"},
                    "workflowExternalId": run["workflowExternalId"],
                    "workflowVersion": run["workflowVersion"],
                    "createdTime": 1_700_000_000_000,
                    "lastUpdatedTime": 1_700_000_000_000,
                }
            )
        sim.injected.add_trigger_runs(run["externalId"], [run])


# Order matters: list items before the details that use them, triggers before their history.
LOADERS: list[tuple[str, Callable[[Simulator, Any, dict[str, Any]], None]]] = [
    ("execution_list_", _list),
    ("execution_detail_", _detail),
    ("trigger_list_", _triggers),
    ("trigger_history_", _history),
]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(payload folder, warehouse directory) after one ingest of a small world plus every file."""
    folder = payload_dir()
    files = sorted(p.name for p in folder.glob("*.json"))
    unknown = [f for f in files if not any(f.startswith(prefix) for prefix, _ in LOADERS)]
    assert not unknown, f"no loader for {unknown}: say in this test how to serve them"
    sim = Simulator(small_sim_config(workflows=3, executions_per_day=4.0, history_days=3))
    lists: dict[str, Any] = {}
    for prefix, loader in LOADERS:
        for name in files:
            if name.startswith(prefix):
                loader(sim, load(folder, name), lists)
    directory = tmp_path_factory.mktemp("real-payloads") / "wh"
    transport = httpx.ASGITransport(app=create_app(sim))
    ingest(cdf_config_for("http://127.0.0.1"), directory, transport, page_size=7)
    return folder, directory


@pytest.fixture
def con(served: tuple[Path, Path]) -> Any:
    connection = duckdb.connect(str(served[1] / "workflows.duckdb"), read_only=True)
    connection.execute("SET TimeZone = 'UTC'")
    yield connection
    connection.close()


def details(folder: Path) -> dict[str, Any]:
    return {
        d["id"]: d
        for d in (load(folder, p.name) for p in sorted(folder.glob("execution_detail_*.json")))
    }


def test_every_real_execution_is_stored_with_all_its_tasks(
    served: tuple[Path, Path], con: Any
) -> None:
    folder, _ = served
    for execution_id, detail in details(folder).items():
        row = con.execute(
            "SELECT task_count, workflow_version, status FROM workflow_executions "
            "WHERE execution_id = ?",
            [execution_id],
        ).fetchone()
        assert row == (len(detail.get("executedTasks") or []), detail["version"], detail["status"])
        stored = con.execute(
            "SELECT count(*) FROM task_executions WHERE execution_id = ?", [execution_id]
        ).fetchone()
        assert stored == (len(detail.get("executedTasks") or []),)


def test_only_what_cannot_be_stored_is_rejected(served: tuple[Path, Path], con: Any) -> None:
    rejected = con.execute("SELECT source, reason FROM rejected_records").fetchall()
    # The API reference's trigger run has fireTime 1 (a placeholder): not a time in CDF's life.
    assert rejected == [("trigger_run", "trigger run fireTime 1 is outside years 2000..2099")]
    runs = con.execute(
        "SELECT trigger_external_id, workflow_execution_id FROM trigger_runs "
        "WHERE trigger_external_id = 'trigger-1'"
    ).fetchall()
    assert runs == [("trigger-1", "550e8400-e29b-41d4-a716-446655440000")]


def test_parquet_holds_the_same_rows_as_duckdb(served: tuple[Path, Path]) -> None:
    counts = parquet_matches_duckdb(served[1])
    assert counts["task_executions"][0] == counts["task_executions"][1] > 0


def test_every_view_answers_and_sees_the_real_executions(
    served: tuple[Path, Path], con: Any
) -> None:
    ids = list(details(served[0]))
    views = [m.name for m in load_models()]
    for view in views:
        assert con.execute(f'SELECT count(*) FROM "{view}"').fetchone() is not None, view
    # The views with a row per execution (or per task of each) hold every real one.
    for view in ("execution_facts", "critical_paths", "task_outcomes"):
        found = con.execute(
            f"SELECT count(DISTINCT execution_id) FROM {view} "
            "WHERE execution_id IN (SELECT unnest(?::VARCHAR[]))",
            [ids],
        ).fetchone()
        assert found == (len(ids),), view


def _live(folder: Path) -> dict[str, Any]:
    return load(folder, LIVE)


def test_live_capture_flags_its_clock_skew_and_inferred_parents(
    served: tuple[Path, Path], con: Any
) -> None:
    live = _live(served[0])
    flags = con.execute(
        "SELECT quality_flags, metadata FROM workflow_executions WHERE execution_id = ?",
        [live["id"]],
    ).fetchone()
    assert flags is not None
    assert {"start_before_created", "parent_inferred"} <= set(flags[0])
    assert orjson.loads(flags[1]) == live["metadata"]  # a number stays a number
    parents = dict(
        con.execute(
            "SELECT task_key, list(DISTINCT parent_task_external_id) FROM task_executions "
            "WHERE execution_id = ? AND parent_inferred GROUP BY ALL",
            [live["id"]],
        ).fetchall()
    )
    assert parents == {
        "preprocessor": ["applicationExecution"],
        "trigger": ["applicationExecution"],
        "generate_test_matrix": ["testMatrixCalculation"],
    }


def test_live_capture_critical_path_runs_through_both_groups_of_children(
    served: tuple[Path, Path], con: Any
) -> None:
    live = _live(served[0])
    tasks = {t["externalId"]: t for t in live["executedTasks"]}
    first, second = tasks["applicationExecution"], tasks["testMatrixCalculation"]
    defined = {d["externalId"] for d in live["workflowDefinition"]["tasks"]}
    children = [t for t in live["executedTasks"] if t["externalId"] not in defined]
    group1 = [t for t in children if first["endTime"] <= t["startTime"] < second["endTime"]]
    group2 = [t for t in children if t["startTime"] >= second["endTime"]]
    assert len(group1) + len(group2) == len(children) == 13

    def span(group: list[dict[str, Any]]) -> int:
        return max(t["endTime"] for t in group) - min(t["startTime"] for t in group)

    def took(name: str) -> int:
        return tasks[name]["endTime"] - tasks[name]["startTime"]

    expected = (
        took("testTaskDispatcher")
        + span(group1)
        + span(group2)
        + took("totalTestMatrixCalculation")
    )
    row = con.execute(
        "SELECT critical_path, critical_path_ms, dominant_task_external_id, duration_ms "
        "FROM critical_paths WHERE execution_id = ?",
        [live["id"]],
    ).fetchone()
    assert row is not None
    path, length, dominant, run_ms = row
    assert path == [
        "testTaskDispatcher",
        "applicationExecution",
        "testMatrixCalculation",
        "totalTestMatrixCalculation",
    ]
    assert length == expected
    assert dominant == "applicationExecution"  # its children's chains, about 160 s
    assert 0.9 * run_ms < length <= run_ms  # about 270 s of the 289 s run


def test_live_capture_hot_spots_have_one_row_per_kind_of_generated_task(
    served: tuple[Path, Path], con: Any
) -> None:
    live = _live(served[0])
    rows = con.execute(
        "SELECT task_key, runs, parent_task_external_id FROM task_hot_spots "
        "WHERE workflow_external_id = ? AND level = 'task' ORDER BY 1",
        [live["workflowExternalId"]],
    ).fetchall()
    assert rows == [
        ("applicationExecution", 1, None),
        ("generate_test_matrix", 9, "testMatrixCalculation"),
        ("preprocessor", 2, "applicationExecution"),
        ("testMatrixCalculation", 1, None),
        ("testTaskDispatcher", 1, None),
        ("totalTestMatrixCalculation", 1, None),
        ("trigger", 2, "applicationExecution"),
    ]
    children = con.execute(
        "SELECT task_key, runs FROM task_hot_spots "
        "WHERE workflow_external_id = ? AND level = 'children' ORDER BY 1",
        [live["workflowExternalId"]],
    ).fetchall()
    assert children == [("applicationExecution", 4), ("testMatrixCalculation", 9)]
