"""Flatten detailed workflow executions into polars frames, one per table.

A detail body as received takes the fast path: msgspec decodes it into typed structs whose
payloads stay raw JSON bytes (see :mod:`warehouse.wire`), so nothing nested is ever built. A body
of any other shape, and a record that is already a dict, take the careful path: one pass in
Python validates each field and pulls out the scalars, the payloads re-serialised by orjson.
The fast path's task rows are built column by column for the whole batch, its payloads joined
into one Arrow buffer (a Python string per payload cost more than the decoding); the careful
path makes row tuples. Both give the same rows, and everything that works on whole columns
(times, durations) is then done by polars. A record that cannot be flattened never stops the
batch: it goes to ``rejected`` with its raw payload and the first problem found.
"""

from __future__ import annotations

import hashlib
import json
from array import array
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import accumulate, chain, groupby, repeat
from operator import attrgetter
from typing import Any

import msgspec
import orjson
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from warehouse.quality import annotate, metadata_over_limit
from warehouse.schema import (
    REJECTED_RECORDS,
    TASK_DEFINITIONS,
    TASK_EXECUTIONS,
    UTC_TIME,
    WORKFLOW_EXECUTIONS,
    Table,
)
from warehouse.wire import (
    DECODER,
    MAX_TIME_MS,
    MIN_TIME_MS,
    DecodeFailed,
    DetailAnswer,
    WireDetail,
    WireTask,
)

SOURCE_DETAIL = "execution_detail"
SOURCE_SUMMARY = "execution_summary"

# CDF's documented limits live in warehouse.quality: a record over one is stored and flagged.

_EXECUTION_KEYS = frozenset(
    {
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
        "input",
        "workflowDefinition",
        "executedTasks",
    }
)
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
_DEFINITION_KEYS = frozenset(
    {
        "externalId",
        "type",
        "name",
        "description",
        "parameters",
        "retries",
        "timeout",
        "onFailure",
        "dependsOn",
        "isAsyncComplete",
        "asyncComplete",
    }
)


@dataclass(frozen=True)
class FlatBatch:
    """Frames ready for :meth:`warehouse.store.Warehouse.apply_batch`, schemas as in schema.py."""

    executions: pl.DataFrame
    task_executions: pl.DataFrame
    task_definitions: pl.DataFrame
    rejected: pl.DataFrame

    @classmethod
    def empty(cls) -> FlatBatch:
        return cls(
            executions=WORKFLOW_EXECUTIONS.empty_frame(),
            task_executions=TASK_EXECUTIONS.empty_frame(),
            task_definitions=TASK_DEFINITIONS.empty_frame(),
            rejected=REJECTED_RECORDS.empty_frame(),
        )

    def with_rejected(self, rejected: pl.DataFrame) -> FlatBatch:
        """This batch plus more rejected rows (e.g. bad list summaries found by the ingest)."""
        both = pl.concat([self.rejected, rejected], how="vertical").unique(
            subset=["rejection_id"], keep="first", maintain_order=True
        )
        return FlatBatch(self.executions, self.task_executions, self.task_definitions, both)


_dumps = orjson.dumps


class _Reject(Exception):
    """A record cannot be flattened; the message is the stored reason."""


# --- scalar readers: each returns the clean value or raises _Reject naming the field -----------


def _time_ms(value: Any, field: str) -> int | None:
    if value is None:
        return None
    if type(value) is int:
        ms = value
    elif type(value) is float and value.is_integer():
        ms = int(value)
    else:
        raise _Reject(f"{field}: not an epoch-milliseconds integer: {_short(value)}")
    if not MIN_TIME_MS <= ms < MAX_TIME_MS:
        raise _Reject(f"{field}: {ms} is outside years 2000..2099")
    return ms


def _opt_str(obj: Mapping[str, Any], key: str, where: str) -> str | None:
    value = obj.get(key)
    if value is None or type(value) is str:
        return value
    raise _Reject(f"{where}{key}: not a string: {_short(value)}")


def _req_str(obj: Mapping[str, Any], key: str, where: str) -> str:
    value = obj.get(key)
    if type(value) is str and value:
        return value
    if value is None:
        raise _Reject(f"{where}{key}: missing")
    raise _Reject(f"{where}{key}: not a non-empty string: {_short(value)}")


