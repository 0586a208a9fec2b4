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

During a load in several batches, :func:`build_ahead` brings the models kept per execution up
to date after each batch, while the fetch goes on, and moves the pending identities it consumed
to ``_analytics_pending_ahead``: those models then read ``_analytics_pending`` (what is left for
them), the others ``_analytics_pending_all`` (both). The build empties both.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import duckdb

from warehouse.analytics.models import Model, fingerprint, load_models, render
from warehouse.analytics.recompute import (
    EXECUTION_SLICE,
    PENDING,
    PENDING_ALL,
    WORKFLOW_SLICE,
    Inputs,
    ahead_names,
    count_rows,
    pending_of,
    rebuild_in_slices,
    recompute_touched,
    relation_kinds,
    sql,
    statement,
)
from warehouse.schema import quote_identifier
from warehouse.sla_targets import ensure_sla_targets_table

__all__ = ["EXECUTION_SLICE", "WORKFLOW_SLICE", "build_ahead", "build_models"]

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


def full_select(model: Model) -> str:
    """The model's definition over everything (what its table must equal)."""
    return render(model)


def create_models(con: duckdb.DuckDBPyConnection) -> None:
    """Create the build's bookkeeping, the ``sla_targets`` table (empty until loaded), every
    view model, and an empty table for every incremental model not built yet; safe each run.

    A relation of a model's name left by another version (a view where the model is now a
    table, or the reverse) is replaced.
    """
    con.execute(sql("create_state"))
    ensure_sla_targets_table(con)
    kinds = relation_kinds(con)
    stored = dict(con.execute(sql("stored_models")).fetchall())
    for model in load_models():
        name = quote_identifier(model.name)
        kind = kinds.get(model.name, (None, False))[0]
        try:
            if model.incremental:
                if kind == "VIEW":
                    con.execute(f"DROP VIEW {name}")
                if kind != "BASE TABLE":
                    con.execute("DELETE FROM _analytics_models WHERE name = ?", [model.name])
                    con.execute(statement("empty_table", model=name, select=full_select(model)))
            elif kind != "VIEW" or stored.get(model.name) != fingerprint(model.name):
                # A view is (re)created only when its definition changed: a nightly run that
                # writes nothing then leaves the file as it was (no checkpoint on close).
                if kind == "BASE TABLE":
                    con.execute(f"DROP TABLE {name}")
                con.execute(statement("create_view", model=name, select=full_select(model)))
                con.execute(
                    sql("record_model"),
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
    con.execute(sql("create_state"))
    con.execute("DELETE FROM _analytics_models")


def _build_incremental(
    con: duckdb.DuckDBPyConnection,
    model: Model,
    full: bool,
    pending: int,
    inputs: Inputs,
    slice_size: int,
    workflow_slice_size: int,
) -> ModelBuild:
    started = time.perf_counter()
    name = quote_identifier(model.name)
    scope = None
    limit = slice_size if model.per_execution else workflow_slice_size
    if full:
        rebuild_in_slices(con, model, inputs, limit)
        mode = FULL
    elif pending == 0:
        mode = UNCHANGED
    else:
        scope = recompute_touched(con, model, inputs, limit)
        mode = INCREMENTAL
    rows = count_rows(con, name)
    if mode != UNCHANGED and model.parquet:
        marks = statement(
            "mark_exported_days", model=name, full=mode == FULL, pending=pending_of(model)
        )
        con.execute(marks, [model.name])
    if mode != UNCHANGED:
        con.execute(
            sql("record_model"),
            {
                "name": model.name,
                "fingerprint": fingerprint(model.name),
                "row_count": rows,
                "full": mode == FULL,
            },
        )
    return ModelBuild(model.name, mode, time.perf_counter() - started, rows, scope)


def build_ahead(
    con: duckdb.DuckDBPyConnection, *, slice_size: int = EXECUTION_SLICE
) -> BuildReport | None:
    """Build the models of :func:`ahead_names` for the executions pending so far, in one
    transaction, and move those identities to ``_analytics_pending_ahead`` (the other models
    still recompute them). The ingest calls it after each batch of a load in several batches,
    so the analytics step after the load recomputes them for its last batch only.

    None (nothing done) when nothing is pending, when the models' tables do not exist (a
    warehouse opened without them), or when one would be rebuilt whole over more than
    ``slice_size`` stored executions: that rebuild is the analytics step's, under its own
    memory cap.
    """
    started = time.perf_counter()
    models = [m for m in load_models() if m.name in ahead_names()]
    con.begin()
    try:
        pending = count_rows(con, PENDING)
        kinds = relation_kinds(con)
        stored = dict(con.execute(sql("stored_models")).fetchall())
        full = {m.name: stored.get(m.name) != fingerprint(m.name) for m in models}
        if (
            not pending
            or any(kinds.get(m.name, ("", False))[0] != "BASE TABLE" for m in models)
            or (any(full.values()) and count_rows(con, "workflow_executions") > slice_size)
        ):
            con.rollback()
            return None
        inputs = Inputs.of(con)
        results = tuple(
            _build_incremental(con, m, full[m.name], pending, inputs, slice_size, WORKFLOW_SLICE)
            for m in models
        )
        con.execute(sql("consume_ahead"))
    except BaseException:
        con.rollback()
        raise
    # After the try, as in Warehouse.transaction: a failed commit has ended the transaction
    # already, and its error is the one to report.
    con.commit()
    return BuildReport(pending, results, time.perf_counter() - started)


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
        counts = {PENDING: count_rows(con, PENDING), PENDING_ALL: count_rows(con, PENDING_ALL)}
        pending = counts[PENDING_ALL]
        stored = dict(con.execute(sql("stored_models")).fetchall())
        inputs = Inputs.of(con)
        for model in load_models():
            if not model.incremental:
                results.append(ModelBuild(model.name, VIEW, 0.0))
                continue
            full = full_refresh or stored.get(model.name) != fingerprint(model.name)
            results.append(
                _build_incremental(
                    con,
                    model,
                    full,
                    counts[pending_of(model)],
                    inputs,
                    slice_size,
                    workflow_slice_size,
                )
            )
        if pending:
            con.execute(f"DELETE FROM {PENDING}")
            con.execute("DELETE FROM _analytics_pending_ahead")
    except BaseException:
        if transaction:
            con.rollback()
        raise
    if transaction:
        con.commit()
    return BuildReport(pending, tuple(results), time.perf_counter() - started)


def differences(con: duckdb.DuckDBPyConnection, model: Model) -> tuple[int, int]:
    """(rows in the table but not in the definition, rows in the definition but not in the
    table), counting duplicates (``EXCEPT ALL`` both ways); (0, 0) when they are equal."""
    sql = statement("differences", model=quote_identifier(model.name), select=full_select(model))
    extra, missing = con.execute(sql).fetchall()[0]
    return int(extra), int(missing)
