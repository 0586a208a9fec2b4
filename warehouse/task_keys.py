"""A stable name for generated tasks: ``task_key``.

Dynamic tasks generate their children's externalIds, and the generators usually make them unique
per run by appending something: ``generate_test_matrix_<uuid>``, ``preprocessor-1_<uuid>``,
``load_<hex id>``, ``shard_12``. Grouping by externalId then gives one row per child of every run.
``task_key`` is the externalId with such a suffix removed, so one kind of generated task is one
group. The rule, in order (each step on the result of the one before):

1. a UUID at the end (8-4-4-4-12 hex digits), with the separator before it (``_ - . :``);
   otherwise a hex id of 8 or more hex digits holding at least one digit, after a separator;
2. then a trailing counter: ``_`` or ``-`` followed by digits only (``_1``, ``-12``).

A task named in the execution's workflow definition keeps its externalId as its key (its name was
written by a person, ``stage_2`` is not a counter); the rule applies to the others, and to every
task of an execution whose definition is unknown. An id that would become empty keeps itself.

The same rule exists as a polars expression (the flattener) and as DuckDB SQL
(``sql/store/backfill_task_keys.sql``, the in-place upgrade of warehouses written before the
column existed); the tests hold them to each other.
"""

from __future__ import annotations

import polars as pl

_SEP = r"[_\-.:]"
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
UUID_SUFFIX = f"{_SEP}?{_UUID}$"
HEX_SUFFIX = f"{_SEP}[0-9a-fA-F]{{8,}}$"
COUNTER_SUFFIX = r"[_\-][0-9]+$"


def generated_key(external_id: pl.Expr) -> pl.Expr:
    """The externalId with a generated suffix removed (see the module's rule)."""
    no_uuid = external_id.str.replace(UUID_SUFFIX, "")
    hex_tail = no_uuid.str.extract(f"({HEX_SUFFIX})", 1)
    no_id = (
        pl.when((no_uuid == external_id) & hex_tail.str.contains("[0-9]"))
        .then(no_uuid.str.replace(HEX_SUFFIX, ""))
        .otherwise(no_uuid)
    )
    stripped = no_id.str.replace(COUNTER_SUFFIX, "")
    return pl.when(stripped == "").then(external_id).otherwise(stripped)


def task_key_patterns() -> dict[str, str]:
    """The rule's patterns, bound by name in ``sql/store/backfill_task_keys.sql``."""
    return {"uuid": UUID_SUFFIX, "hex": HEX_SUFFIX, "counter": COUNTER_SUFFIX}


def task_keys(external_ids: list[str]) -> list[str]:
    """The rule on plain strings (no definition): for tests and users' own scripts."""
    frame = pl.DataFrame({"x": external_ids}, schema={"x": pl.String})
    return frame.select(generated_key(pl.col("x")))["x"].to_list()
