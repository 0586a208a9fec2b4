"""The careful path: a record as a plain dict, validated field by field.

It takes what the fast path does not: records that are already dicts, and detail answers whose
shape msgspec refused (an unknown field, a float time, a wrong type). Each field is checked in a
fixed order, so a record that cannot be flattened is rejected with the first problem found; a
record that can is rebuilt as the same :class:`~warehouse.wire.WireDetail` the fast path
decodes (payloads as their JSON bytes, unknown fields kept in ``extra``) and handed to the same
row builder.
"""

from __future__ import annotations

from typing import Any

import msgspec

from warehouse.flatten.definitions import DefinitionCache, definition_of_dict, execution_extra
from warehouse.flatten.fields import (
    Reject,
    extra_json,
    opt_str,
    payload_json,
    req_str,
    short,
    time_ms,
)
from warehouse.flatten.rows import Parsed, detail_rows
from warehouse.wire import ABSENT, WireDetail, WireTask

_TASK_KEYS = frozenset(
    {
        "id",
        "externalId",
        "status",
        "taskType",
        "input",
        "output",
        "parentTaskExternalId",
        "startTime",
        "endTime",
        "reasonForIncompletion",
    }
)


def _raw(value: Any, field: str) -> msgspec.Raw:
    text = payload_json(value, field)
    return ABSENT if text is None else msgspec.Raw(text.encode())


def _task(t: Any, i: int) -> tuple[WireTask, str | None]:
    """A task and its ``extra`` (unknown fields as JSON)."""
    where = f"executedTasks[{i}]."
    if type(t) is not dict:
        raise Reject(f"executedTasks[{i}]: not an object")
    task = WireTask(
        id=req_str(t, "id", where),
        externalId=req_str(t, "externalId", where),
        taskType=opt_str(t, "taskType", where),
        status=req_str(t, "status", where),
        parentTaskExternalId=opt_str(t, "parentTaskExternalId", where),
        startTime=time_ms(t.get("startTime"), where + "startTime"),
        endTime=time_ms(t.get("endTime"), where + "endTime"),
        reasonForIncompletion=opt_str(t, "reasonForIncompletion", where),
        input=_raw(t.get("input"), where + "input"),
        output=_raw(t.get("output"), where + "output"),
    )
    return task, extra_json(t, _TASK_KEYS, where + "extra")


def parse_record(rec: Any, cache: DefinitionCache) -> Parsed:
    """The rows of one record; raises Reject with the first problem found."""
    if type(rec) is not dict:
        raise Reject(f"record is not a JSON object but {type(rec).__name__}")
    execution_id = req_str(rec, "id", "")
    workflow_xid = req_str(rec, "workflowExternalId", "")
    version = opt_str(rec, "version", "")
    status = req_str(rec, "status", "")
    created_ms = time_ms(rec.get("createdTime"), "createdTime")
    if created_ms is None:
        raise Reject("createdTime: missing")
    start_ms = time_ms(rec.get("startTime"), "startTime")
    end_ms = time_ms(rec.get("endTime"), "endTime")
    metadata = rec.get("metadata")
    if metadata is not None and type(metadata) is not dict:
        raise Reject(f"metadata: not an object: {short(metadata)}")
    wd = rec.get("workflowDefinition")
    if wd is not None and type(wd) is not dict:
        raise Reject("workflowDefinition: not an object")
    if wd:
        opt_str(wd, "hash", "workflowDefinition.")
    tasks_in = rec.get("executedTasks")
    if tasks_in is None:
        tasks_in = []
    elif type(tasks_in) is not list:
        raise Reject("executedTasks: not a list")

    tasks, extras = [], []
    for i, t in enumerate(tasks_in):
        task, extra = _task(t, i)
        tasks.append(task)
        extras.append(extra)
    if len({t.id for t in tasks}) != len(tasks):
        raise Reject("executedTasks: the same task id appears twice")
    definition = definition_of_dict(wd, cache) if wd else None
    detail = WireDetail(
        id=execution_id,
        workflowExternalId=workflow_xid,
        status=status,
        createdTime=created_ms,
        version=version,
        startTime=start_ms,
        endTime=end_ms,
        input=_raw(rec.get("input"), "input"),
        reasonForIncompletion=opt_str(rec, "reasonForIncompletion", ""),
        engineExecutionId=opt_str(rec, "engineExecutionId", ""),
        metadata=metadata,
        executedTasks=tasks,
    )
    payload_json(metadata, "metadata")
    extra = execution_extra(rec, definition)
    task_extras = extras if any(e is not None for e in extras) else None
    parsed = detail_rows(detail, rec, definition, extra, task_extras)
    # Everything detail_rows could refuse was checked above, with its reason.
    assert parsed is not None
    return parsed
