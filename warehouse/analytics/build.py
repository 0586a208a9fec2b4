"""Build the analytics models in DuckDB, in-process: views are (re)created, incremental models
are kept as tables.

An incremental model's table is recomputed only where executions changed. The ingest records
every execution it writes in ``_analytics_pending`` (its identity before and after), in the
transaction that writes it. The build then, per incremental model, in dependency order:

1. takes the distinct values of the model's ``unique_key`` among the pending identities (the
   *touched* keys);
2. finds the executions those keys cover now (the *scope*);
3. deletes the model's rows with touched keys and inserts the model's SELECT again, with every
   per-execution input (``ref``/``source`` of a relation holding ``cdf_project`` and
   ``execution_id``) restricted to the scope. A scope bigger than one slice (see
   :data:`EXECUTION_SLICE` and :data:`WORKFLOW_SLICE`) is inserted in slices of whole touched
   keys, so a night that touches every workflow of a large warehouse, or follows a big
   backfill, stays inside the memory cap.
   A model kept per workflow whose scope fits one slice and holds at least half of the stored
   executions (a night in which most workflows ran), on a warehouse of up to one and a half
   slices, is replaced by its definition, unrestricted: its rows for the untouched keys come
   out as they are.

This equals the full definition as long as the model's rows for a key depend only on the
executions that key covers, which is what its ``unique_key`` declares; the tests compare each
table with its definition (``EXCEPT ALL`` both ways) after loads, late and changed runs and
rebuilds. A model whose definition (or an upstream one) changed since its table was built, a
table that does not exist yet, and ``full_refresh`` rebuild whole. The whole build is one
transaction: a failure leaves the tables and the pending list as they were.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import duckdb

from warehouse.analytics.models import (
    TAIL,
    Model,
    fingerprint,
    load_models,
    render,
    sql_template,
)
from warehouse.parquet import PartitionSource
from warehouse.schema import Table, quote_identifier, quote_literal
from warehouse.sla_targets import ensure_sla_targets_table
from warehouse.sqlfiles import sql_file

FULL = "full"
INCREMENTAL = "incremental"
UNCHANGED = "unchanged"
VIEW = "view"


@dataclass(frozen=True)
class ModelBuild:
    """What the build did to one model."""

    name: str
    mode: str  # FULL | INCREMENTAL | UNCHANGED | VIEW
    seconds: float
    row_count: int | None = None  # rows of an incremental model's table after the build
    scope: int | None = None  # executions recomputed (INCREMENTAL)


@dataclass(frozen=True)
class BuildReport:
    pending: int  # pending identities consumed (an execution counts before and after)
    models: tuple[ModelBuild, ...]
    seconds: float

    @property
    def changed(self) -> bool:
        return any(m.mode in (FULL, INCREMENTAL) for m in self.models)

    def by_name(self) -> dict[str, ModelBuild]:
        return {m.name: m for m in self.models}


@cache
def _sql(name: str) -> str:
    return sql_file("analytics", name)


def _statement(name: str, **values: object) -> str:
    return sql_template(name).render(**values)


def _relations(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, bool]]:
    rows = con.execute(_sql("relation_kinds")).fetchall()
    return {name: (kind, bool(per_execution)) for name, kind, per_execution in rows}


def full_select(model: Model) -> str:
    """The model's definition over everything (what its table must equal)."""
    return render(model)


