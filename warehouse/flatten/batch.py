"""A batch of detail records into a :class:`FlatBatch`: each record decoded once, the last state
of each execution kept (a task id two executions share kept under each), each definition
attributed to its earliest execution, then the frames built and annotated."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl

from warehouse.flatten.careful import parse_record
from warehouse.flatten.decode import answer_as_record, decode_answer
from warehouse.flatten.definitions import DefinitionCache
from warehouse.flatten.fields import Reject
from warehouse.flatten.frames import (
    NotUtf8,
    definitions_frame,
    executions_frame,
    not_utf8,
    tasks_frame,
)
from warehouse.flatten.rejections import SOURCE_DETAIL, rejected_frame, utc
from warehouse.flatten.rows import DefinitionRow, Parsed
from warehouse.quality import annotate
from warehouse.schema import (
    REJECTED_RECORDS,
    TASK_DEFINITIONS,
    TASK_EXECUTIONS,
    WORKFLOW_EXECUTIONS,
)
from warehouse.wire import DetailAnswer


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

    def is_empty(self) -> bool:
        """No row in any frame: nothing to write."""
        frames = (self.executions, self.task_executions, self.task_definitions, self.rejected)
        return all(frame.height == 0 for frame in frames)

    def with_rejected(self, rejected: pl.DataFrame) -> FlatBatch:
        """This batch plus more rejected rows (e.g. bad list summaries found by the ingest)."""
        both = pl.concat([self.rejected, rejected], how="vertical").unique(
            subset=["rejection_id"], keep="first", maintain_order=True
        )
        return FlatBatch(self.executions, self.task_executions, self.task_definitions, both)


def flatten_details(records: Iterable[Any], *, ingested_at: datetime) -> FlatBatch:
    """Flatten ``WorkflowExecutionDetailed`` records into the warehouse's frames.

    A record is a decoded dict, or a :class:`warehouse.wire.DetailAnswer` (the id asked for and
    the response body as received): those are decoded here, straight into rows when their
    shape is the common one, and through the careful dict path otherwise. An answer that is not
    JSON, is null, or is for another id than the one asked is rejected.

    Every input record ends up either as one execution row (with its tasks and definitions) or
    as one rejected row. When the same execution id appears more than once, the last one wins:
    it is the latest state seen. ``ingested_at`` (timezone-aware) stamps executions and
    rejections.
    """
    at = utc(ingested_at)
    records = records if isinstance(records, list) else list(records)
    try:
        return _flatten(records, at, check_utf8=False)
    except NotUtf8:
        pass
    # Rare (a damaged body): check each answer's payloads, so that only the answers at fault
    # are rejected, exactly as if they had been checked one by one from the start. (Outside the
    # handler: the exception's traceback would keep the first pass's columns alive.)
    return _flatten(records, at, check_utf8=True)


def _parse(
    rec: Any, cache: DefinitionCache, rejected: list[tuple[Any, str]], check_utf8: bool
) -> Parsed | None:
    """One record's rows, or None after adding its rejection."""
    if type(rec) is DetailAnswer:
        p = decode_answer(rec, cache, check_utf8=check_utf8)
        if p is not None:
            return p
        rec, problem = answer_as_record(rec)
        if problem is not None:
            rejected.append((rec, problem))
            return None
    try:
        return parse_record(rec, cache)
    except Reject as exc:
        rejected.append((rec, str(exc)))
        return None


def _flatten(records: list[Any], at: datetime, *, check_utf8: bool) -> FlatBatch:
    parsed: dict[str, Parsed] = {}
    cache: DefinitionCache = {}
    rejected: list[tuple[Any, str]] = []
    for rec in records:
        p = _parse(rec, cache, rejected, check_utf8)
        if p is None:
            continue
        # pop then insert so the batch keeps the order of the winning (last) occurrence
        earlier = parsed.pop(p.execution.execution_id, None)
        if earlier is not None and not_utf8(earlier.tasks):
            raw, problem = answer_as_record(earlier.raw)
            rejected.append((raw, problem or "detail answer is not valid JSON"))
        parsed[p.execution.execution_id] = p

    # Every execution is kept, a task id that another execution also sends included (the task
    # table's key holds the execution; the check task_ids_shared reports it, whichever batches
    # the two came in).
    winners = list(parsed.values())
    # Per definition hash, the rows of the earliest execution using it (created time, then id):
    # the same choice the store makes, so the outcome does not depend on batch boundaries.
    definitions: dict[str, tuple[tuple[int, str], Parsed]] = {}
    for execution_id, p in parsed.items():
        definition_hash = p.execution.definition_hash
        if definition_hash is not None and p.definitions:
            rank = (p.execution.created_ms, execution_id)
            held = definitions.get(definition_hash)
            if held is None or rank < held[0]:
                definitions[definition_hash] = (rank, p)

    definition_rows: list[DefinitionRow] = [
        row._replace(
            workflow_external_id=p.execution.workflow_external_id,
            workflow_version=p.execution.workflow_version,
            first_seen_execution_id=p.execution.execution_id,
            created_ms=p.execution.created_ms,
        )
        for _, p in definitions.values()
        for row in p.definitions
    ]
    definitions_out = definitions_frame(definition_rows)
    executions_out, tasks_out = annotate(
        executions_frame([p.execution for p in winners], at), tasks_frame(winners), definitions_out
    )
    return FlatBatch(
        executions=executions_out,
        task_executions=tasks_out,
        task_definitions=definitions_out,
        rejected=rejected_frame(rejected, source=SOURCE_DETAIL, rejected_at=at),
    )
