"""The warehouse's table contract, declared once.

Every table is a :class:`Table`: its columns (name, DuckDB type, polars dtype, description), its
key, and the column whose UTC date names its Parquet partition. DDL, the polars schemas used by
the flattener, Dagster column schemas and the column reference in ``docs/warehouse.md`` are all
derived from these declarations, so a column is added in exactly one place.
"""

from __future__ import annotations

import polars as pl

# The model and the bookkeeping tables are re-exported: every reader of the contract imports
# them from here.
from warehouse.internal_tables import DIRTY_PARTITIONS as DIRTY_PARTITIONS
from warehouse.internal_tables import INGEST_STATE as INGEST_STATE
from warehouse.internal_tables import PARQUET_FILES as PARQUET_FILES
from warehouse.table_model import FLAG_LIST as FLAG_LIST
from warehouse.table_model import JSON_TEXT as JSON_TEXT
from warehouse.table_model import PROJECT_COLUMN as PROJECT_COLUMN
from warehouse.table_model import TIMESTAMPTZ as _TS
from warehouse.table_model import UTC_TIME as UTC_TIME
from warehouse.table_model import Column as Column
from warehouse.table_model import Table as Table
from warehouse.table_model import column as _c
from warehouse.table_model import quote_identifier as quote_identifier
from warehouse.table_model import quote_literal as quote_literal

TERMINAL_EXECUTION_STATUSES: tuple[str, ...] = ("COMPLETED", "FAILED", "TIMED_OUT", "TERMINATED")


WORKFLOW_EXECUTIONS = Table(
    name="workflow_executions",
    description="One row per workflow execution, as the latest detail the API returned.",
    key=("execution_id",),
    partition_column="created_time",
    columns=(
        _c("execution_id", "VARCHAR", pl.String, "Execution id (`id`, a UUID).", key=True),
        _c("workflow_external_id", "VARCHAR", pl.String, "`workflowExternalId`."),
        _c("workflow_version", "VARCHAR", pl.String, "`version` of the workflow that ran."),
        _c("status", "VARCHAR", pl.String, "`status` as the API spells it (unknown values kept)."),
        _c("created_time", _TS, UTC_TIME, "`createdTime`: when the run was requested."),
        _c("start_time", _TS, UTC_TIME, "`startTime`; NULL while queued."),
        _c("end_time", _TS, UTC_TIME, "`endTime`; NULL while running."),
        _c(
            "duration_ms",
            "BIGINT",
            pl.Int64,
            "`end_time - start_time` in ms when both are known and end >= start, else NULL.",
        ),
        _c(
            "queue_ms",
            "BIGINT",
            pl.Int64,
            "`start_time - created_time` in ms when both are known, else NULL. Kept as is when "
            "negative: CDF can report a start a few ms before creation.",
        ),
        _c("reason_for_incompletion", "VARCHAR", pl.String, "`reasonForIncompletion`."),
        _c("engine_execution_id", "VARCHAR", pl.String, "`engineExecutionId`."),
        _c("definition_hash", "VARCHAR", pl.String, "`workflowDefinition.hash`."),
        _c("metadata", "JSON", JSON_TEXT, "`metadata` object."),
        _c("input", "JSON", JSON_TEXT, "`input` payload."),
        _c("task_count", "INTEGER", pl.Int32, "Number of entries in `executedTasks`."),
        _c(
            "extra",
            "JSON",
            JSON_TEXT,
            "Fields without a column (object), NULL when none: unknown top-level fields, and "
            "`workflowDefinition` fields besides hash and tasks (e.g. its description).",
        ),
        _c("ingested_at", _TS, UTC_TIME, "When this row was last written by an ingest."),
        _c(
            "quality_flags",
            "VARCHAR[]",
            FLAG_LIST,
            "Anomalies of the execution as sent by the source, and those of its task rows "
            "(names in docs/warehouse.md); an empty list when none. NULL on rows written before "
            "the column existed, until the execution is written again.",
        ),
    ),
)