def create_models(con: duckdb.DuckDBPyConnection) -> None:
    """Create the build's bookkeeping, the ``sla_targets`` table (empty until loaded), every
    view model, and an empty table for every incremental model not built yet; safe each run.

    A relation of a model's name left by another version (a view where the model is now a
    table, or the reverse) is replaced.
    """
    con.execute(_sql("create_state"))
    ensure_sla_targets_table(con)
    relations = _relations(con)
    stored = dict(con.execute(_sql("stored_models")).fetchall())
    for model in load_models():
        name = quote_identifier(model.name)
        kind = relations.get(model.name, (None, False))[0]
        try:
            if model.incremental:
                if kind == "VIEW":
                    con.execute(f"DROP VIEW {name}")
                if kind != "BASE TABLE":
                    con.execute("DELETE FROM _analytics_models WHERE name = ?", [model.name])
                    con.execute(_statement("empty_table", model=name, select=full_select(model)))
            elif kind != "VIEW" or stored.get(model.name) != fingerprint(model.name):
                # A view is (re)created only when its definition changed: a nightly run that
                # writes nothing then leaves the file as it was (no checkpoint on close).
                if kind == "BASE TABLE":
                    con.execute(f"DROP TABLE {name}")
                con.execute(_statement("create_view", model=name, select=full_select(model)))
                con.execute(
                    _sql("record_model"),
                    {
                        "name": model.name,
                        "fingerprint": fingerprint(model.name),
                        "row_count": None,
                        "full": True,
                    },
                )
        except duckdb.Error as exc:
            raise RuntimeError(f"warehouse/sql/{model.file}: {exc}") from exc


def forget_builds(con: duckdb.DuckDBPyConnection) -> None:
    """Make the next build rebuild every incremental model whole (after the stored tables were
    rewritten underneath them, e.g. an upgrade that refilled a column)."""
    con.execute(_sql("create_state"))
    con.execute("DELETE FROM _analytics_models")


@dataclass(frozen=True)
class _Inputs:
    """The relations a model's recomputation restricts to its scope (they carry an execution's
    identity), and which of them are tables (they have row ids)."""

    per_execution: frozenset[str]
    tables: frozenset[str]

    @classmethod
    def of(cls, con: duckdb.DuckDBPyConnection) -> _Inputs:
        scoped = {name: kind for name, (kind, scoped) in _relations(con).items() if scoped}
        return cls(
            frozenset(scoped),
            frozenset(name for name, kind in scoped.items() if kind == "BASE TABLE"),
        )


def _restricted(
    inputs: _Inputs, *, first_row: bool = False, bounded: bool = False
) -> Callable[[str], str]:
    """``ref``/``source`` restricted to ``_analytics_scope``. A table is also scanned from its
    first row in scope (``first_row``: for a scope of recently written executions, not for a
    workflow's whole history, where it would only add a scan), or between the current slice's
    bounds (``bounded``: see :func:`_bound_slices`). See restricted.sql."""

    def relation(name: str) -> str:
        quoted = quote_identifier(name)
        if name not in inputs.per_execution:
            return quoted
        table = name in inputs.tables
        return _statement(
            "restricted",
            relation=quoted,
            literal=quote_literal(name),
            first_row=first_row and table,
            bounded=bounded and table,
        ).strip()

    return relation


def _bound_slices(con: duckdb.DuckDBPyConnection, model: Model, inputs: _Inputs) -> bool:
    """For a model kept per execution, record each slice's first and last row in each input
    table (slice_bounds.sql); True when the slices' queries can read between them. A model
    kept per workflow has slices of whole workflows, whose runs are spread over the tables."""
    tables = sorted(set(model.depends) & inputs.tables)
    if not model.per_execution or not tables:
        return False
    relations = [{"quoted": quote_identifier(t), "literal": quote_literal(t)} for t in tables]
    con.execute(_statement("slice_bounds", relations=relations))
    return True


# A model is rebuilt whole, or recomputed for more executions than fit one query, in slices of
# its unique_key's groups of about so many executions, so its memory is bounded by the slice,
# not by the history.
# A model kept per execution: 10,000. The recursive CTE of critical paths cannot spill to disk
# (over the whole history at once it took 3 to 4.5 GiB at 200,000; 150,000 executions pending
# after a backfill ran out of the build's 512 MB in one query, in slices they fit).
EXECUTION_SLICE = 10_000
# A model kept per workflow: 200,000 (a recomputation covers every execution of each touched
# workflow, and a night can touch them all). On a warehouse of 825,000 executions,
# task_hot_spots over all 200 workflows in one query ran out of 512 MB, while 375,000 fit. Each
# slice reads the task rows again (a workflow's runs are spread over the tables), so smaller
# slices cost time (benchmarks/RESULTS.md, "A whole rebuild that reads the history about once").
WORKFLOW_SLICE = 200_000


