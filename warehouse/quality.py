"""What is odd about a record CDF sent: documented limits, clock skew, missing parent links.

Nothing here rejects: a run CDF executed is history, so the flattener stores it and this module
says what is unusual about it. It works on the flattener's frames, column by column:

* ``task_key`` (see :mod:`warehouse.task_keys`) on every task row;
* parent inference for dynamic and subworkflow children sent without ``parentTaskExternalId``;
* ``quality_flags``: the anomalies of each task and execution row (an empty list when none).

Parent inference. A task whose externalId is not in its execution's workflow definition (so it
was generated) and that has no ``parentTaskExternalId`` belongs to a *dispatcher* of the same
execution: a task whose type (``taskType``, else the definition's ``type``) is ``dynamic`` or
``subworkflow`` and that started at or before the child started. Among those, the one that most
recently finished dispatching: the latest ``end_time`` at or before the child's start; on a tie
the later start, then the alphabetically first externalId. When every candidate was still running
when the child started, the one that started last. No candidate (no dispatcher started before
the child, the child's start unknown, or the definition unknown): the parent stays NULL.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from warehouse.schema import TASK_EXECUTIONS, WORKFLOW_EXECUTIONS
from warehouse.task_keys import generated_key

# CDF's documented limits (docs: Limits). A record over one is stored and flagged: limits are
# documentation, a run CDF executed is a fact. Sizes are of the compact JSON in UTF-8.
MAX_TASKS = 200  # distinct tasks per execution (a retry shown as a second row is one task)
MAX_INPUT_BYTES = 100 * 1024  # an execution's input
MAX_TASK_PAYLOAD_BYTES = 209_715  # 0.2 MB: a task's input or output
MAX_METADATA_PAIRS = 10
MAX_METADATA_KEY = 32  # characters
MAX_METADATA_VALUE = 255  # characters

DISPATCHER_TYPES = ("dynamic", "subworkflow")

# Flag names (lower_snake_case); docs/warehouse.md lists them with their meaning.
START_BEFORE_CREATED = "start_before_created"
END_BEFORE_START = "end_before_start"
TASK_BEFORE_EXECUTION_START = "task_before_execution_start"
TASK_AFTER_EXECUTION_END = "task_after_execution_end"
OVER_TASK_LIMIT = "over_task_limit"
OVER_METADATA_LIMIT = "over_metadata_limit"
PAYLOAD_OVER_LIMIT = "payload_over_limit"
PARENT_INFERRED = "parent_inferred"

FLAGS = (
    START_BEFORE_CREATED,
    END_BEFORE_START,
    TASK_BEFORE_EXECUTION_START,
    TASK_AFTER_EXECUTION_END,
    OVER_TASK_LIMIT,
    OVER_METADATA_LIMIT,
    PAYLOAD_OVER_LIMIT,
    PARENT_INFERRED,
)


def metadata_over_limit(metadata: Mapping[str, Any] | None) -> bool:
    """Whether an execution's metadata breaks a documented limit (pairs, key or value length)."""
    if not metadata:
        return False
    if len(metadata) > MAX_METADATA_PAIRS:
        return True
    return any(
        len(key) > MAX_METADATA_KEY or (type(value) is str and len(value) > MAX_METADATA_VALUE)
        for key, value in metadata.items()
    )


def _flags(*pairs: tuple[pl.Expr, str]) -> pl.Expr:
    """A list of the names whose condition holds (a NULL condition does not).

    The conditions make a bit mask that picks one of the 2**n possible lists: a list built per
    row from n candidate strings cost far more, and nearly every row has no flag."""
    mask = pl.sum_horizontal(
        [cond.fill_null(False).cast(pl.UInt32) * (1 << bit) for bit, (cond, _) in enumerate(pairs)]
    )
    lists = pl.Series(
        [
            [name for bit, (_, name) in enumerate(pairs) if combination >> bit & 1]
            for combination in range(1 << len(pairs))
        ],
        dtype=pl.List(pl.String),
    )
    return pl.lit(lists).gather(mask)


def _over(column: str, limit: int) -> pl.Expr:
    return pl.col(column).str.len_bytes() > limit