TASK_EXECUTIONS = Table(
    name="task_executions",
    description=(
        "One row per entry of an execution's `executedTasks` (dynamic and subworkflow children "
        "included, linked by `parent_task_external_id`). Replaced as a whole with its execution."
    ),
    # The execution is part of the key: a task id that two executions both send (CDF's ids are
    # UUIDs, so a source fault) keeps both rows, and the check task_ids_shared reports it.
    key=("execution_id", "task_execution_id"),
    enforce_key=False,
    partition_column="execution_created_time",
    columns=(
        _c("task_execution_id", "VARCHAR", pl.String, "Task execution `id`.", key=True),
        # Part of the key, but left nullable as tables made before it was have it: the check
        # tasks_have_execution counts a row without it as an orphan.
        _c("execution_id", "VARCHAR", pl.String, "The execution this task ran in."),
        _c("task_external_id", "VARCHAR", pl.String, "`externalId` of the task."),
        _c("task_type", "VARCHAR", pl.String, "`taskType` (unknown types kept)."),
        _c("status", "VARCHAR", pl.String, "`status` as the API spells it."),
        _c(
            "parent_task_external_id",
            "VARCHAR",
            pl.String,
            "`parentTaskExternalId`: the dynamic or subworkflow task this is a child of; when "
            "the source sent none, the inferred parent (see `parent_inferred`).",
        ),
        _c(
            "is_child",
            "BOOLEAN",
            pl.Boolean,
            "True when `parent_task_external_id` is set (sent or inferred).",
        ),
        _c(
            "attempt",
            "INTEGER",
            pl.Int32,
            "1-based ordinal among the rows with the same `task_external_id` in the execution, by "
            "start time (NULL starts last, then API order): >1 means a retry shown as a new row.",
        ),
        _c("start_time", _TS, UTC_TIME, "`startTime`."),
        _c("end_time", _TS, UTC_TIME, "`endTime`."),
        _c(
            "duration_ms",
            "BIGINT",
            pl.Int64,
            "`end_time - start_time` in ms when both are known and end >= start, else NULL.",
        ),
        _c("reason_for_incompletion", "VARCHAR", pl.String, "`reasonForIncompletion`."),
        _c("input", "JSON", JSON_TEXT, "`input` (resolved parameters)."),
        _c("output", "JSON", JSON_TEXT, "`output`."),
        _c(
            "execution_created_time",
            _TS,
            UTC_TIME,
            "`created_time` of the execution; its UTC date is the Parquet partition.",
        ),
        _c("extra", "JSON", JSON_TEXT, "Fields this warehouse does not know yet, NULL when none."),
        _c(
            "task_key",
            "VARCHAR",
            pl.String,
            "`task_external_id` with a generated suffix (UUID, hex id, trailing counter) removed, "
            "for tasks not named in the workflow definition; the definition's tasks keep their "
            "externalId. Views group tasks by it (rule in docs/warehouse.md).",
        ),
        _c(
            "parent_inferred",
            "BOOLEAN",
            pl.Boolean,
            "True when `parent_task_external_id` was inferred (the source sent none): the "
            "dispatcher that most recently finished before this task started.",
        ),
        _c(
            "quality_flags",
            "VARCHAR[]",
            FLAG_LIST,
            "Anomalies of this task row as sent by the source (names in docs/warehouse.md); an "
            "empty list when none. NULL on rows written before the column existed.",
        ),
    ),
)