def _rebuild_in_slices(
    con: duckdb.DuckDBPyConnection, model: Model, inputs: _Inputs, slice_size: int
) -> None:
    name = quote_identifier(model.name)
    key = [quote_identifier(c) for c in model.unique_key]
    con.execute(_statement("slices", key=key, scoped=False), {"size": slice_size})
    con.execute(_statement("slice_scope"), {"slice": -1})  # empty: the table's columns
    con.execute(_statement("replace_table", model=name, select=render(model, _restricted(inputs))))
    _insert_slices(con, model, inputs)


def _insert_slices(con: duckdb.DuckDBPyConnection, model: Model, inputs: _Inputs) -> None:
    """Insert the model's rows for each slice of ``_analytics_slices`` in turn."""
    bounded = _bound_slices(con, model, inputs)
    select = render(model, _restricted(inputs, bounded=bounded))
    name = quote_identifier(model.name)
    for (number,) in con.execute(_sql("slice_numbers")).fetchall():
        con.execute(_statement("slice_scope"), {"slice": number})
        if bounded:
            con.execute(_statement("slice_bounds_current"), {"slice": number})
        con.execute(_statement("insert_rows", model=name, select=select))


def _recompute_touched(
    con: duckdb.DuckDBPyConnection,
    model: Model,
    inputs: _Inputs,
    slice_size: int,
) -> int:
    """Replace the rows of the touched keys; returns the executions recomputed."""
    name = quote_identifier(model.name)
    key = [quote_identifier(c) for c in model.unique_key]
    if model.strategy == TAIL:
        # The model's rows for the pending executions as they are now tell which of its
        # sequences they enter (see warehouse/sql/analytics/tail/). They are a subquery of that
        # statement, not a table of their own: the statement reads a few of their columns, and
        # after the 1.15M executions of a 2M first load's second run they took 2 GB of
        # temporary storage and left the statement too little of the build's 512 MB.
        con.execute(_statement("scope_pending"))
        new_rows = render(model, _restricted(inputs, first_row=True))
        con.execute(_statement(f"tail/{model.name}", model=name, new_rows=new_rows))
        con.execute(_statement("tail_scope"))
        con.execute(_statement("delete_tail", model=name))
        scope = _count(con, "_analytics_scope")
    else:
        con.execute(_statement("touched_keys", key=key))
        con.execute(_statement("scope", key=key))
        scope = _count(con, "_analytics_scope")
        if not model.per_execution and _mostly_touched(con, scope, slice_size):
            # A night that touches most workflows (each runs daily) recomputes most of the
            # table anyway: the definition itself gives the same rows for the untouched keys,
            # for less than matching every input row against a scope of most executions.
            con.execute(_statement("replace_table", model=name, select=render(model)))
            return scope
        con.execute(_statement("delete_touched", model=name, key=key))
    if scope > slice_size:
        con.execute(_statement("slices", key=key, scoped=True), {"size": slice_size})
        _insert_slices(con, model, inputs)
    else:
        # A scope of recently written executions (the pending ones, or the tails of their
        # sequences) sits at the end of each table; a workflow's whole history does not.
        recent = model.strategy == TAIL or model.per_execution
        select = render(model, _restricted(inputs, first_row=recent))
        con.execute(_statement("insert_rows", model=name, select=select))
    return scope


def _mostly_touched(con: duckdb.DuckDBPyConnection, scope: int, slice_size: int) -> bool:
    """The scope (a set of stored executions) fits one slice and holds at least half of them,
    and they are at most one and a half slices (300,000 executions by default: task_hot_spots
    over 375,000 in one query fit the build's 512 MB, see WORKFLOW_SLICE)."""
    stored = _count(con, "workflow_executions")
    return scope <= slice_size and 2 * scope >= stored and 2 * stored <= 3 * slice_size


