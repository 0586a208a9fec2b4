"""Typed rows into polars frames shaped as the tables in :mod:`warehouse.schema`.

Scalar columns come from the rows one column at a time (polars builds a typed column from a
sequence faster than it reads row tuples); everything that works on whole columns (times,
durations) is then done by polars. Task payloads never become Python strings: their raw JSON
bytes are joined into one Arrow buffer behind computed offsets, which is also where the batch
finds out whether every payload is UTF-8 (:class:`NotUtf8`).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence
from datetime import datetime
from itertools import accumulate, chain, repeat
from operator import attrgetter
from typing import Any, NamedTuple

import msgspec
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from warehouse.flatten.rows import TASK_START, TASK_XID, DefinitionRow, ExecutionRow, Parsed
from warehouse.schema import (
    TASK_DEFINITIONS,
    TASK_EXECUTIONS,
    UTC_TIME,
    WORKFLOW_EXECUTIONS,
    Table,
)
from warehouse.wire import WireTask

# The task frame's working columns, in order: the table's source columns plus epoch ms.
TASK_COLUMNS = (
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
# Working columns that are neither the table's nor epoch milliseconds.
_WORK_TYPES: dict[str, Any] = {"metadata_over_limit": pl.Boolean}
# The columns read from the source; warehouse.quality.annotate adds the others.
_DERIVED = {"quality_flags", "task_key", "parent_inferred"}
_SOURCE_COLUMNS = {
    table.name: [c for c in table.column_names if c not in _DERIVED]
    for table in (WORKFLOW_EXECUTIONS, TASK_EXECUTIONS)
}


class NotUtf8(Exception):
    """A raw payload of the batch is not UTF-8 (the batch is then read again, each answer
    checked on its own: see warehouse.flatten.batch.flatten_details)."""


def not_utf8(tasks: Iterable[WireTask]) -> bool:
    """Whether raw task payloads hold bytes that are not UTF-8, checked one answer at a time:
    for the batch's second reading, and for answers whose columns are never built (replaced by
    a later answer of the same execution)."""
    try:
        for t in tasks:
            bytes(t.input).decode()
            bytes(t.output).decode()
    except UnicodeDecodeError:
        return True
    return False


def payload_column(raws: list[msgspec.Raw]) -> pa.Array:
    """Raw JSON payloads as one Arrow string column, NULL where absent or JSON null, without a
    Python string per value: the bytes are joined into one buffer behind computed offsets.
    Raises NotUtf8 when a payload is not UTF-8."""
    n = len(raws)
    buffers = [pa.py_buffer(array("q", accumulate(map(len, raws), initial=0)))]
    buffers.append(pa.py_buffer(b"".join(raws)))
    text = pa.Array.from_buffers(pa.large_string(), n, [None, *buffers])
    try:
        text.validate(full=True)
    except pa.ArrowInvalid as exc:
        raise NotUtf8 from exc
    present = pc.and_(pc.greater(pc.binary_length(text), 0), pc.not_equal(text, "null"))
    return pa.Array.from_buffers(pa.large_string(), n, [present.buffers()[1], *buffers])


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


def _row_schema(columns: Sequence[str], table: Table) -> dict[str, Any]:
    target = table.polars_schema()
    return {
        c: (pl.Int64 if c.endswith("_ms") else _WORK_TYPES.get(c) or target.get(c, pl.String))
        for c in columns
    }


def _row_frame(
    rows: Sequence[NamedTuple], row_type: type[NamedTuple], table: Table
) -> pl.DataFrame:
    schema = _row_schema(row_type._fields, table)
    if not rows:
        return pl.DataFrame(schema=schema)
    # zip transposes in C
    return pl.DataFrame(
        [
            pl.Series(name, values, dtype=dtype)
            for (name, dtype), values in zip(schema.items(), zip(*rows, strict=True), strict=True)
        ]
    )


def executions_frame(rows: list[ExecutionRow], ingested_at: datetime) -> pl.DataFrame:
    df = _row_frame(rows, ExecutionRow, WORKFLOW_EXECUTIONS)
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


def tasks_frame(parsed: list[Parsed]) -> pl.DataFrame:
    """The task rows of the batch's executions, in batch order, one column at a time."""
    tasks: list[WireTask] = list(chain.from_iterable(p.tasks for p in parsed))
    counts = [len(p.tasks) for p in parsed]
    values: dict[str, Any] = {
        "task_execution_id": list(chain.from_iterable(p.task_ids for p in parsed)),
        "execution_id": list(
            chain.from_iterable(map(repeat, (p.execution.execution_id for p in parsed), counts))
        ),
        "task_external_id": list(map(TASK_XID, tasks)),
        "task_type": list(map(attrgetter("taskType"), tasks)),
        "status": list(map(attrgetter("status"), tasks)),
        "parent_task_external_id": list(map(attrgetter("parentTaskExternalId"), tasks)),
        "start_ms": list(map(TASK_START, tasks)),
        "end_ms": list(map(attrgetter("endTime"), tasks)),
        "reason_for_incompletion": list(map(attrgetter("reasonForIncompletion"), tasks)),
        "created_ms": list(
            chain.from_iterable(map(repeat, (p.execution.created_ms for p in parsed), counts))
        ),
        "extra": list(
            chain.from_iterable(
                p.task_extras if p.task_extras is not None else repeat(None, n)
                for p, n in zip(parsed, counts, strict=True)
            )
        ),
    }
    payloads = {
        "input": payload_column(list(map(attrgetter("input"), tasks))),
        "output": payload_column(list(map(attrgetter("output"), tasks))),
    }
    df = pl.DataFrame(
        [
            pl.from_arrow(payloads[name]).alias(name)  # type: ignore[union-attr]
            if name in payloads
            else pl.Series(name, values[name], dtype=dtype)
            for name, dtype in _row_schema(TASK_COLUMNS, TASK_EXECUTIONS).items()
        ]
    )
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


def definitions_frame(rows: list[DefinitionRow]) -> pl.DataFrame:
    df = _row_frame(rows, DefinitionRow, TASK_DEFINITIONS)
    df = df.with_columns(first_seen_created_time=_ms_to_time("created_ms"))
    return df.select(TASK_DEFINITIONS.column_names).cast(TASK_DEFINITIONS.polars_schema())
