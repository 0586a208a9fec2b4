"""The alerts step and the freshness policies in Dagster: `dg.materialize` against the simulator
on 127.0.0.1, alerts posted to a real receiver on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from dagster._core.definitions.freshness import FreshnessState, TimeWindowFreshnessPolicy
from dagster._core.definitions.freshness_evaluator import TimeWindowFreshnessPolicyEvaluator
from dagster._core.loader import LoadingContextForTest
from dagster._core.test_utils import freeze_time

from assets.alerts import ALERTS_ASSET, DELIVERED_CHECK, workflow_alerts
from assets.ingest import INGEST_TABLE_KEYS, cdf_incremental_ingest
from assets.views import analytics_views
from pipelines.definitions import defs
from tests.support.receiver import receiver

SECRET_PATH = "/services/T1/B2/dagster-s3cr3t"


def _alerts_metadata(result: dg.ExecuteInProcessResult) -> dict[str, Any]:
    for event in result.get_asset_materialization_events():
        mat = event.materialization
        if mat is not None and mat.asset_key.to_user_string() == ALERTS_ASSET:
            return {k: getattr(v, "value", v) for k, v in mat.metadata.items()}
    raise AssertionError("workflow_alerts was not materialised")


def test_nightly_alerts_step_sends_once_and_keeps_secrets_out_of_metadata(
    dagster_resources: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    alerts_file = tmp_path / "alerts.toml"
    # The simulated world lies weeks before the real clock the step uses: a long lookback.
    alerts_file.write_text(
        "[settings]\nlookback_hours = 20000\n\n"
        '[destinations.ops]\ntype = "webhook"\nurl_env = "TEST_ALERTS_URL"\ndigest = true\n\n'
        '[[routes]]\ndestinations = ["ops"]\nowners = ["@oncall"]\n'
    )
    monkeypatch.setenv("ALERTS_FILE", str(alerts_file))
    assets = [cdf_incremental_ingest, analytics_views, workflow_alerts]
    with receiver(SECRET_PATH) as hook:
        monkeypatch.setenv("TEST_ALERTS_URL", hook.url)
        first = dg.materialize(assets, resources=dagster_resources)
        assert first.success
        meta = _alerts_metadata(first)
        assert len(hook.requests) == 1  # digest: one message
        body = hook.bodies()[0]
        assert meta["events_sent"] == body["event_count"] > 0
        assert meta["routes"] == 1
        checks = [c for c in first.get_asset_check_evaluations() if c.check_name == DELIVERED_CHECK]
        assert len(checks) == 1 and checks[0].passed

        hook.clear()
        second = dg.materialize(assets, resources=dagster_resources)
        assert second.success
        assert hook.requests == []
        assert _alerts_metadata(second)["events_sent"] == 0

        # The receiver goes down: the step still succeeds, the delivery check warns.
        hook.status = 500
        monkeypatch.setenv("TEST_ALERTS_URL", hook.url.replace(SECRET_PATH, SECRET_PATH + "x"))
        # A new destination name: the same events are new for it.
        alerts_file.write_text(alerts_file.read_text().replace("ops", "ops2"))
        third = dg.materialize(assets, resources=dagster_resources)
    assert third.success
    failed = [c for c in third.get_asset_check_evaluations() if c.check_name == DELIVERED_CHECK]
    assert not failed[0].passed
    assert failed[0].severity == dg.AssetCheckSeverity.WARN
    texts = [json.dumps(_alerts_metadata(r), default=str) for r in (first, second, third)]
    texts += [str(e) for r in (first, second, third) for e in r.all_events]
    assert all("s3cr3t" not in t for t in texts)


def test_alerts_configuration_error_fails_the_step_with_one_message(
    dagster_resources: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "alerts.toml"
    bad.write_text('[destinations.x]\ntype = "slack"\nurl = "https://hooks.slack.com/T/B/xyz"\n')
    monkeypatch.setenv("ALERTS_FILE", str(bad))
    result = dg.materialize(
        [workflow_alerts],
        resources={"warehouse": dagster_resources["warehouse"]},
        raise_on_error=False,
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    description = failure.step_failure_data.user_failure_data.description
    assert "must not be written in the file" in description
    assert "xyz" not in description


def test_nightly_job_ends_with_the_alerts_step() -> None:
    dg.Definitions.validate_loadable(defs)
    job = defs.resolve_job_def("nightly_ingest")
    selected = {k.to_user_string() for k in job.asset_layer.executable_asset_keys}
    assert ALERTS_ASSET in selected
    graph = defs.resolve_asset_graph()
    parents = {k.to_user_string() for k in graph.get(dg.AssetKey(ALERTS_ASSET)).parent_keys}
    assert {"sla_breach_events", "stuck_runs", "rejected_records"} <= parents


def test_ingest_tables_carry_a_freshness_policy() -> None:
    graph = defs.resolve_asset_graph()
    for key in INGEST_TABLE_KEYS:
        policy = graph.get(key).freshness_policy
        assert isinstance(policy, TimeWindowFreshnessPolicy), key
        assert policy.fail_window.to_timedelta().total_seconds() == 26 * 3600


def test_a_missed_nightly_turns_the_tables_stale() -> None:
    """Evaluates the policy the way Dagster's freshness daemon does (Dagster's own evaluator and
    test helpers, internal modules), with the clock moved past the window."""
    node = defs.resolve_asset_graph().get(dg.AssetKey("workflow_executions"))
    evaluator = TimeWindowFreshnessPolicyEvaluator()
    with dg.DagsterInstance.ephemeral() as instance:
        context = LoadingContextForTest(instance)
        assert asyncio.run(evaluator.evaluate_freshness(context, node)) == FreshnessState.UNKNOWN
        instance.report_runless_asset_event(dg.AssetMaterialization("workflow_executions"))
        loaded = time.time()
        states = {}
        for hours in (1, 25.5, 27):
            with freeze_time(loaded + hours * 3600):
                context = LoadingContextForTest(instance)
                states[hours] = asyncio.run(evaluator.evaluate_freshness(context, node))
    assert states == {1: FreshnessState.PASS, 25.5: FreshnessState.WARN, 27: FreshnessState.FAIL}
