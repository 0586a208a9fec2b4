"""Alerts end to end on a simulated warehouse, sent over HTTP to a real receiver on 127.0.0.1."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from alerts.config import (
    AlertsConfig,
    AlertsConfigError,
    parse_alerts_config,
    read_alerts_config,
)
from alerts.events import query_events
from alerts.render import SCHEMA
from alerts.run import run_alerts
from ingest.executions import IngestSettings
from tests.support.alerts_world import NOW, ingest
from tests.support.receiver import Receiver, receiver
from warehouse.store import Warehouse

DAY_MS = 86_400_000
UI = "https://cdf-ui.example/{project}/workflows/{workflow}/executions/{execution_id}"


def config(
    destinations: dict[str, dict[str, Any]] | None = None,
    routes: list[dict[str, Any]] | None = None,
    **settings: Any,
) -> AlertsConfig:
    data = {
        "settings": settings,
        "destinations": destinations or {"ops": {"type": "webhook", "url_env": "OPS_URL"}},
        "routes": routes or [{"destinations": ["ops"], "owners": ["@oncall"]}],
    }
    return parse_alerts_config(data, "test", UI)


def events_in(con: duckdb.DuckDBPyConnection, hours: float = 48) -> list[Any]:
    con.execute("SET VARIABLE analytics_now = ?::TIMESTAMPTZ", [NOW])
    return query_events(con, NOW - timedelta(hours=hours), AlertsConfig())


def sent_events(hook: Receiver) -> list[dict[str, Any]]:
    return [e for body in hook.bodies() for e in body["events"]]


def test_first_night_sends_each_new_event_and_the_second_night_sends_nothing(
    con: duckdb.DuckDBPyConnection, hook: Receiver
) -> None:
    expected = events_in(con)
    kinds = {e.kind for e in expected}
    assert {"duration", "failed_run", "stuck"} <= kinds, kinds
    cfg = config()
    first = run_alerts(con, cfg, now=NOW, env={"OPS_URL": hook.url})
    assert first.events_sent == len(expected) == len(hook.requests)
    assert first.events_failed == 0
    events = sent_events(hook)
    assert sorted(e["event_key"] for e in events) == sorted(e.event_key for e in expected)
    body = hook.bodies()[0]
    assert body["schema"] == SCHEMA and body["digest"] is False and body["event_count"] == 1
    duration = next(e for e in events if e["kind"] == "duration")
    assert duration["owners"] == ["@oncall"]
    assert duration["over_target_ms"] == duration["actual_ms"] - duration["target_ms"] > 0
    assert duration["execution_url"] == UI.format(
        project="test-project",
        workflow=duration["workflow_external_id"],
        execution_id=duration["execution_id"],
    )
    assert duration["execution_id"] in duration["text"]
    assert "over)" in duration["summary"]
    # Only events of the last 48 h: the older breaches of the 20-day history are history.
    older = [e for e in events_in(con, hours=24 * 30) if e.event_time < NOW - timedelta(hours=48)]
    assert older
    assert all(e["event_time"] >= (NOW - timedelta(hours=48)).isoformat() for e in events)

    # Second night, nothing new (the same reference time: the views show the same events).
    hook.clear()
    second = run_alerts(con, cfg, now=NOW, env={"OPS_URL": hook.url})
    assert hook.requests == []
    assert second.events_sent == 0 and second.already_sent == len(expected)
    # An hour later a running execution may cross its budget: only such new events go out.
    run_alerts(con, cfg, now=NOW + timedelta(hours=1), env={"OPS_URL": hook.url})
    assert not {e["event_key"] for e in sent_events(hook)} & {e.event_key for e in expected}


def test_a_receiver_answering_500_gets_the_event_again_next_night(
    con: duckdb.DuckDBPyConnection, hook: Receiver
) -> None:
    cfg = config()
    env = {"OPS_URL": hook.url}
    hook.status = 500
    failed = run_alerts(con, cfg, now=NOW, env=env)
    assert failed.events_sent == 0 and failed.events_failed > 1
    assert failed.errors == {"ops": "answered HTTP 500"}
    # The first failure stops this run's other sends to that destination; all wait for the next.
    assert len(hook.requests) == 1
    rows = con.execute("SELECT event_key FROM alerts_sent WHERE sent_at IS NULL").fetchall()
    tried = sorted(r[0] for r in rows)
    assert len(tried) == failed.events_failed

    # Next night, three days later: the events are now older than the lookback, and are still
    # retried because their send never succeeded.
    hook.status = 200
    hook.clear()
    retried = run_alerts(con, cfg, now=NOW + timedelta(days=3), env=env)
    assert sorted(e["event_key"] for e in sent_events(hook)) == tried
    assert retried.events_sent == len(tried) and retried.events_failed == 0
    attempts = con.execute("SELECT DISTINCT attempts FROM alerts_sent").fetchall()
    assert attempts == [(2,)]

    hook.clear()
    run_alerts(con, cfg, now=NOW + timedelta(days=4), env=env)
    assert hook.requests == []


def test_a_backfill_of_old_days_does_not_alert_for_history_unless_asked(
    tmp_path: Path, hook: Receiver
) -> None:
    directory = tmp_path / "warehouse"
    now_ms = int(NOW.timestamp() * 1000)
    # The warehouse starts with the last two days only (as a nightly run would see them).
    ingest(directory, IngestSettings(window_start_ms=now_ms - 2 * DAY_MS, window_end_ms=now_ms))
    env = {"OPS_URL": hook.url}
    with Warehouse(directory) as wh:
        first = run_alerts(wh.connection, config(), now=NOW, env=env)
    assert first.events_sent > 0
    recent = {e["event_key"] for e in sent_events(hook)}

    # A backfill loads days 15 to 5 before now: their breaches are new to the warehouse.
    ingest(
        directory,
        IngestSettings(window_start_ms=now_ms - 15 * DAY_MS, window_end_ms=now_ms - 5 * DAY_MS),
    )
    hook.clear()
    with Warehouse(directory) as wh:
        con = wh.connection
        con.execute("SET VARIABLE analytics_now = ?::TIMESTAMPTZ", [NOW])
        old = [
            e
            for e in query_events(con, NOW - timedelta(days=16), AlertsConfig())
            if e.kind == "duration"
        ]
        old = [e for e in old if e.event_time < NOW - timedelta(days=4)]
        assert old, "the backfill should bring older breaches"
        after = run_alerts(con, config(), now=NOW, env=env)
        assert hook.requests == [] and after.events_sent == 0

        # Asked for history: the old events go out, the recent ones are not repeated.
        history = run_alerts(
            con, config(include_history=True), now=NOW + timedelta(hours=2), env=env
        )
    keys = {e["event_key"] for e in sent_events(hook)}
    assert {e.event_key for e in old} <= keys
    assert not keys & recent
    assert history.events_sent == len(keys)


def test_digest_sends_one_message_per_destination(
    con: duckdb.DuckDBPyConnection, hook: Receiver
) -> None:
    expected = events_in(con)
    with receiver("/slack") as slack:
        cfg = config(
            destinations={
                "ops": {"type": "webhook", "url_env": "OPS_URL", "digest": True},
                "chat": {"type": "slack", "url_env": "SLACK_URL", "digest": True},
            },
            routes=[{"destinations": ["ops", "chat"]}],
        )
        report = run_alerts(con, cfg, now=NOW, env={"OPS_URL": hook.url, "SLACK_URL": slack.url})
        assert len(hook.requests) == 1 and len(slack.requests) == 1
        body = hook.bodies()[0]
        assert body["digest"] is True and body["event_count"] == len(expected) > 1
        message = slack.bodies()[0]
        assert message["text"].endswith(f"{len(expected)} event(s)")
        text = "\n".join(b["text"]["text"] for b in message["blocks"] if b["type"] == "section")
        assert all(e.execution_id in text for e in expected if e.execution_id)
    assert report.messages_sent == 2 and report.events_sent == 2 * len(expected)


def test_routes_pick_destinations_by_project_workflow_and_kind(
    con: duckdb.DuckDBPyConnection, hook: Receiver
) -> None:
    expected = events_in(con)
    workflow = next(e.workflow_external_id for e in expected if e.kind == "duration")
    cfg = config(
        routes=[
            {"destinations": ["ops"], "workflows": [workflow], "kinds": ["duration"]},
            {"destinations": ["ops"], "cdf_project": "another-project"},
        ]
    )
    run_alerts(con, cfg, now=NOW, env={"OPS_URL": hook.url})
    want = [e for e in expected if e.kind == "duration" and e.workflow_external_id == workflow]
    got = sent_events(hook)
    assert sorted(e["event_key"] for e in got) == sorted(e.event_key for e in want)


def test_source_anomalies_above_the_threshold(
    con: duckdb.DuckDBPyConnection, hook: Receiver
) -> None:
    def reject(n: int, workflow: str) -> None:
        con.execute(
            "INSERT INTO rejected_records VALUES (?, ?, ?, 'execution_detail', ?, ?, ?)",
            [
                "test-project",
                f"rej-{workflow}-{n}",
                NOW - timedelta(hours=2, minutes=n),
                f"id-{n}",
                "createdTime is not a number",
                json.dumps({"id": f"id-{n}", "workflowExternalId": workflow}),
            ],
        )

    reject(1, "quiet-flow")
    for n in range(3):
        reject(n, "noisy-flow")
    cfg = config(routes=[{"destinations": ["ops"], "kinds": ["source_anomaly"]}])
    run_alerts(
        con,
        parse_alerts_config(
            {**_raw(cfg), "settings": {"anomaly_min_rejected": 2, "anomaly_flags": []}}, "t"
        ),
        now=NOW,
        env={"OPS_URL": hook.url},
    )
    events = sent_events(hook)
    assert [e["workflow_external_id"] for e in events] == ["noisy-flow"]
    assert events[0]["actual_ms"] == 3 and "createdTime is not a number" in events[0]["detail"]


def _raw(cfg: AlertsConfig) -> dict[str, Any]:
    return {
        "destinations": {
            n: {"type": d.type, "url_env": d.url_env} for n, d in cfg.destinations.items()
        },
        "routes": [
            {"destinations": list(r.destinations), "kinds": list(r.kinds)} for r in cfg.routes
        ],
    }


SECRET_PATH = "/services/T000/B000/s3cr3t-path-token"
SECRET_TOKEN = "tok-very-secret-42"


def test_secrets_never_appear_in_logs_metadata_or_the_table(
    con: duckdb.DuckDBPyConnection, caplog: pytest.LogCaptureFixture
) -> None:
    cfg = config(
        destinations={
            "ops": {"type": "webhook", "url_env": "OPS_URL", "token_env": "OPS_TOKEN"},
            "gone": {"type": "slack", "url_env": "GONE_URL"},
        },
        routes=[{"destinations": ["ops", "gone"]}],
    )
    caplog.set_level(logging.DEBUG)
    with receiver(SECRET_PATH) as hook:
        hook.status = 503
        # A port nothing listens on: the connection is refused.
        gone = "http://127.0.0.1:9" + SECRET_PATH
        env = {"OPS_URL": hook.url, "OPS_TOKEN": SECRET_TOKEN, "GONE_URL": gone}
        report = run_alerts(con, cfg, now=NOW, env=env)
        assert hook.requests and hook.requests[0].headers["authorization"] == (
            f"Bearer {SECRET_TOKEN}"
        )
    assert report.errors == {"ops": "answered HTTP 503", "gone": "request failed (ConnectError)"}
    stored = con.execute("SELECT * FROM alerts_sent").fetchall()
    assert stored
    for text in (caplog.text, json.dumps(report.as_metadata()), repr(stored), repr(cfg)):
        assert "s3cr3t" not in text and SECRET_TOKEN not in text


def test_plain_http_is_refused_except_to_loopback(
    con: duckdb.DuckDBPyConnection, hook: Receiver
) -> None:
    report = run_alerts(con, config(), now=NOW, env={"OPS_URL": "http://alerts.example.com/x"})
    assert report.events_sent == 0 and report.events_failed > 0
    assert "plain http" in report.errors["ops"] and "example.com" not in report.errors["ops"]
    missing = run_alerts(con, config(), now=NOW, env={})
    assert missing.errors == {"ops": "environment variable OPS_URL is not set"}


def test_the_file_refuses_secrets_and_unknown_names(tmp_path: Path) -> None:
    path = tmp_path / "alerts.toml"
    path.write_text('[destinations.x]\ntype = "slack"\nurl = "https://hooks.slack.com/s"\n')
    with pytest.raises(AlertsConfigError, match="must not be written in the file"):
        read_alerts_config(path)
    path.write_text(
        '[destinations.x]\ntype = "slack"\nurl_env = "X"\n\n'
        '[[routes]]\ndestinations = ["x"]\nkinds = ["late"]\n'
    )
    with pytest.raises(AlertsConfigError, match="unknown kind"):
        read_alerts_config(path)
    # The shipped file parses and sends nothing until a route is added.
    assert not read_alerts_config().enabled


def test_a_route_can_ask_for_a_digest_on_its_own(
    con: duckdb.DuckDBPyConnection, hook: Receiver
) -> None:
    expected = events_in(con)
    noisy = next(e.workflow_external_id for e in expected if e.kind == "duration")
    cfg = config(
        routes=[
            {"destinations": ["ops"], "workflows": [noisy], "digest": True},
            {"destinations": ["ops"], "workflows": ["*"], "kinds": ["stuck"]},
        ]
    )
    run_alerts(con, cfg, now=NOW, env={"OPS_URL": hook.url})
    digests = [b for b in hook.bodies() if b["digest"]]
    singles = [b for b in hook.bodies() if not b["digest"]]
    # Every event of the noisy workflow in one message; other workflows' stuck runs one each.
    assert len(digests) == 1
    assert {e["workflow_external_id"] for e in digests[0]["events"]} == {noisy}
    assert digests[0]["event_count"] == sum(e.workflow_external_id == noisy for e in expected)
    assert all(b["event_count"] == 1 and b["events"][0]["kind"] == "stuck" for b in singles)
    assert len(singles) == sum(
        e.kind == "stuck" and e.workflow_external_id != noisy for e in expected
    )


def test_failed_sends_are_retried_for_retry_days_only(
    con: duckdb.DuckDBPyConnection, hook: Receiver
) -> None:
    cfg = config(retry_days=2)
    hook.status = 503
    failed = run_alerts(con, cfg, now=NOW, env={"OPS_URL": hook.url})
    assert failed.events_failed > 0
    hook.status = 200
    hook.clear()
    # Three days later the first attempts are older than retry_days and the events older than
    # the lookback: nothing is sent any more.
    late = run_alerts(con, cfg, now=NOW + timedelta(days=3), env={"OPS_URL": hook.url})
    assert late.events_sent == 0 and hook.requests == []