TASK_DEFINITIONS = Table(
    name="task_definitions",
    description=(
        "One row per task of a workflow definition, identified by the definition hash. The "
        "first-seen columns name the earliest execution (by created time, then id) that used "
        "the definition, whatever the order of ingestion, so reloads give the same rows."
    ),
    key=("definition_hash", "task_external_id"),
    partition_column="first_seen_created_time",
    columns=(
        _c("definition_hash", "VARCHAR", pl.String, "`workflowDefinition.hash`.", key=True),
        _c("task_external_id", "VARCHAR", pl.String, "Task `externalId`.", key=True),
        _c("workflow_external_id", "VARCHAR", pl.String, "Workflow of the first-seen execution."),
        _c("workflow_version", "VARCHAR", pl.String, "Version of the first-seen execution."),
        _c("task_type", "VARCHAR", pl.String, "`type` (unknown types kept)."),
        _c("name", "VARCHAR", pl.String, "`name`."),
        _c("description", "VARCHAR", pl.String, "`description`."),
        _c("parameters", "JSON", JSON_TEXT, "`parameters` object."),
        _c("retries", "INTEGER", pl.Int32, "`retries`; NULL when absent (API default 3)."),
        _c(
            "timeout_s",
            "BIGINT",
            pl.Int64,
            "`timeout` in seconds; NULL when absent (default 3600).",
        ),
        _c(
            "on_failure",
            "VARCHAR",
            pl.String,
            "`onFailure` (`abortWorkflow` or `skipTask`); NULL when absent (default: abort).",
        ),
        _c(
            "is_async_complete",
            "BOOLEAN",
            pl.Boolean,
            "`isAsyncComplete` (also read as `asyncComplete`, at task, parameters or function "
            "level); NULL when absent.",
        ),
        _c("depends_on", "VARCHAR[]", pl.List(pl.String), "`dependsOn` task externalIds."),
        _c("first_seen_execution_id", "VARCHAR", pl.String, "Earliest execution using it."),
        _c(
            "first_seen_created_time",
            _TS,
            UTC_TIME,
            "`created_time` of that execution; its UTC date is the Parquet partition.",
        ),
        _c("extra", "JSON", JSON_TEXT, "Fields this warehouse does not know yet, NULL when none."),
    ),
)

REJECTED_RECORDS = Table(
    name="rejected_records",
    description=(
        "Records that could not be flattened, with the raw payload and the reason. The same "
        "payload rejected again is stored once."
    ),
    key=("rejection_id",),
    partition_column="rejected_at",
    partition_key="rejected_date",
    columns=(
        _c(
            "rejection_id",
            "VARCHAR",
            pl.String,
            "Hash of source and raw payload (so a re-sent bad record is stored once).",
            key=True,
        ),
        _c("rejected_at", _TS, UTC_TIME, "When the record was first rejected."),
        _c(
            "source",
            "VARCHAR",
            pl.String,
            "`execution_detail`, `execution_summary`, `trigger` or `trigger_run`.",
        ),
        _c("record_id", "VARCHAR", pl.String, "The record's `id` when it had a usable one."),
        _c("reason", "VARCHAR", pl.String, "Why it was rejected (first problem found)."),
        _c("raw_payload", "JSON", JSON_TEXT, "The record as received (a JSON string if not JSON)."),
    ),
)

WORKFLOW_TRIGGERS = Table(
    name="workflow_triggers",
    description=(
        "One row per workflow trigger, as the trigger list last showed it. A trigger that "
        "vanished from the list (deleted) keeps its row; `last_seen_at` tells when it was last "
        "listed."
    ),
    key=("trigger_external_id",),
    partition_column="created_time",
    columns=(
        _c("trigger_external_id", "VARCHAR", pl.String, "Trigger `externalId`.", key=True),
        _c("workflow_external_id", "VARCHAR", pl.String, "`workflowExternalId` it starts."),
        _c("workflow_version", "VARCHAR", pl.String, "`workflowVersion` it starts."),
        _c(
            "trigger_type",
            "VARCHAR",
            pl.String,
            "`triggerRule.triggerType`: `schedule`, `dataModeling`, `recordStream` "
            "(unknown types kept).",
        ),
        _c("cron_expression", "VARCHAR", pl.String, "`triggerRule.cronExpression` (schedules)."),
        _c(
            "timezone",
            "VARCHAR",
            pl.String,
            "`triggerRule.timezone` (IANA name) as given; NULL when absent (CDF then uses UTC).",
        ),
        _c("is_paused", "BOOLEAN", pl.Boolean, "`isPaused` when last listed."),
        _c("trigger_rule", "JSON", JSON_TEXT, "The whole `triggerRule` object."),
        _c("input", "JSON", JSON_TEXT, "`input` passed to the executions it starts."),
        _c("metadata", "JSON", JSON_TEXT, "`metadata` object."),
        _c("created_time", _TS, UTC_TIME, "`createdTime`; its UTC date is the Parquet partition."),
        _c("last_updated_time", _TS, UTC_TIME, "`lastUpdatedTime`."),
        _c("extra", "JSON", JSON_TEXT, "Fields this warehouse does not know yet, NULL when none."),
        _c("last_seen_at", _TS, UTC_TIME, "When an ingest last saw it in the trigger list."),
    ),
)

