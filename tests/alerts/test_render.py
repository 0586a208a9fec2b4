"""Message text: durations a person reads, links built from the UI template, Slack's limits."""

from __future__ import annotations

from datetime import UTC, datetime

from alerts.events import AlertEvent, Routed
from alerts.render import (
    execution_link,
    human_ms,
    slack_body,
    webhook_body,
)

NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)


def event(n: int = 0, **changes: object) -> AlertEvent:
    values: dict[str, object] = {
        "event_key": f"deadline:prod:e{n}",
        "kind": "deadline",
        "cdf_project": "prod",
        "workflow_external_id": "daily load/eu",
        "event_time": datetime(2026, 11, 29, 2, 0, tzinfo=UTC),
        "execution_id": f"e{n}",
        "trigger_external_id": None,
        "status": "COMPLETED",
        "target_ms": None,
        "actual_ms": None,
        "over_target_ms": None,
        "late_by_ms": 5_400_000,
        "deadline_at": datetime(2026, 11, 29, 6, 30, tzinfo=UTC),
        "detail": "not finished by 2026-11-29 06:30 UTC",
    }
    values.update(changes)
    return AlertEvent(**values)  # type: ignore[arg-type]


def test_human_durations() -> None:
    assert human_ms(None) == ""
    assert human_ms(0) == "0 s"
    assert human_ms(59_400) == "59 s"
    assert human_ms(60_000) == "1 min"
    assert human_ms(250_000) == "4 min 10 s"
    assert human_ms(3_600_000) == "1 h"
    assert human_ms(5_520_000) == "1 h 32 min"
    assert human_ms(90_000_000) == "1 d 1 h"
    assert human_ms(-120_000) == "-2 min"


def test_links_quote_the_values_and_need_a_template_and_an_execution() -> None:
    template = "https://ui.example/{project}/flows/{workflow}?run={execution_id}"
    assert (
        execution_link(event(), template)
        == "https://ui.example/prod/flows/daily%20load%2Feu?run=e0"
    )
    assert execution_link(event(), None) is None
    assert execution_link(event(execution_id=None), template) is None
    assert execution_link(event(), "https://ui.example/{unknown}") is None


def test_deadline_message_says_how_late() -> None:
    body = webhook_body([Routed(event(), "ops", ("@me",))], "ops", False, None, NOW)
    summary = body["events"][0]["summary"]
    assert summary == "not finished by 2026-11-29 06:30 UTC (1 h 30 min late)"
    assert body["events"][0]["late_by_ms"] == 5_400_000
    assert body["events"][0]["deadline_at"] == "2026-11-29T06:30:00+00:00"


def test_a_long_slack_digest_stays_within_slacks_limits() -> None:
    items = [Routed(event(n), "chat", ()) for n in range(1500)]
    body = slack_body(items, True, "https://ui.example/{execution_id}", NOW)
    assert body["text"] == "Workflow alerts, 2026-11-30: 1500 event(s)"
    assert len(body["blocks"]) <= 50
    sections = [b for b in body["blocks"] if b["type"] == "section"]
    assert all(len(b["text"]["text"]) <= 3000 for b in sections)
    shown = sum(b["text"]["text"].count("*daily load/eu in prod") for b in sections)
    more = body["blocks"][-1]["elements"][0]["text"]
    assert more == f"and {1500 - shown} more"
