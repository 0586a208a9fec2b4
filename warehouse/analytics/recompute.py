"""How one incremental model's table is recomputed: its pending identities, the touched keys
and their scope, its inputs restricted to that scope, and the slices that bound its memory
(see :mod:`warehouse.analytics.build` for the whole build)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import duckdb

from warehouse.analytics.models import TAIL, Model, load_models, render, sql_template
from warehouse.schema import quote_identifier, quote_literal
from warehouse.sqlfiles import sql_file

# The pending identities of a model built ahead, and of every other model (see build_ahead).
PENDING = "_analytics_pending"
PENDING_ALL = "_analytics_pending_all"


@cache
def sql(name: str) -> str:
    return sql_file("analytics", name)


def statement(name: str, **values: object) -> str:
    return sql_template(name).render(**values)


def relation_kinds(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, bool]]:
    rows = con.execute(sql("relation_kinds")).fetchall()
    return {name: (kind, bool(per_execution)) for name, kind, per_execution in rows}


def _incremental_upstream(model: Model, models: dict[str, Model]) -> set[str]:
    """The incremental models ``model`` reads, directly or through views."""
    found: set[str] = set()
    for name in model.refs:
        upstream = models[name]
        found |= {name} if upstream.incremental else _incremental_upstream(upstream, models)
    return found


@cache
def ahead_names() -> frozenset[str]:
    """The models :func:`build_ahead` builds: kept per execution, reading no incremental model
    that is not one of them (whose rows would not be up to date during the load)."""
    models = {m.name: m for m in load_models()}
    chosen: set[str] = set()
    for model in load_models():  # dependencies first
        upstream = _incremental_upstream(model, models)
        if model.per_execution and model.incremental and upstream <= chosen:
            chosen.add(model.name)
    return frozenset(chosen)


def pending_of(model: Model) -> str:
    return PENDING if model.name in ahead_names() else PENDING_ALL


@dataclass(frozen=True)
class Inputs:
    """The relations a model's recomputation restricts to its scope (they carry an execution's
    identity), and which of them are tables (they have row ids)."""

    per_execution: frozenset[str]
    tables: frozenset[str]

    @classmethod
    def of(cls, con: duckdb.DuckDBPyConnection) -> Inputs:
        scoped = {name: kind for name, (kind, scoped) in relation_kinds(con).items() if scoped}
        return cls(
            frozenset(scoped),
            frozenset(name for name, kind in scoped.items() if kind == "BASE TABLE"),
        )


def _restricted(
    inputs: Inputs, *, first_row: bool = False, bounded: bool = False
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
        return statement(
            "restricted",
            relation=quoted,
            literal=quote_literal(name),
            first_row=first_row and table,
            bounded=bounded and table,
        ).strip()

    return relation


def _written(model: Model, select: str) -> str:
    """The rows a build writes into the model's table: sorted by its ``order_by`` if any."""
    if model.order_by is None:
        return select
    return statement("sorted_rows", select=select, order_by=model.order_by)


def _bound_slices(con: duckdb.DuckDBPyConnection, model: Model, inputs: Inputs) -> bool:
    """For a model kept per execution, record each slice's first and last row in each input
    table (slice_bounds.sql); True when the slices' queries can read between them. A model
    kept per workflow has slices of whole workflows, whose runs are spread over the tables."""
    tables = sorted(set(model.depends) & inputs.tables)
    if not model.per_execution or not tables:
        return False
    relations = [{"quoted": quote_identifier(t), "literal": quote_literal(t)} for t in tables]
    con.execute(statement("slice_bounds", relations=relations))
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


def rebuild_in_slices(
    con: duckdb.DuckDBPyConnection, model: Model, inputs: Inputs, slice_size: int
) -> None:
    name = quote_identifier(model.name)
    key = [quote_identifier(c) for c in model.unique_key]
    con.execute(statement("slices", key=key, scoped=False), {"size": slice_size})
    con.execute(statement("slice_scope"), {"slice": -1})  # empty: the table's columns
    con.execute(statement("replace_table", model=name, select=render(model, _restricted(inputs))))
    _insert_slices(con, model, inputs)


def _insert_slices(con: duckdb.DuckDBPyConnection, model: Model, inputs: Inputs) -> None:
    """Insert the model's rows for each slice of ``_analytics_slices`` in turn."""
    bounded = _bound_slices(con, model, inputs)
    select = _written(model, render(model, _restricted(inputs, bounded=bounded)))
    name = quote_identifier(model.name)
    for (number,) in con.execute(sql("slice_numbers")).fetchall():
        con.execute(statement("slice_scope"), {"slice": number})
        if bounded:
            con.execute(statement("slice_bounds_current"), {"slice": number})
        con.execute(statement("insert_rows", model=name, select=select))


def recompute_touched(
    con: duckdb.DuckDBPyConnection,
    model: Model,
    inputs: Inputs,
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
        con.execute(statement("scope_pending", pending=pending_of(model)))
        new_rows = render(model, _restricted(inputs, first_row=True))
        con.execute(
            statement(
                f"tail/{model.name}", model=name, new_rows=new_rows, pending=pending_of(model)
            )
        )
        con.execute(statement("tail_scope"))
        con.execute(statement("delete_tail", model=name))
        scope = count_rows(con, "_analytics_scope")
    else:
        con.execute(statement("touched_keys", key=key, pending=pending_of(model)))
        con.execute(statement("scope", key=key))
        scope = count_rows(con, "_analytics_scope")
        if not model.per_execution and _mostly_touched(con, scope, slice_size):
            # A night that touches most workflows (each runs daily) recomputes most of the
            # table anyway: the definition itself gives the same rows for the untouched keys,
            # for less than matching every input row against a scope of most executions.
            select = _written(model, render(model))
            con.execute(statement("replace_table", model=name, select=select))
            return scope
        con.execute(statement("delete_touched", model=name, key=key))
    if scope > slice_size:
        con.execute(statement("slices", key=key, scoped=True), {"size": slice_size})
        _insert_slices(con, model, inputs)
    else:
        # A scope of recently written executions (the pending ones, or the tails of their
        # sequences) sits at the end of each table; a workflow's whole history does not.
        recent = model.strategy == TAIL or model.per_execution
        select = _written(model, render(model, _restricted(inputs, first_row=recent)))
        con.execute(statement("insert_rows", model=name, select=select))
    return scope


def _mostly_touched(con: duckdb.DuckDBPyConnection, scope: int, slice_size: int) -> bool:
    """The scope (a set of stored executions) fits one slice and holds at least half of them,
    and they are at most one and a half slices (300,000 executions by default: task_hot_spots
    over 375,000 in one query fit the build's 512 MB, see WORKFLOW_SLICE)."""
    stored = count_rows(con, "workflow_executions")
    return scope <= slice_size and 2 * scope >= stored and 2 * stored <= 3 * slice_size


def count_rows(con: duckdb.DuckDBPyConnection, relation: str) -> int:
    return int(con.execute(sql_file("store", "count_rows").format(table=relation)).fetchall()[0][0])