def _opt_int(obj: Mapping[str, Any], key: str, where: str) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if type(value) is int and -(2**63) <= value < 2**63:
        return value
    if type(value) is float and value.is_integer() and abs(value) < 2**53:
        return int(value)
    raise _Reject(f"{where}{key}: not an integer: {_short(value)}")


def _opt_bool(value: Any, field: str) -> bool | None:
    if value is None or type(value) is bool:
        return value
    raise _Reject(f"{field}: not a boolean: {_short(value)}")


def _json(value: Any, field: str) -> str | None:
    """JSON text of a payload (NULL for an absent or null payload)."""
    if value is None:
        return None
    try:
        return orjson.dumps(value).decode()
    except (orjson.JSONEncodeError, TypeError) as exc:
        raise _Reject(f"{field}: not serialisable as JSON ({exc})") from None


def _extra(obj: Mapping[str, Any], known: frozenset[str], field: str) -> str | None:
    unknown = obj.keys() - known
    if not unknown:
        return None
    return _json({k: obj[k] for k in sorted(unknown, key=str)}, field)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


# --- per record ----------------------------------------------------------------------------


@dataclass
class _Parsed:
    execution: tuple[Any, ...]
    tasks: list[tuple[Any, ...]]
    attempts: list[int]
    task_ids: list[str]
    definition_hash: str | None
    definitions: list[tuple[Any, ...]]
    created_ms: int
    raw: Any
    # The fast path's tasks, still as decoded: their columns are built for the whole batch at
    # once (see _wire_tasks_frame); ``tasks`` is then empty.
    wire_tasks: list[WireTask] | None = None


def _parse_task(t: Any, i: int, execution_id: str, created_ms: int) -> tuple[Any, ...]:
    # Fast path: one type check per field inline (this runs once per task row, the hot loop).
    # Anything unusual (floats for times, wrong types, unknown keys) takes the careful path,
    # which either normalises the value or rejects with a precise reason.
    if type(t) is dict and t.keys() <= _TASK_KEYS:
        get = t.get
        tid = get("id")
        xid = get("externalId")
        status = get("status")
        task_type = get("taskType")
        parent = get("parentTaskExternalId")
        reason = get("reasonForIncompletion")
        start = get("startTime")
        end = get("endTime")
        if (
            type(tid) is str
            and tid
            and type(xid) is str
            and xid
            and type(status) is str
            and status
            and (task_type is None or type(task_type) is str)
            and (parent is None or type(parent) is str)
            and (reason is None or type(reason) is str)
            and (start is None or (type(start) is int and MIN_TIME_MS <= start < MAX_TIME_MS))
            and (end is None or (type(end) is int and MIN_TIME_MS <= end < MAX_TIME_MS))
        ):
            task_input = get("input")
            output = get("output")
            try:
                input_json = None if task_input is None else _dumps(task_input).decode()
                output_json = None if output is None else _dumps(output).decode()
            except (orjson.JSONEncodeError, TypeError):
                return _parse_task_carefully(t, i, execution_id, created_ms)
            return (
                tid,
                execution_id,
                xid,
                task_type,
                status,
                parent,
                start,
                end,
                reason,
                input_json,
                output_json,
                created_ms,
                None,
            )
    return _parse_task_carefully(t, i, execution_id, created_ms)


def _parse_task_carefully(t: Any, i: int, execution_id: str, created_ms: int) -> tuple[Any, ...]:
    where = f"executedTasks[{i}]."
    if type(t) is not dict:
        raise _Reject(f"executedTasks[{i}]: not an object")
    return (
        _req_str(t, "id", where),
        execution_id,
        _req_str(t, "externalId", where),
        _opt_str(t, "taskType", where),
        _req_str(t, "status", where),
        _opt_str(t, "parentTaskExternalId", where),
        _time_ms(t.get("startTime"), where + "startTime"),
        _time_ms(t.get("endTime"), where + "endTime"),
        _opt_str(t, "reasonForIncompletion", where),
        _json(t.get("input"), where + "input"),
        _json(t.get("output"), where + "output"),
        created_ms,
        _extra(t, _TASK_KEYS, where + "extra"),
    )


_TASK_ROW_COLUMNS = (
    "task_execution_id",
    "execution_id",
    "task_external_id",
    "task_type",
    "status",
    "parent_task_external_id",
    "start_ms",
    "end_ms",
    "reason_for_incompletion",
    "input",
    "output",
    "created_ms",
    "extra",
)


