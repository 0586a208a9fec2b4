"""Source anomalies of stored runs (``quality_flags``) as alerts: a warehouse ingested from the
simulator, whose world sends the everyday shapes of live CDF (small clock skews, children without
their parent) and, injected, runs over CDF's documented limits; alerts posted to a real receiver
on 127.0.0.1."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest

from alerts.config import (
    AlertsConfig,
    AlertsConfigError,
    parse_alerts_config,
)
from alerts.events import query_events
from alerts.run import run_alerts
from cdf_simulator import Simulator, create_app
from cdf_simulator.shapes import Shapes
from ingest.runner import run_ingest
from tests.support.alerts_world import NOW, install_views
from tests.support.detail_records import execution, task_execution
from tests.support.receiver import Receiver
from tests.support.sim import SIM_NOW_MS, cdf_config_for, small_sim_config
from warehouse.quality import MAX_METADATA_PAIRS
from warehouse.store import Warehouse

HOUR_MS = 3_600_000
# Runs created yesterday afternoon (simulated clock), well inside the 48 h lookback.
BASE_MS = SIM_NOW_MS - 20 * HOUR_MS
DAY = (NOW - timedelta(hours=20)).strftime("%Y-%m-%d")
# The shapes live CDF sends every day (children without their parent, clock skews of a few ms),
# and none of the rare over-limit ones: those are injected.
EVERYDAY = Shapes(
    dispatch_only=1.0,
    unlinked_children=1.0,
    start_skew=0.5,
    end_skew=0.3,
    over_metadata=0.0,
    over_payload=0.0,
)


def _run(workflow: str, n: int, *, metadata_pairs: int = 1, task_late_ms: int = 0) -> Any:
    created = BASE_MS + n * 60_000
    start, end = created + 500, created + 120_000
    task = task_execution("step-1", start=start + 100, end=end - 100 + task_late_ms)
    return execution(
        execution_id=str(uuid.uuid4()),
        workflow=workflow,
        created=created,
        start=start,
        end=end,
        tasks=[task],
        metadata={f"key{i}": f"value{i}" for i in range(metadata_pairs)},
    )


# flagged-flow: three runs with default flags on one day (two over the metadata limit, one whose
# task ended 30 s after the run); quiet-flow: one run over the limit, below a threshold of 2.
INJECTED = [
    _run("flagged-flow", 1, metadata_pairs=MAX_METADATA_PAIRS + 1),
    _run("flagged-flow", 2, metadata_pairs=MAX_METADATA_PAIRS + 1),
    _run("flagged-flow", 3, task_late_ms=30_000),
    _run("flagged-flow", 4),
    _run("quiet-flow", 5, metadata_pairs=MAX_METADATA_PAIRS + 1),
]


@pytest.fixture(scope="module")
def flagged_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("alerts-flags") / "warehouse"
    sim = Simulator(small_sim_config(shapes=EVERYDAY))
    for detail in INJECTED:
        sim.injected.add_execution(detail)
    transport = httpx.ASGITransport(app=create_app(sim))
    run_ingest(cdf_config_for("http://127.0.0.1"), directory, transport=transport)
    install_views(directory)
    return directory


@pytest.fixture
def flagged(flagged_template: Path, tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    directory = tmp_path / "warehouse"
    shutil.copytree(flagged_template, directory)
    with Warehouse(directory) as wh:
        wh.connection.execute("SET VARIABLE analytics_now = ?::TIMESTAMPTZ", [NOW])
        yield wh.connection


def anomaly_config(**settings: Any) -> AlertsConfig:
    data = {
        "settings": settings,
        "destinations": {"ops": {"type": "webhook", "url_env": "OPS_URL"}},
        "routes": [{"destinations": ["ops"], "kinds": ["source_anomaly"]}],
    }
    return parse_alerts_config(data, "test")


def sent(hook: Receiver) -> list[dict[str, Any]]:
    return [e for body in hook.bodies() for e in body["events"]]


def test_flagged_runs_over_the_threshold_send_one_event_once(
    flagged: duckdb.DuckDBPyConnection, hook: Receiver
) -> None:
    stored = dict(
        flagged.execute(
            "SELECT workflow_external_id, list_sort(flatten(list(quality_flags))) "
            "FROM workflow_executions WHERE workflow_external_id IN ('flagged-flow', 'quiet-flow') "
            "GROUP BY ALL"
        ).fetchall()
    )
    assert stored == {
        "flagged-flow": ["over_metadata_limit", "over_metadata_limit", "task_after_execution_end"],
        "quiet-flow": ["over_metadata_limit"],
    }
    cfg = anomaly_config(anomaly_min_flagged=2)
    env = {"OPS_URL": hook.url}
    first = run_alerts(flagged, cfg, now=NOW, env=env)
    events = sent(hook)
    # flagged-flow has 3 flagged runs that day (over the threshold of 2): one event. quiet-flow's
    # single run is below it; the world's skews and inferred parents are not default flags.
    assert [e["workflow_external_id"] for e in events] == ["flagged-flow"]
    assert first.events_sent == 1 and len(hook.requests) == 1
    event = events[0]
    assert event["kind"] == "source_anomaly"
    assert event["event_key"] == f"source_flags:test-project:flagged-flow:{DAY}"
    assert event["actual_ms"] == 3 and event["target_ms"] == 2
    assert event["flag_counts"] == {"over_metadata_limit": 2, "task_after_execution_end": 1}
    assert "over_metadata_limit 2, task_after_execution_end 1" in event["detail"]
    assert INJECTED[2]["id"] in event["detail"]  # the latest flagged run, to look at
    assert event["detail"] in event["summary"] and "threshold 2 a day" in event["summary"]

    # A second night: nothing new.
    hook.clear()
    second = run_alerts(flagged, cfg, now=NOW + timedelta(hours=1), env=env)
    assert hook.requests == [] and second.events_sent == 0 and second.already_sent == 1

    # With the default threshold (1) quiet-flow's run is news too; flagged-flow's day is not.
    third = run_alerts(flagged, anomaly_config(), now=NOW + timedelta(hours=2), env=env)
    assert [e["workflow_external_id"] for e in sent(hook)] == ["quiet-flow"]
    assert third.already_sent == 1


def test_everyday_skews_and_inferred_parents_page_nobody_unless_asked(
    flagged: duckdb.DuckDBPyConnection, hook: Receiver
) -> None:
    since = NOW - timedelta(hours=48)
    world = dict(
        flagged.execute(
            "SELECT flag, count(DISTINCT execution_id) FROM ("
            " SELECT execution_id, unnest(quality_flags) AS flag FROM workflow_executions"
            " WHERE created_time >= ?"
            " AND workflow_external_id NOT IN ('flagged-flow', 'quiet-flow')"
            ") GROUP BY flag",
            [since],
        ).fetchall()
    )
    # The world's runs in the lookback carry skews of a few ms (one of them a default flag) and
    # inferred parents: none of them makes an event by default.
    assert world.get("start_before_created", 0) > 2, world
    assert world.get("task_after_execution_end", 0) > 2, world
    assert world.get("parent_inferred", 0) > 2, world
    defaults = query_events(flagged, since, anomaly_config())
    by_default = {e.workflow_external_id for e in defaults if e.kind == "source_anomaly"}
    assert by_default == {"flagged-flow", "quiet-flow"}

    # Naming a flag is not enough for a skew of a few ms; a team that wants those too lowers
    # anomaly_min_skew_ms: then one event per workflow and day.
    named = anomaly_config(anomaly_flags=["start_before_created"])
    assert not [e for e in query_events(flagged, since, named) if e.kind == "source_anomaly"]
    cfg = anomaly_config(anomaly_flags=["start_before_created"], anomaly_min_skew_ms=0)
    expected = [e for e in query_events(flagged, since, cfg) if e.kind == "source_anomaly"]
    assert len(expected) > 1
    assert all(e.event_key.startswith("source_flags:test-project:") for e in expected)
    assert all(e.flag_counts == {"start_before_created": e.actual_ms} for e in expected)
    run_alerts(flagged, cfg, now=NOW, env={"OPS_URL": hook.url})
    assert sorted(e["event_key"] for e in sent(hook)) == sorted(e.event_key for e in expected)

    # An empty list turns flagged-run events off.
    off = anomaly_config(anomaly_flags=[])
    assert not [e for e in query_events(flagged, since, off) if e.kind == "source_anomaly"]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"anomaly_flags": ["over_limit"]}, "unknown anomaly flag\\(s\\) over_limit; known: "),
        ({"anomaly_flags": "over_task_limit"}, "anomaly_flags must be a list of flag names"),
        ({"anomaly_min_flagged": 0}, "anomaly_min_flagged must be a whole number >= 1"),
        ({"anomaly_min_flagged": 1.5}, "anomaly_min_flagged must be a whole number >= 1"),
        ({"anomaly_min_flagged": True}, "anomaly_min_flagged must be a whole number >= 1"),
        ({"anomaly_min_skew_ms": -1}, "anomaly_min_skew_ms must be a whole number >= 0"),
    ],
)
def test_anomaly_settings_are_checked(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(AlertsConfigError, match=f"^test: {message}"):
        anomaly_config(**settings)


def test_flagged_and_rejected_records_of_one_day_are_two_events(
    flagged: duckdb.DuckDBPyConnection, hook: Receiver
) -> None:
    flagged.execute(
        "INSERT INTO rejected_records VALUES (?, ?, ?, 'execution_detail', ?, ?, ?)",
        [
            "test-project",
            "rejected-1",
            NOW - timedelta(hours=20),
            "id-1",
            "createdTime is not a number",
            json.dumps({"id": "id-1", "workflowExternalId": "flagged-flow"}),
        ],
    )
    run_alerts(flagged, anomaly_config(anomaly_min_flagged=2), now=NOW, env={"OPS_URL": hook.url})
    keys = sorted(e["event_key"] for e in sent(hook))
    assert keys == [
        f"source_anomaly:test-project:flagged-flow:{DAY}",
        f"source_flags:test-project:flagged-flow:{DAY}",
    ]
    rejected = next(e for e in sent(hook) if e["event_key"].startswith("source_anomaly:"))
    assert rejected["flag_counts"] is None and "1 records rejected" in rejected["detail"]