TRIGGER_RUNS = Table(
    name="trigger_runs",
    description=(
        "One row per trigger fire from the trigger's run history: successful fires name the "
        "execution they started, failed ones the reason. Kept after CDF forgets them."
    ),
    key=("trigger_external_id", "fire_time"),
    partition_column="fire_time",
    partition_key="fire_date",
    columns=(
        _c("trigger_external_id", "VARCHAR", pl.String, "Trigger `externalId`.", key=True),
        _c(
            "fire_time",
            _TS,
            UTC_TIME,
            "`fireTime`; its UTC date is the Parquet partition.",
            key=True,
        ),
        _c("workflow_external_id", "VARCHAR", pl.String, "`workflowExternalId`."),
        _c("workflow_version", "VARCHAR", pl.String, "`workflowVersion`."),
        _c("status", "VARCHAR", pl.String, "`status`: `success` or `failed` (unknown kept)."),
        _c(
            "workflow_execution_id",
            "VARCHAR",
            pl.String,
            "`workflowExecutionId`: the execution the fire started; NULL when none started.",
        ),
        _c("reason_for_failure", "VARCHAR", pl.String, "`reasonForFailure` of a failed fire."),
        _c("extra", "JSON", JSON_TEXT, "Fields this warehouse does not know yet, NULL when none."),
        _c("ingested_at", _TS, UTC_TIME, "When this row was last written by an ingest."),
    ),
)

TRIGGER_EXPECTED_FIRES = Table(
    name="trigger_expected_fires",
    description=(
        "The instants each schedule trigger's cron names, in the trigger's time zone, computed "
        "at ingest (SQL cannot expand cron). Bounded by the trigger's creation and by the start "
        "of the warehouse's trigger history; up to a grace period before the ingest. When a "
        "trigger's cron or zone changes, its rows from that change on are recomputed."
    ),
    key=("trigger_external_id", "scheduled_time"),
    partition_column="scheduled_time",
    partition_key="scheduled_date",
    columns=(
        _c("trigger_external_id", "VARCHAR", pl.String, "Trigger `externalId`.", key=True),
        _c(
            "scheduled_time",
            _TS,
            UTC_TIME,
            "Instant the cron names; its UTC date is the Parquet partition.",
            key=True,
        ),
        _c(
            "local_time",
            "TIMESTAMP",
            pl.Datetime("us"),
            "The same instant on the trigger zone's wall clock (no zone).",
        ),
        _c("cron_expression", "VARCHAR", pl.String, "Cron expression it was computed from."),
        _c("timezone", "VARCHAR", pl.String, "Zone it was computed in (`UTC` when absent)."),
        _c("computed_at", _TS, UTC_TIME, "When the ingest computed it."),
    ),
)

DATA_TABLES: tuple[Table, ...] = (
    WORKFLOW_EXECUTIONS,
    TASK_EXECUTIONS,
    TASK_DEFINITIONS,
    REJECTED_RECORDS,
)
# Written by the trigger ingest, apart from the execution batches.
TRIGGER_TABLES: tuple[Table, ...] = (WORKFLOW_TRIGGERS, TRIGGER_RUNS, TRIGGER_EXPECTED_FIRES)
EXPORTED_TABLES: tuple[Table, ...] = (*DATA_TABLES, *TRIGGER_TABLES)
ALL_TABLES: tuple[Table, ...] = (
    *DATA_TABLES,
    *TRIGGER_TABLES,
    INGEST_STATE,
    DIRTY_PARTITIONS,
    PARQUET_FILES,
)
TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in ALL_TABLES}


def table(name: str) -> Table:
    return TABLES_BY_NAME[name]
