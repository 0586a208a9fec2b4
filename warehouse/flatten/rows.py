"""Typed rows of one execution, and the one builder that makes them from a decoded detail.

Both decoding paths end here: the fast path hands over the :class:`~warehouse.wire.WireDetail`
msgspec decoded, the careful path one it has validated and built from a plain dict. Task rows
stay :class:`~warehouse.wire.WireTask` records until the whole batch is turned into columns at
once (:mod:`warehouse.flatten.frames`).
"""

from __future__ import annotations

from dataclasses import dataclass
from operator import attrgetter
from typing import Any, NamedTuple

import msgspec
import orjson

from warehouse.quality import metadata_over_limit
from warehouse.source_values import json_text
from warehouse.wire import WireDetail, WireTask

NULL = msgspec.Raw(b"null")  # a payload sent as JSON null
TASK_ID = attrgetter("id")
TASK_XID = attrgetter("externalId")
TASK_START = attrgetter("startTime")


class ExecutionRow(NamedTuple):
    """A ``workflow_executions`` row before the frame derives times, durations and flags."""

    execution_id: str
    workflow_external_id: str
    workflow_version: str | None
    status: str
    created_ms: int
    start_ms: int | None
    end_ms: int | None
    reason_for_incompletion: str | None
    engine_execution_id: str | None
    definition_hash: str | None
    metadata: str | None
    input: str | None
    task_count: int
    extra: str | None
    metadata_over_limit: bool


class DefinitionRow(NamedTuple):
    """A ``task_definitions`` row. The first-seen columns are filled for the execution that wins
    the definition in its batch (see :func:`warehouse.flatten.batch.flatten_details`)."""

    definition_hash: str
    task_external_id: str
    task_type: str | None
    name: str | None
    description: str | None
    parameters: str | None
    retries: int | None
    timeout_s: int | None
    on_failure: str | None
    is_async_complete: bool | None
    depends_on: list[str]
    extra: str | None
    workflow_external_id: str | None = None
    workflow_version: str | None = None
    first_seen_execution_id: str | None = None
    created_ms: int | None = None


class Definition(NamedTuple):
    """What a ``workflowDefinition`` body gives: its hash, its task rows, and its own fields
    besides hash and tasks (kept in the execution's ``extra``); ``extra`` is that ``extra`` for
    an execution without unknown fields of its own (the fast path's), written once per body."""

    hash: str | None
    rows: list[DefinitionRow]
    rest: dict[str, Any] | None
    extra: str | None = None


@dataclass
class Parsed:
    """One execution's rows; ``raw`` is what a rejection would store (answer or dict)."""

    execution: ExecutionRow
    tasks: list[WireTask]
    task_ids: list[str]
    attempts: list[int]
    definitions: list[DefinitionRow]
    raw: Any
    # The careful path's `extra` per task (unknown task fields); None when there are none.
    task_extras: list[str | None] | None = None


def ordinals(xids: list[str], starts: list[int | None]) -> list[int]:
    """1-based ordinal per task among those sharing its externalId, by start time then order."""
    if len(set(xids)) == len(xids):
        return [1] * len(xids)  # the usual case: no retry shown as extra rows
    # unknown start sorts last, then API order, so the numbering does not depend on list order
    order = sorted(range(len(xids)), key=lambda i: (starts[i] is None, starts[i] or 0, i))
    seen: dict[str, int] = {}
    out = [0] * len(xids)
    for i in order:
        seen[xids[i]] = out[i] = seen.get(xids[i], 0) + 1
    return out


def payload_text(raw: msgspec.Raw) -> str | None:
    """A raw payload as stored: its JSON text, or NULL when absent or null."""
    return bytes(raw).decode() if raw and raw != NULL else None


def detail_rows(
    d: WireDetail,
    raw: Any,
    definition: Definition | None,
    extra: str | None,
    task_extras: list[str | None] | None = None,
) -> Parsed | None:
    """The rows of one decoded detail, or None when it needs the careful path's verdict (a task
    id twice, metadata that is not JSON): the careful path has checked those before it calls."""
    tasks = d.executedTasks or []
    # Per execution, only what decides the path, each a pass in C over the tasks; the rows
    # themselves are built column by column for the whole batch.
    task_ids = list(map(TASK_ID, tasks))
    if len(set(task_ids)) != len(task_ids):
        return None
    try:
        metadata = json_text(d.metadata)
    except (orjson.JSONEncodeError, TypeError):
        return None
    execution = ExecutionRow(
        execution_id=d.id,
        workflow_external_id=d.workflowExternalId,
        workflow_version=d.version,
        status=d.status,
        created_ms=d.createdTime,
        start_ms=d.startTime,
        end_ms=d.endTime,
        reason_for_incompletion=d.reasonForIncompletion,
        engine_execution_id=d.engineExecutionId,
        definition_hash=definition.hash if definition else None,
        metadata=metadata,
        input=payload_text(d.input),
        task_count=len(tasks),
        extra=extra,
        metadata_over_limit=metadata_over_limit(d.metadata),
    )
    return Parsed(
        execution=execution,
        tasks=tasks,
        task_ids=task_ids,
        attempts=ordinals(list(map(TASK_XID, tasks)), list(map(TASK_START, tasks))),
        definitions=definition.rows if definition and definition.hash else [],
        raw=raw,
        task_extras=task_extras,
    )