def _async_complete(d: Mapping[str, Any], params: Any, where: str) -> bool | None:
    # The SDK writes isAsyncComplete next to `function` inside `parameters`; the wire has also
    # been seen with `asyncComplete`, and older payloads put it inside `function` or on the task.
    places: list[Mapping[str, Any]] = [d]
    if type(params) is dict:
        places.append(params)
        if type(params.get("function")) is dict:
            places.append(params["function"])
    for place in places:
        for key in ("isAsyncComplete", "asyncComplete"):
            if place.get(key) is not None:
                return _opt_bool(place[key], where + key)
    return None


def _depends_on(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if type(value) is not list:
        raise _Reject(f"{where}dependsOn: not a list")
    out: list[str] = []
    for dep in value:
        # The API sends [{externalId}]; a bare string is accepted as the same thing.
        xid = dep.get("externalId") if type(dep) is dict else dep
        if type(xid) is not str or not xid:
            raise _Reject(f"{where}dependsOn: entry without a string externalId: {_short(dep)}")
        out.append(xid)
    return out


def _parse_definitions(wd: Mapping[str, Any], definition_hash: str) -> list[tuple[Any, ...]]:
    """Definition rows without the first-seen columns (added for the winning execution only)."""
    tasks = wd.get("tasks")
    if tasks is None:
        return []
    if type(tasks) is not list:
        raise _Reject("workflowDefinition.tasks: not a list")
    rows: list[tuple[Any, ...]] = []
    seen: set[str] = set()
    for i, d in enumerate(tasks):
        where = f"workflowDefinition.tasks[{i}]."
        if type(d) is not dict:
            raise _Reject(f"workflowDefinition.tasks[{i}]: not an object")
        xid = _req_str(d, "externalId", where)
        if xid in seen:
            # A definition cannot really hold the same externalId twice; keep the first so the
            # key stays unique rather than losing the whole execution.
            continue
        seen.add(xid)
        params = d.get("parameters")
        rows.append(
            (
                definition_hash,
                xid,
                _opt_str(d, "type", where),
                _opt_str(d, "name", where),
                _opt_str(d, "description", where),
                _json(params, where + "parameters"),
                _opt_int(d, "retries", where),
                _opt_int(d, "timeout", where),
                _opt_str(d, "onFailure", where),
                _async_complete(d, params, where),
                _depends_on(d.get("dependsOn"), where),
                _extra(d, _DEFINITION_KEYS, where + "extra"),
            )
        )
    return rows


_DEFINITION_ROW_COLUMNS = (
    "definition_hash",
    "task_external_id",
    "task_type",
    "name",
    "description",
    "parameters",
    "retries",
    "timeout_s",
    "on_failure",
    "is_async_complete",
    "depends_on",
    "extra",
    "workflow_external_id",
    "workflow_version",
    "first_seen_execution_id",
    "created_ms",
)


# Executions of one workflow version repeat the same definition: validate and convert each
# distinct definition once per batch. Key: (hash, JSON of its task list); value: rows or reason.
_DefinitionCache = dict[tuple[str, bytes], "list[tuple[Any, ...]] | str"]


def _cached_definitions(
    wd: Mapping[str, Any], definition_hash: str, cache: _DefinitionCache
) -> list[tuple[Any, ...]]:
    try:
        key = (definition_hash, orjson.dumps(wd.get("tasks")))
    except (orjson.JSONEncodeError, TypeError):
        return _parse_definitions(wd, definition_hash)  # rejects with a precise reason
    held = cache.get(key)
    if held is None:
        try:
            held = _parse_definitions(wd, definition_hash)
        except _Reject as exc:
            held = str(exc)
        cache[key] = held
    if isinstance(held, str):
        raise _Reject(held)
    return held


def _attempts(tasks: list[tuple[Any, ...]]) -> list[int]:
    """1-based ordinal per task among those sharing its externalId, by start time then order."""
    return _ordinals([t[2] for t in tasks], [t[6] for t in tasks])


def _ordinals(xids: list[str], starts: list[int | None]) -> list[int]:
    if len(set(xids)) == len(xids):
        return [1] * len(xids)  # the usual case: no retry shown as extra rows
    # unknown start sorts last, then API order, so the numbering does not depend on list order
    order = sorted(range(len(xids)), key=lambda i: (starts[i] is None, starts[i] or 0, i))
    seen: dict[str, int] = {}
    out = [0] * len(xids)
    for i in order:
        seen[xids[i]] = out[i] = seen.get(xids[i], 0) + 1
    return out


# --- the fast path: a detail answer decoded by msgspec (see warehouse.wire) ------------------

_NULL = msgspec.Raw(b"null")  # a payload sent as JSON null
_ID = attrgetter("id")
_XID = attrgetter("externalId")
_START = attrgetter("startTime")
_INPUT = attrgetter("input")
_OUTPUT = attrgetter("output")


class _NotUtf8(Exception):
    """A raw payload of the batch is not UTF-8 (checked per batch, see flatten_details)."""


def _text(raw: msgspec.Raw) -> str | None:
    """A raw payload as stored: its JSON text, or NULL when absent or null."""
    return bytes(raw).decode() if raw and raw != _NULL else None


# Per batch and distinct workflowDefinition body: (hash, definition rows, execution `extra`), or a
# string when the careful path must decide.
_WireDefinitionCache = dict[bytes, "tuple[str | None, list[tuple[Any, ...]], str | None] | str"]


def _wire_definition(body: bytes) -> tuple[str | None, list[tuple[Any, ...]], str | None] | str:
    # JSON that msgspec has parsed (bytes that are not UTF-8 raise here: see _parse_wire)
    wd = orjson.loads(body)
    if type(wd) is not dict:
        return "workflowDefinition: not an object"
    try:
        definition_hash = _opt_str(wd, "hash", "workflowDefinition.") if wd else None
        rows = _parse_definitions(wd, definition_hash) if wd and definition_hash else []
        # The struct allows no unknown execution field, so only the definition's own extras.
        extra = _execution_extra({}, wd)
    except _Reject as exc:
        return str(exc)
    return definition_hash, rows, extra


def _parse_wire(
    answer: DetailAnswer, cache: _WireDefinitionCache, *, check_utf8: bool = False
) -> _Parsed | None:
    """The rows of a clean detail answer, or None: then the careful path decides (and yields
    the same rows, or a rejection with its precise reason).

    msgspec does not check raw payloads for UTF-8; the batch's payload columns are checked
    when built (see flatten_details). ``check_utf8`` checks them here, per answer, instead."""
    try:
        return _parse_wire_unchecked(answer, cache, check_utf8)
    except (*DecodeFailed, UnicodeDecodeError, orjson.JSONDecodeError):
        # Bytes that are not UTF-8 make the careful path reject the body as not valid JSON.
        return None


def _parse_wire_unchecked(
    answer: DetailAnswer, cache: _WireDefinitionCache, check_utf8: bool
) -> _Parsed | None:
    d: WireDetail = DECODER.decode(answer.body)
    execution_id = d.id
    tasks_in = d.executedTasks or ()
    if execution_id != answer.asked_id:
        return None
    created_ms = d.createdTime
    # Per execution, only what decides the path, each a pass in C over the tasks; the rows
    # themselves are built column by column for the whole batch (_wire_tasks_frame).
    task_ids = list(map(_ID, tasks_in))
    if len(set(task_ids)) != len(task_ids):
        return None
    if check_utf8 and _not_utf8(tasks_in):
        return None
    definition_hash: str | None = None
    definitions: list[tuple[Any, ...]] = []
    extra: str | None = None
    if d.workflowDefinition and d.workflowDefinition != _NULL:
        key = bytes(d.workflowDefinition)
        held = cache.get(key)
        if held is None:
            held = cache[key] = _wire_definition(key)
        if isinstance(held, str):
            return None
        definition_hash, definitions, extra = held
    metadata_json: str | None = None
    if d.metadata is not None:
        try:
            metadata_json = _json(d.metadata, "metadata")
        except _Reject:
            return None
    execution = (
        execution_id,
        d.workflowExternalId,
        d.version,
        d.status,
        created_ms,
        d.startTime,
        d.endTime,
        d.reasonForIncompletion,
        d.engineExecutionId,
        definition_hash,
        metadata_json,
        _text(d.input),
        len(task_ids),
        extra,
        metadata_over_limit(d.metadata),
    )
    attempts = _ordinals(list(map(_XID, tasks_in)), list(map(_START, tasks_in)))
    return _Parsed(
        execution,
        [],
        attempts,
        task_ids,
        definition_hash,
        definitions,
        created_ms,
        answer,
        list(tasks_in),
    )


def _answer_as_record(answer: DetailAnswer) -> tuple[Any, str | None]:
    """The careful path's view of a detail answer: the decoded record and, when the answer
    cannot stand for the execution asked, why (the record is then what rejected_records keeps)."""
    asked = answer.asked_id
    try:
        record = orjson.loads(answer.body)
    except orjson.JSONDecodeError:
        text = answer.body.decode("utf-8", "replace")
        return text, f"detail answer for {asked!r} is not valid JSON"
    if record is None:
        return "null", f"detail answer for {asked!r} is JSON null instead of an execution"
    if type(record) is dict and "id" in record and record["id"] != asked:
        return record, f"detail answer for {asked!r} is for another id: {record['id']!r:.80}"
    return record, None


def _execution_extra(rec: Mapping[str, Any], wd: Mapping[str, Any] | None) -> str | None:
    # workflowDefinition's own fields besides hash and tasks (its description, anything new)
    # have no column: keep them under the execution's `extra` so they are not lost.
    unknown = {k: rec[k] for k in sorted(rec.keys() - _EXECUTION_KEYS, key=str)}
    if wd:
        rest = {k: v for k, v in wd.items() if k not in ("hash", "tasks")}
        if rest:
            unknown["workflowDefinition"] = rest
    return _json(unknown, "extra") if unknown else None


def _parse_execution(rec: Any, cache: _DefinitionCache) -> _Parsed:
    if type(rec) is not dict:
        raise _Reject(f"record is not a JSON object but {type(rec).__name__}")
    execution_id = _req_str(rec, "id", "")
    workflow_xid = _req_str(rec, "workflowExternalId", "")
    version = _opt_str(rec, "version", "")
    status = _req_str(rec, "status", "")
    created_ms = _time_ms(rec.get("createdTime"), "createdTime")
    if created_ms is None:
        raise _Reject("createdTime: missing")
    start_ms = _time_ms(rec.get("startTime"), "startTime")
    end_ms = _time_ms(rec.get("endTime"), "endTime")
    metadata = rec.get("metadata")
    if metadata is not None and type(metadata) is not dict:
        raise _Reject(f"metadata: not an object: {_short(metadata)}")
    wd = rec.get("workflowDefinition")
    if wd is not None and type(wd) is not dict:
        raise _Reject("workflowDefinition: not an object")
    definition_hash = _opt_str(wd, "hash", "workflowDefinition.") if wd else None
    tasks_in = rec.get("executedTasks")
    if tasks_in is None:
        tasks_in = []
    elif type(tasks_in) is not list:
        raise _Reject("executedTasks: not a list")

    tasks = [_parse_task(t, i, execution_id, created_ms) for i, t in enumerate(tasks_in)]
    task_ids = [t[0] for t in tasks]
    if len(set(task_ids)) != len(task_ids):
        raise _Reject("executedTasks: the same task id appears twice")
    definitions: list[tuple[Any, ...]] = []
    if wd and definition_hash:
        definitions = _cached_definitions(wd, definition_hash, cache)

    input_json = _json(rec.get("input"), "input")
    execution = (
        execution_id,
        workflow_xid,
        version,
        status,
        created_ms,
        start_ms,
        end_ms,
        _opt_str(rec, "reasonForIncompletion", ""),
        _opt_str(rec, "engineExecutionId", ""),
        definition_hash,
        _json(metadata, "metadata"),
        input_json,
        len(tasks),
        _execution_extra(rec, wd),
        metadata_over_limit(metadata),
    )
    return _Parsed(
        execution, tasks, _attempts(tasks), task_ids, definition_hash, definitions, created_ms, rec
    )


_EXECUTION_ROW_COLUMNS = (
    "execution_id",
    "workflow_external_id",
    "workflow_version",
    "status",
    "created_ms",
    "start_ms",
    "end_ms",
    "reason_for_incompletion",
    "engine_execution_id",
    "definition_hash",
    "metadata",
    "input",
    "task_count",
    "extra",
    "metadata_over_limit",
)


# --- frames --------------------------------------------------------------------------------


def _ms_to_time(name: str) -> pl.Expr:
    return (
        pl.from_epoch(pl.col(name), time_unit="ms")
        .dt.cast_time_unit("us")
        .dt.replace_time_zone("UTC")
    )


def _duration(start: str, end: str) -> pl.Expr:
    # Contract: end - start only when both are known and end >= start; otherwise NULL (never a
    # negative duration).
    return pl.when(pl.col(end) >= pl.col(start)).then(pl.col(end) - pl.col(start)).otherwise(None)


def _row_schema(columns: tuple[str, ...], table: Table) -> dict[str, Any]:
    target = table.polars_schema()
    return {
        c: (pl.Int64 if c.endswith("_ms") else _WORK_TYPES.get(c) or target.get(c, pl.String))
        for c in columns
    }


# Working columns that are neither the table's nor epoch milliseconds.
_WORK_TYPES: dict[str, Any] = {"metadata_over_limit": pl.Boolean}


def _row_frame(rows: list[tuple[Any, ...]], columns: tuple[str, ...], table: Table) -> pl.DataFrame:
    schema = _row_schema(columns, table)
    if not rows:
        return pl.DataFrame(schema=schema)
    # Column by column (zip transposes in C): polars builds a typed column from a sequence
    # about four times faster than it reads row tuples.
    return pl.DataFrame(
        [
            pl.Series(name, values, dtype=dtype)
            for (name, dtype), values in zip(schema.items(), zip(*rows, strict=True), strict=True)
        ]
    )


def _executions_frame(rows: list[tuple[Any, ...]], ingested_at: datetime) -> pl.DataFrame:
    df = _row_frame(rows, _EXECUTION_ROW_COLUMNS, WORKFLOW_EXECUTIONS)
    df = df.with_columns(
        created_time=_ms_to_time("created_ms"),
        start_time=_ms_to_time("start_ms"),
        end_time=_ms_to_time("end_ms"),
        duration_ms=_duration("start_ms", "end_ms"),
        queue_ms=pl.col("start_ms") - pl.col("created_ms"),
        ingested_at=pl.lit(ingested_at, dtype=UTC_TIME),
    )
    # quality_flags is added by warehouse.quality.annotate, from metadata_over_limit and more.
    return df.select(*_SOURCE_COLUMNS[WORKFLOW_EXECUTIONS.name], "metadata_over_limit")


def _payload_column(raws: list[msgspec.Raw]) -> pa.Array:
    """Raw JSON payloads as one Arrow string column, NULL where absent or JSON null, without a
    Python string per value: the bytes are joined into one buffer behind computed offsets.
    Raises _NotUtf8 when a payload is not UTF-8."""
    n = len(raws)
    buffers = [pa.py_buffer(array("q", accumulate(map(len, raws), initial=0)))]
    buffers.append(pa.py_buffer(b"".join(raws)))
    text = pa.Array.from_buffers(pa.large_string(), n, [None, *buffers])
    try:
        text.validate(full=True)
    except pa.ArrowInvalid as exc:
        raise _NotUtf8 from exc
    present = pc.and_(pc.greater(pc.binary_length(text), 0), pc.not_equal(text, "null"))
    return pa.Array.from_buffers(pa.large_string(), n, [present.buffers()[1], *buffers])


def _wire_tasks_frame(run: list[_Parsed]) -> pl.DataFrame:
    """The task rows of fast-path executions, one column at a time (the same columns and
    types as _row_frame gives the careful path's tuples)."""
    tasks: list[WireTask] = list(chain.from_iterable(p.wire_tasks or () for p in run))
    counts = [len(p.wire_tasks or ()) for p in run]
    values: dict[str, Any] = {
        "task_execution_id": list(chain.from_iterable(p.task_ids for p in run)),
        "execution_id": list(
            chain.from_iterable(map(repeat, (p.execution[0] for p in run), counts))
        ),
        "task_external_id": list(map(_XID, tasks)),
        "task_type": list(map(attrgetter("taskType"), tasks)),
        "status": list(map(attrgetter("status"), tasks)),
        "parent_task_external_id": list(map(attrgetter("parentTaskExternalId"), tasks)),
        "start_ms": list(map(_START, tasks)),
        "end_ms": list(map(attrgetter("endTime"), tasks)),
        "reason_for_incompletion": list(map(attrgetter("reasonForIncompletion"), tasks)),
        "created_ms": list(chain.from_iterable(map(repeat, (p.created_ms for p in run), counts))),
        "extra": [None] * len(tasks),
    }
    payloads = {
        "input": _payload_column(list(map(_INPUT, tasks))),
        "output": _payload_column(list(map(_OUTPUT, tasks))),
    }
    return pl.DataFrame(
        [
            pl.from_arrow(payloads[name]).alias(name)  # type: ignore[union-attr]
            if name in payloads
            else pl.Series(name, values[name], dtype=dtype)
            for name, dtype in _row_schema(_TASK_ROW_COLUMNS, TASK_EXECUTIONS).items()
        ]
    )


def _tasks_frame(parsed: list[_Parsed]) -> pl.DataFrame:
    # Consecutive executions of the same path make one piece, so rows keep the batch's order.
    pieces = [
        _wire_tasks_frame(list(run))
        if wire
        else _row_frame([t for p in run for t in p.tasks], _TASK_ROW_COLUMNS, TASK_EXECUTIONS)
        for wire, run in groupby(parsed, key=lambda p: p.wire_tasks is not None)
    ]
    if not pieces:
        df = _row_frame([], _TASK_ROW_COLUMNS, TASK_EXECUTIONS)
    else:
        df = pieces[0] if len(pieces) == 1 else pl.concat(pieces, how="vertical")
    attempts = [a for p in parsed for a in p.attempts]
    df = df.with_columns(
        attempt=pl.Series(attempts, dtype=pl.Int32),
        is_child=pl.col("parent_task_external_id").is_not_null(),
        start_time=_ms_to_time("start_ms"),
        end_time=_ms_to_time("end_ms"),
        duration_ms=_duration("start_ms", "end_ms"),
        execution_created_time=_ms_to_time("created_ms"),
    )
    return df.select(_SOURCE_COLUMNS[TASK_EXECUTIONS.name])


# The columns read from the source; warehouse.quality.annotate adds the others.
_DERIVED = {"quality_flags", "task_key", "parent_inferred"}
_SOURCE_COLUMNS = {
    table.name: [c for c in table.column_names if c not in _DERIVED]
    for table in (WORKFLOW_EXECUTIONS, TASK_EXECUTIONS)
}


def _definitions_frame(rows: list[tuple[Any, ...]]) -> pl.DataFrame:
    df = _row_frame(rows, _DEFINITION_ROW_COLUMNS, TASK_DEFINITIONS)
    df = df.with_columns(first_seen_created_time=_ms_to_time("created_ms"))
    return df.select(TASK_DEFINITIONS.column_names).cast(TASK_DEFINITIONS.polars_schema())


def _raw_json(record: Any) -> str:
    try:
        return orjson.dumps(record).decode()
    except (orjson.JSONEncodeError, TypeError):
        pass
    try:
        # orjson refuses integers beyond 64 bits and non-string keys; the standard library
        # writes both (keys as strings) and still produces valid JSON...
        return json.dumps(record, default=repr, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        # ...and when nothing else works, the repr as a JSON string keeps the column valid JSON.
        return orjson.dumps(repr(record)[:1_000_000]).decode()


def _record_id(record: Any) -> str | None:
    if type(record) is dict:
        rid = record.get("id")
        if type(rid) is str and rid:
            return rid
    return None


def _rejection_row(record: Any, reason: str, source: str, rejected_at: datetime) -> tuple[Any, ...]:
    raw = _raw_json(record)
    digest = hashlib.blake2b(f"{source}\n{raw}".encode(), digest_size=16).hexdigest()
    return (digest, rejected_at, source, _record_id(record), reason, raw)


def rejected_frame(
    items: Iterable[tuple[Any, str]], *, source: str, rejected_at: datetime
) -> pl.DataFrame:
    """Rows for ``rejected_records`` from (raw record, reason) pairs, one per distinct payload."""
    at = _utc(rejected_at)
    rows = [_rejection_row(rec, reason, source, at) for rec, reason in items]
    df = pl.DataFrame(rows, schema=REJECTED_RECORDS.polars_schema(), orient="row")
    return df.unique(subset=["rejection_id"], keep="first", maintain_order=True)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(UTC)


def flatten_details(records: Iterable[Any], *, ingested_at: datetime) -> FlatBatch:
    """Flatten ``WorkflowExecutionDetailed`` records into the warehouse's frames.

    A record is a decoded dict, or a :class:`warehouse.wire.DetailAnswer` (the id asked for and
    the response body as received): those are decoded here, straight into row values when their
    shape is the common one, and through the careful dict path otherwise. An answer that is not
    JSON, is null, or is for another id than the one asked is rejected.

    Every input record ends up either as one execution row (with its tasks and definitions) or
    as one rejected row. When the same execution id appears more than once, the last one wins:
    it is the latest state seen. ``ingested_at`` (timezone-aware) stamps executions and
    rejections.
    """
    at = _utc(ingested_at)
    records = records if isinstance(records, list) else list(records)
    try:
        return _flatten(records, at, check_utf8=False)
    except _NotUtf8:
        pass
    # Rare (a damaged body): check each answer's payloads, so that only the answers at fault
    # are rejected, exactly as if they had been checked one by one from the start. (Outside the
    # handler: the exception's traceback would keep the first pass's columns alive.)
    return _flatten(records, at, check_utf8=True)


def _not_utf8(tasks: Iterable[WireTask]) -> bool:
    """Whether raw task payloads hold bytes that are not UTF-8. The batch checks its winners'
    payloads when it builds their columns; this serves the per-answer retry and the answers
    that never get there (replaced by a later answer, or rejected for a task id clash)."""
    try:
        for t in tasks:
            bytes(t.input).decode()
            bytes(t.output).decode()
    except UnicodeDecodeError:
        return True
    return False


def _flatten(records: list[Any], at: datetime, *, check_utf8: bool) -> FlatBatch:
    parsed: dict[str, _Parsed] = {}
    cache: _DefinitionCache = {}
    rejected: list[tuple[Any, str]] = []
    wire_cache: _WireDefinitionCache = {}
    for rec in records:
        p: _Parsed | None = None
        if type(rec) is DetailAnswer:
            p = _parse_wire(rec, wire_cache, check_utf8=check_utf8)
            if p is None:
                rec, problem = _answer_as_record(rec)
                if problem is not None:
                    rejected.append((rec, problem))
                    continue
        if p is None:
            try:
                p = _parse_execution(rec, cache)
            except _Reject as exc:
                rejected.append((rec, str(exc)))
                continue
        # pop then insert so the batch keeps the order of the winning (last) occurrence
        earlier = parsed.pop(p.execution[0], None)
        if earlier is not None and _not_utf8(earlier.wire_tasks or ()):
            raw, problem = _answer_as_record(earlier.raw)
            rejected.append((raw, problem or "detail answer is not valid JSON"))
        parsed[p.execution[0]] = p

    executions: list[tuple[Any, ...]] = []
    winners: list[_Parsed] = []
    # Per definition hash, the rows of the earliest execution using it (created time, then id):
    # the same choice the store makes, so the outcome does not depend on batch boundaries.
    definitions: dict[str, tuple[tuple[int, str], _Parsed]] = {}
    task_owner: dict[str, str] = {}
    for execution_id, p in parsed.items():
        clash = next((t for t in p.task_ids if t in task_owner), None)
        if clash is not None:
            reason = f"executedTasks: task id {clash} also belongs to {task_owner[clash]}"
            if type(p.raw) is DetailAnswer:
                raw, problem = _answer_as_record(p.raw)
                # An answer that is not UTF-8 is rejected as not valid JSON first.
                reason = (
                    problem if problem is not None and _not_utf8(p.wire_tasks or ()) else reason
                )
            else:
                raw = p.raw
            rejected.append((raw, reason))
            continue
        task_owner.update(zip(p.task_ids, repeat(execution_id)))
        executions.append(p.execution)
        winners.append(p)
        if p.definition_hash is not None and p.definitions:
            rank = (p.created_ms, execution_id)
            held = definitions.get(p.definition_hash)
            if held is None or rank < held[0]:
                definitions[p.definition_hash] = (rank, p)

    definition_rows = [
        (*row, p.execution[1], p.execution[2], p.execution[0], p.created_ms)
        for _, p in definitions.values()
        for row in p.definitions
    ]
    definitions_frame = _definitions_frame(definition_rows)
    executions_frame, tasks_frame = annotate(
        _executions_frame(executions, at), _tasks_frame(winners), definitions_frame
    )
    return FlatBatch(
        executions=executions_frame,
        task_executions=tasks_frame,
        task_definitions=definitions_frame,
        rejected=rejected_frame(rejected, source=SOURCE_DETAIL, rejected_at=at),
    )