def annotate(
    executions: pl.DataFrame, tasks: pl.DataFrame, definitions: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Final ``workflow_executions`` and ``task_executions`` frames.

    ``executions`` carries a ``metadata_over_limit`` column besides the table's columns (all but
    ``quality_flags``); ``tasks`` has the table's columns but ``task_key``, ``parent_inferred``
    and ``quality_flags``; ``definitions`` holds (definition_hash, task_external_id, task_type)
    for every definition the executions use.
    """
    defs = definitions.select(
        "definition_hash",
        "task_external_id",
        pl.col("task_type").alias("_def_type"),
        pl.lit(True).alias("_defined"),
    ).unique(["definition_hash", "task_external_id"], keep="first")
    known = defs["definition_hash"].unique()
    t = tasks.with_row_index("_row").join(
        executions.select(
            "execution_id",
            "definition_hash",
            pl.col("start_time").alias("_e_start"),
            pl.col("end_time").alias("_e_end"),
        ),
        on="execution_id",
        how="left",
    )
    t = t.join(defs, on=["definition_hash", "task_external_id"], how="left")
    generated = pl.col("_defined").is_null()
    t = t.with_columns(
        task_key=pl.when(generated)
        .then(generated_key(pl.col("task_external_id")))
        .otherwise(pl.col("task_external_id")),
        _orphan=generated
        & pl.col("definition_hash").is_in(known.implode())
        & pl.col("parent_task_external_id").is_null()
        & pl.col("start_time").is_not_null(),
        _dispatcher=pl.coalesce("task_type", "_def_type").is_in(DISPATCHER_TYPES),
    )
    t = t.join(_inferred_parents(t), on="_row", how="left").sort("_row")
    inferred = pl.col("_parent").is_not_null()
    t = t.with_columns(
        parent_task_external_id=pl.coalesce("parent_task_external_id", "_parent"),
        parent_inferred=inferred,
    ).with_columns(
        is_child=pl.col("parent_task_external_id").is_not_null(),
        quality_flags=_flags(
            (pl.col("end_time") < pl.col("start_time"), END_BEFORE_START),
            (pl.col("start_time") < pl.col("_e_start"), TASK_BEFORE_EXECUTION_START),
            (pl.col("end_time") > pl.col("_e_end"), TASK_AFTER_EXECUTION_END),
            (
                _over("input", MAX_TASK_PAYLOAD_BYTES) | _over("output", MAX_TASK_PAYLOAD_BYTES),
                PAYLOAD_OVER_LIMIT,
            ),
            (inferred, PARENT_INFERRED),
        ),
    )
    per_execution = t.group_by("execution_id").agg(
        pl.col("task_external_id").n_unique().alias("_distinct_tasks"),
        pl.col("quality_flags")
        .list.explode(keep_nulls=False, empty_as_null=False)
        .alias("_task_flags"),
    )
    e = executions.join(per_execution, on="execution_id", how="left", maintain_order="left")
    own = _flags(
        (pl.col("start_time") < pl.col("created_time"), START_BEFORE_CREATED),
        (pl.col("end_time") < pl.col("start_time"), END_BEFORE_START),
        (pl.col("_distinct_tasks") > MAX_TASKS, OVER_TASK_LIMIT),
        (pl.col("metadata_over_limit"), OVER_METADATA_LIMIT),
        (_over("input", MAX_INPUT_BYTES), PAYLOAD_OVER_LIMIT),
    )
    # An execution also carries its task rows' flags, so runs can be filtered on one column.
    e = e.with_columns(
        quality_flags=pl.concat_list(own, pl.col("_task_flags").fill_null([]))
        .list.unique()
        .list.sort()
    )
    return (
        e.select(WORKFLOW_EXECUTIONS.column_names).cast(WORKFLOW_EXECUTIONS.polars_schema()),
        t.select(TASK_EXECUTIONS.column_names).cast(TASK_EXECUTIONS.polars_schema()),
    )


def _inferred_parents(t: pl.DataFrame) -> pl.DataFrame:
    """(_row, _parent) for the orphans that have a candidate dispatcher (rule: module doc)."""
    orphans = t.filter("_orphan").select("_row", "execution_id", pl.col("start_time").alias("_s"))
    if orphans.is_empty():
        return pl.DataFrame(schema={"_row": pl.UInt32, "_parent": pl.String})
    dispatchers = t.filter(pl.col("_dispatcher") & pl.col("start_time").is_not_null()).select(
        pl.col("_row").alias("_drow"),
        "execution_id",
        pl.col("task_external_id").alias("_parent"),
        pl.col("start_time").alias("_ds"),
        pl.col("end_time").alias("_de"),
    )
    # A dispatcher is never its own parent.
    pairs = orphans.join(dispatchers, on="execution_id").filter(
        (pl.col("_ds") <= pl.col("_s")) & (pl.col("_drow") != pl.col("_row"))
    )
    done = (pl.col("_de") <= pl.col("_s")).fill_null(False)
    return (
        pairs.sort(
            ["_row", done, pl.when(done).then(pl.col("_de")), "_ds", "_parent"],
            descending=[False, True, True, True, False],
            nulls_last=True,
        )
        .unique("_row", keep="first")
        .select("_row", "_parent")
    )
