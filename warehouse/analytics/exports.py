"""The analytics models that also go to the Parquet tree (``parquet='day'``), as the flush
sees them: their declaration and the statements giving their rows per day."""

from __future__ import annotations

from warehouse.analytics.models import load_models, sql_template
from warehouse.parquet import PartitionSource
from warehouse.schema import Table, quote_identifier


def _statement(name: str, **values: object) -> str:
    return sql_template(name).render(**values)


def model_partitions(name: str) -> PartitionSource:
    """An exported model's Parquet partitions (``parquet='day'``): ``<name>/day=...``."""
    quoted = quote_identifier(name)
    declaration = Table(name, "", (), (), partition_column="day", partition_key="day")
    counts = _statement("partition_counts", model=quoted)
    rows = _statement("partition_rows", model=quoted)
    return declaration, counts, rows


def exported_models() -> frozenset[str]:
    return frozenset(m.name for m in load_models() if m.parquet)
