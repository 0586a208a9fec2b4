"""Messages a person can act on: what happened, to which workflow in which project, when, how
far over the target, the execution id and a link to it in CDF's UI (when a template is set).

Two formats: the generic webhook's JSON document (``SCHEMA``, documented in docs/analytics.md)
and Slack's incoming-webhook format (``text`` plus ``blocks``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from alerts.events import AlertEvent, Routed

SCHEMA = "cdf-workflow-analytics/alerts/v1"

TITLES = {
    "duration": "ran over its duration target",
    "deadline": "missed its deadline",
    "missed_run": "scheduled run did not happen",
    "failed_fire": "scheduled trigger fired and failed",
    "failed_run": "scheduled run failed",
    "stuck": "run looks stuck",
    "source_anomaly": "CDF sent records that could not be stored or break its rules",
}
# Slack refuses a section over 3,000 characters and a message over 50 blocks.
_SLACK_SECTION_CHARS = 2900
_SLACK_MAX_SECTIONS = 45


def human_ms(ms: int | None) -> str:
    """``1 h 32 min``, ``4 min 10 s``, ``12 s``; empty for None."""
    if ms is None:
        return ""
    sign, ms = ("-", -ms) if ms < 0 else ("", ms)
    seconds = round(ms / 1000)
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        big, small = f"{days} d", f"{hours} h" if hours else ""
    elif hours:
        big, small = f"{hours} h", f"{minutes} min" if minutes else ""
    elif minutes:
        big, small = f"{minutes} min", f"{secs} s" if secs else ""
    else:
        big, small = f"{secs} s", ""
    return sign + (f"{big} {small}" if small else big)


def _when(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def execution_link(event: AlertEvent, template: str | None) -> str | None:
    """The execution's page in CDF's UI from the ``CDF_UI_EXECUTION_URL`` template, whose
    ``{project}``, ``{workflow}`` and ``{execution_id}`` are filled in (URL-quoted)."""
    if not template or not event.execution_id:
        return None
    values = {
        "project": event.cdf_project,
        "workflow": event.workflow_external_id or "",
        "execution_id": event.execution_id,
    }
    try:
        return template.format_map({k: quote(v, safe="") for k, v in values.items()})
    except (KeyError, IndexError, ValueError):
        return None


def what_happened(event: AlertEvent) -> str:
    """One sentence on the event, with the numbers that tell how bad it is."""
    kind = event.kind
    if kind == "duration":
        return (
            f"ran {human_ms(event.actual_ms)} against a target of {human_ms(event.target_ms)} "
            f"({human_ms(event.over_target_ms)} over)"
            + (", still running" if event.status == "RUNNING" else "")
        )
    if kind == "deadline":
        return f"not finished by {_when(event.deadline_at)} ({human_ms(event.late_by_ms)} late)"
    if kind in ("missed_run", "failed_fire"):
        return f"run scheduled for {_when(event.event_time)} never started: {event.detail}"
    if kind == "failed_run":
        return f"run scheduled for {_when(event.event_time)} ended {event.status}: {event.detail}"
    if kind == "stuck":
        over = (
            f", {human_ms(event.over_target_ms)} over the usual {human_ms(event.target_ms)}"
            if event.over_target_ms is not None
            else ""
        )
        return f"{event.status} for {human_ms(event.actual_ms)}{over}; {event.detail}"
    if kind == "source_anomaly":
        return f"{event.detail} (threshold {event.target_ms} a day)"
    return event.detail or kind


def subject(event: AlertEvent) -> str:
    workflow = event.workflow_external_id or "(no workflow)"
    return f"{workflow} in {event.cdf_project}: {TITLES.get(event.kind, event.kind)}"


def event_text(item: Routed, template: str | None) -> str:
    """The plain-text message of one event (also the webhook's ``text``)."""
    event = item.event
    lines = [subject(item.event), what_happened(event), f"When: {_when(event.event_time)}"]
    if event.execution_id:
        lines.append(f"Execution: {event.execution_id}")
    if event.trigger_external_id:
        lines.append(f"Trigger: {event.trigger_external_id}")
    link = execution_link(event, template)
    if link:
        lines.append(f"Open in CDF: {link}")
    if item.owners:
        lines.append(f"Owners: {', '.join(item.owners)}")
    return "\n".join(lines)


def webhook_body(
    items: Sequence[Routed], destination: str, digest: bool, template: str | None, now: datetime
) -> dict[str, Any]:
    """The generic webhook's JSON document: always a list of events (one unless a digest)."""
    return {
        "schema": SCHEMA,
        "destination": destination,
        "digest": digest,
        "sent_at": now.astimezone(UTC).isoformat(),
        "event_count": len(items),
        "events": [
            {
                **item.event.as_json(),
                "title": TITLES.get(item.event.kind, item.event.kind),
                "summary": what_happened(item.event),
                "owners": list(item.owners),
                "execution_url": execution_link(item.event, template),
                "text": event_text(item, template),
            }
            for item in items
        ],
    }


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_line(item: Routed, template: str | None) -> str:
    event = item.event
    link = execution_link(event, template)
    head = f"*{_slack_escape(subject(event))}*"
    parts = [_slack_escape(what_happened(event)), _when(event.event_time)]
    if event.execution_id:
        execution = f"execution `{_slack_escape(event.execution_id)}`"
        parts.append(f"<{link}|{execution}>" if link else execution)
    if item.owners:
        parts.append("owners: " + _slack_escape(", ".join(item.owners)))
    return head + "\n" + " · ".join(parts)


def slack_body(
    items: Sequence[Routed], digest: bool, template: str | None, now: datetime
) -> dict[str, Any]:
    """Slack's incoming-webhook JSON: ``text`` for notifications, ``blocks`` for the body."""
    lines = [_slack_line(item, template) for item in items]
    if digest:
        header = f"Workflow alerts, {now.astimezone(UTC):%Y-%m-%d}: {len(items)} event(s)"
    else:
        header = subject(items[0].event)
    sections: list[str] = []
    for line in lines:
        if sections and len(sections[-1]) + len(line) + 2 <= _SLACK_SECTION_CHARS:
            sections[-1] += "\n\n" + line
        else:
            sections.append(line[:_SLACK_SECTION_CHARS])
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": s}}
        for s in sections[:_SLACK_MAX_SECTIONS]
    ]
    if len(sections) > _SLACK_MAX_SECTIONS:
        rest = sum(s.count("\n\n") + 1 for s in sections[_SLACK_MAX_SECTIONS:])
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"and {rest} more"}]}
        )
    return {"text": header, "blocks": blocks}
