"""Records served exactly as given, besides the generated world: payloads captured from a live
CDF project, examples from Cognite's docs and SDKs, or hand-made odd shapes.

An injected execution is a detail body (a dict, or raw bytes served byte for byte); its list
item is given or taken from the detail's summary fields. Injected records ignore the clock and
the retention window (they are what the source holds) and are listed before the world's: their
pages carry cursors of their own (``inj-<offset>``), and the page after the last one goes on with
the world's first. Triggers and trigger runs work the same way. With nothing injected, every
answer is exactly the world's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

JSON = dict[str, Any]

# The fields an execution's list item has (the detail minus its definition, tasks and input).
SUMMARY_FIELDS = (
    "id",
    "workflowExternalId",
    "version",
    "status",
    "engineExecutionId",
    "createdTime",
    "startTime",
    "endTime",
    "reasonForIncompletion",
    "metadata",
)
_PREFIX = "inj-"
_END = "inj-end"


def summary_of(detail: JSON) -> JSON:
    return {k: detail[k] for k in SUMMARY_FIELDS if k in detail}


@dataclass
class InjectedRecords:
    summaries: list[JSON] = field(default_factory=list)
    details: dict[str, bytes] = field(default_factory=dict)
    triggers: list[JSON] = field(default_factory=list)
    runs: dict[str, list[JSON]] = field(default_factory=dict)

    def add_execution(
        self, detail: JSON | bytes | None = None, *, summary: JSON | None = None
    ) -> None:
        """Serve a detail (and list it), or only a list item, or both with the same id."""
        parsed = orjson.loads(detail) if isinstance(detail, bytes) else detail
        if summary is None:
            if not isinstance(parsed, dict):
                raise ValueError("a detail that is not an object needs its list item")
            summary = summary_of(parsed)
        self.summaries = [s for s in self.summaries if s.get("id") != summary.get("id")]
        self.summaries.append(summary)
        if detail is not None:
            body = detail if isinstance(detail, bytes) else orjson.dumps(detail)
            self.details[str(summary.get("id"))] = body

    def add_trigger(self, trigger: JSON, runs: list[JSON] | None = None) -> None:
        self.triggers = [
            t for t in self.triggers if t.get("externalId") != trigger.get("externalId")
        ]
        self.triggers.append(trigger)
        if runs is not None:
            self.runs[str(trigger.get("externalId"))] = list(runs)

    def add_trigger_runs(self, external_id: str, runs: list[JSON]) -> None:
        self.runs.setdefault(external_id, []).extend(runs)

    def add_json(self, body: Any) -> None:
        """The control endpoint's body: ``{"executions": [detail, ...], "summaries": [item, ...],
        "triggers": [trigger, ...], "triggerRuns": {"<trigger externalId>": [run, ...]}}``."""
        if not isinstance(body, dict):
            raise ValueError("give an object")
        for detail in body.get("executions") or []:
            self.add_execution(detail)
        for item in body.get("summaries") or []:
            self.add_execution(summary=item)
        for trigger in body.get("triggers") or []:
            self.add_trigger(trigger)
        for external_id, runs in (body.get("triggerRuns") or {}).items():
            self.add_trigger_runs(str(external_id), list(runs))

    # -- serving ----------------------------------------------------------------------------
    @staticmethod
    def owns(cursor: str | None) -> bool:
        """Whether a list request with this cursor is answered here (or after: the world's)."""
        return cursor is None or (cursor.startswith(_PREFIX) and cursor != _END)

    @staticmethod
    def world_cursor(cursor: str | None) -> str | None:
        return None if cursor == _END else cursor

    def page(
        self, items: list[JSON], limit: int, cursor: str | None, world_has_more: bool
    ) -> tuple[list[JSON], str | None]:
        offset = int(cursor[len(_PREFIX) :]) if cursor else 0
        page = items[offset : offset + limit]
        if offset + limit < len(items):
            return page, f"{_PREFIX}{offset + limit}"
        return page, (_END if world_has_more else None)

    def executions(
        self,
        workflows: set[str] | None,
        created_start: int | None,
        created_end: int | None,
        statuses: frozenset[str] | None,
    ) -> list[JSON]:
        def keep(item: JSON) -> bool:
            created = item.get("createdTime")
            status = item.get("status")
            return (
                (workflows is None or item.get("workflowExternalId") in workflows)
                and (
                    created_start is None
                    or not isinstance(created, int)
                    or created >= created_start
                )
                and (created_end is None or not isinstance(created, int) or created <= created_end)
                and (statuses is None or (isinstance(status, str) and status.upper() in statuses))
            )

        return [s for s in self.summaries if keep(s)]