def _build_incremental(
    con: duckdb.DuckDBPyConnection,
    model: Model,
    full: bool,
    pending: int,
    inputs: _Inputs,
    slice_size: int,
    workflow_slice_size: int,
) -> ModelBuild:
    started = time.perf_counter()
    name = quote_identifier(model.name)
    scope = None
    limit = slice_size if model.per_execution else workflow_slice_size
    if full:
        _rebuild_in_slices(con, model, inputs, limit)
        mode = FULL
    elif pending == 0:
        mode = UNCHANGED
    else:
        scope = _recompute_touched(con, model, inputs, limit)
        mode = INCREMENTAL
    rows = _count(con, name)
    if mode != UNCHANGED and model.parquet:
        con.execute(_statement("mark_exported_days", model=name, full=mode == FULL), [model.name])
    if mode != UNCHANGED:
        con.execute(
            _sql("record_model"),
            {
                "name": model.name,
                "fingerprint": fingerprint(model.name),
                "row_count": rows,
                "full": mode == FULL,
            },
        )
    return ModelBuild(model.name, mode, time.perf_counter() - started, rows, scope)


def _count(con: duckdb.DuckDBPyConnection, relation: str) -> int:
    return int(con.execute(sql_file("store", "count_rows").format(table=relation)).fetchall()[0][0])


def build_models(
    con: duckdb.DuckDBPyConnection,
    *,
    full_refresh: bool = False,
    transaction: bool = True,
    slice_size: int = EXECUTION_SLICE,
    workflow_slice_size: int = WORKFLOW_SLICE,
) -> BuildReport:
    """Bring every incremental model up to date (see the module's docstring); views need no
    build. ``full_refresh`` rebuilds every incremental model whole. ``transaction=False``: the
    caller's open transaction holds the build (and commits or rolls it back). ``slice_size``:
    executions per query of a model kept per execution, rebuilt whole or recomputed;
    ``workflow_slice_size``: of a model kept per workflow (one query up to that many). The
    models must exist: ``Warehouse.ensure_schema`` (or :func:`create_models`) has run on the
    warehouse."""
    started = time.perf_counter()
    results = []
    if transaction:
        con.begin()
    try:
        pending = _count(con, "_analytics_pending")
        stored = dict(con.execute(_sql("stored_models")).fetchall())
        inputs = _Inputs.of(con)
        for model in load_models():
            if not model.incremental:
                results.append(ModelBuild(model.name, VIEW, 0.0))
                continue
            full = full_refresh or stored.get(model.name) != fingerprint(model.name)
            results.append(
                _build_incremental(
                    con, model, full, pending, inputs, slice_size, workflow_slice_size
                )
            )
        if pending:
            con.execute("DELETE FROM _analytics_pending")
        if transaction:
            con.commit()
    except BaseException:
        if transaction:
            con.rollback()
        raise
    return BuildReport(pending, tuple(results), time.perf_counter() - started)


def model_partitions(name: str) -> PartitionSource:
    """An exported model's Parquet partitions (``parquet='day'``): ``<name>/day=...``."""
    quoted = quote_identifier(name)
    declaration = Table(name, "", (), (), partition_column="day", partition_key="day")
    counts = _statement("partition_counts", model=quoted)
    rows = _statement("partition_rows", model=quoted)
    return declaration, counts, rows


def exported_models() -> frozenset[str]:
    return frozenset(m.name for m in load_models() if m.parquet)


def differences(con: duckdb.DuckDBPyConnection, model: Model) -> tuple[int, int]:
    """(rows in the table but not in the definition, rows in the definition but not in the
    table), counting duplicates (``EXCEPT ALL`` both ways); (0, 0) when they are equal."""
    sql = _statement("differences", model=quote_identifier(model.name), select=full_select(model))
    extra, missing = con.execute(sql).fetchall()[0]
    return int(extra), int(missing)
