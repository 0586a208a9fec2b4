"""The analytics models: one SQL file per model in ``warehouse/sql/models/``, written as a dbt
model is (``{{ ref('x') }}``, ``{{ source('x') }}``, ``{{ config(...) }}``).

A model is a view unless its ``config`` makes it ``incremental``: then it is a table kept by
:mod:`warehouse.analytics.build`, whose ``unique_key`` names the rows a changed execution can
alter (``['cdf_project', 'execution_id']`` for a result per execution, ``['cdf_project',
'workflow_external_id']`` for one computed over a workflow's runs). The key's columns must be
among :data:`SCOPE_COLUMNS`, the identity of an execution, because the build finds the rows to
replace from the executions written since the last build.

Lineage comes from the ``ref``/``source`` calls, as in dbt; the file's comment header
(Description, Grain, Columns) documents it for people.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import jinja2

from warehouse.schema import quote_identifier
from warehouse.sqlfiles import sql_file, sql_files, sql_header

MODELS_FOLDER = "models"
VIEW = "view"
INCREMENTAL = "incremental"
# What identifies an execution's place in the results: an incremental model's unique_key is
# drawn from these (see warehouse/sql/analytics/touched_keys.sql).
SCOPE_COLUMNS = ("cdf_project", "execution_id", "workflow_external_id", "day")
PER_EXECUTION = ("cdf_project", "execution_id")
PER_WORKFLOW = ("cdf_project", "workflow_external_id")
# incremental_strategy: 'delete+insert' replaces every row of a touched key; 'tail' (models kept
# per workflow whose rows depend on the runs after them, ordered by execution_created_time and
# execution_id) replaces a touched workflow's rows from a boundary that
# warehouse/sql/analytics/tail/<model>.sql computes.
DELETE_INSERT = "delete+insert"
TAIL = "tail"


class ModelError(ValueError):
    """A model file is malformed (unknown ref, bad config, a cycle); the message names it."""


@dataclass(frozen=True)
class Model:
    name: str
    file: str  # path under warehouse/sql/
    template: str
    materialized: str
    unique_key: tuple[str, ...]
    refs: tuple[str, ...]
    sources: tuple[str, ...]
    description: str
    # 'day': the table also goes to the Parquet tree, one partition per UTC day (`day` column).
    parquet: str | None = None
    strategy: str = DELETE_INSERT
    # Columns the rows are written in order of (each insert sorted by them): DuckDB skips the
    # row groups a filter on them rules out, as the tail strategy's filters on time are.
    order_by: str | None = None

    @property
    def incremental(self) -> bool:
        return self.materialized == INCREMENTAL

    @property
    def depends(self) -> tuple[str, ...]:
        return self.refs + self.sources

    @property
    def per_execution(self) -> bool:
        """Kept per execution (its rows for an execution depend on that execution alone)."""
        return self.unique_key == PER_EXECUTION


def _environment() -> jinja2.Environment:
    # SQL, not HTML: nothing to escape; an unknown name in a template is an error.
    return jinja2.Environment(
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False
    )


_ENV = _environment()


def _parse(file_name: str, text: str) -> Model:
    name = file_name.removesuffix(".sql")
    found: dict[str, Any] = {"refs": [], "sources": [], "config": {}}

    def ref(target: str) -> str:
        found["refs"].append(target)
        return quote_identifier(target)

    def source(target: str) -> str:
        found["sources"].append(target)
        return quote_identifier(target)

    def config(**values: Any) -> str:
        found["config"].update(values)
        return ""

    try:
        _ENV.from_string(text).render(ref=ref, source=source, config=config)
    except jinja2.TemplateError as exc:
        raise ModelError(f"warehouse/sql/{MODELS_FOLDER}/{file_name}: {exc}") from exc
    settings = found["config"]
    materialized = settings.pop("materialized", VIEW)
    unique_key = tuple(settings.pop("unique_key", ()))
    parquet = settings.pop("parquet", None)
    strategy = settings.pop("incremental_strategy", DELETE_INSERT)
    order_by = settings.pop("order_by", None)
    where = f"warehouse/sql/{MODELS_FOLDER}/{file_name}"
    if settings:
        raise ModelError(f"{where}: unknown config {sorted(settings)}")
    if materialized not in (VIEW, INCREMENTAL):
        raise ModelError(f"{where}: materialized must be 'view' or 'incremental'")
    if materialized == INCREMENTAL and (
        not unique_key or not set(unique_key) <= set(SCOPE_COLUMNS)
    ):
        raise ModelError(f"{where}: an incremental unique_key is drawn from {SCOPE_COLUMNS}")
    if parquet is not None and (parquet != "day" or unique_key != PER_EXECUTION):
        # A day's partition is rewritten from the days of the executions recomputed, which
        # covers every changed row only when rows are kept per execution.
        raise ModelError(f"{where}: parquet='day' is for incremental models kept per execution")
    if strategy not in (DELETE_INSERT, TAIL) or (strategy == TAIL and unique_key != PER_WORKFLOW):
        raise ModelError(f"{where}: incremental_strategy 'tail' needs unique_key {PER_WORKFLOW}")
    if order_by is not None and (materialized != INCREMENTAL or not isinstance(order_by, str)):
        raise ModelError(f"{where}: order_by is a column list, for incremental models")
    return Model(
        name=name,
        file=f"{MODELS_FOLDER}/{file_name}",
        template=text,
        materialized=materialized,
        unique_key=unique_key,
        refs=tuple(dict.fromkeys(found["refs"])),
        sources=tuple(dict.fromkeys(found["sources"])),
        description=sql_header(text, "description") or f"Model {name}.",
        parquet=parquet,
        strategy=strategy,
        order_by=order_by,
    )


def _ordered(models: dict[str, Model]) -> list[Model]:
    """Models after every model they ref (then by name), so each builds on built ones."""
    done: dict[str, Model] = {}
    visiting: set[str] = set()

    def visit(model: Model) -> None:
        if model.name in done:
            return
        if model.name in visiting:
            raise ModelError(f"models ref each other in a cycle through {model.name!r}")
        visiting.add(model.name)
        for target in model.refs:
            if target not in models:
                raise ModelError(f"{model.file}: ref({target!r}) names no model")
            visit(models[target])
        visiting.discard(model.name)
        done[model.name] = model

    for name in sorted(models):
        visit(models[name])
    return list(done.values())


@cache
def load_models() -> tuple[Model, ...]:
    """Every model, in build order (parsed once per process)."""
    models = {m.name: m for m in (_parse(f, t) for f, t in sql_files(MODELS_FOLDER))}
    return tuple(_ordered(models))


def models_by_name() -> dict[str, Model]:
    return {m.name: m for m in load_models()}


def render(model: Model, relation: Callable[[str], str] = quote_identifier) -> str:
    """The model's SELECT, each ``ref``/``source`` replaced by ``relation(name)`` (by default the
    quoted name: the full definition over everything)."""
    return _ENV.from_string(model.template).render(
        ref=relation, source=relation, config=lambda **_: ""
    )


def inline_select(model: Model) -> str:
    """The model's SELECT over the ingested tables alone: every ``ref`` replaced by the
    referenced model's own inlined SELECT. What a model means, whatever its upstream tables
    hold (the tests of a model's logic query this)."""
    models = models_by_name()

    def relation(name: str) -> str:
        if name in models:
            return f"({inline_select(models[name])})"
        return quote_identifier(name)

    return render(model, relation)


@cache
def fingerprint(name: str) -> str:
    """A hash of the model's definition and of every model it builds on: when it changes, the
    model's stored results no longer follow from its SQL and it is rebuilt whole."""
    model = models_by_name()[name]
    digest = hashlib.sha256(model.template.encode())
    for upstream in model.refs:
        digest.update(fingerprint(upstream).encode())
    return digest.hexdigest()[:16]


@cache
def sql_template(name: str) -> jinja2.Template:
    """One of the build's own statements in ``warehouse/sql/analytics/`` (identifiers are
    filled in quoted; values are bound when it runs)."""
    return _ENV.from_string(sql_file("analytics", name))
