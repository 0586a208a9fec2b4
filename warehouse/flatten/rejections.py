"""Rows for ``rejected_records``: a record that cannot be flattened is kept as received, with
the first problem found. Shared by every flattener (executions here, triggers and trigger runs in
:mod:`warehouse.trigger_tables`, bad list summaries in the ingest)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import orjson
import polars as pl

from warehouse.schema import REJECTED_RECORDS

SOURCE_DETAIL = "execution_detail"
SOURCE_SUMMARY = "execution_summary"


def utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(UTC)


def raw_json(record: Any) -> str:
    """The record as JSON text, whatever it holds."""
    try:
        return orjson.dumps(record).decode()
    except (orjson.JSONEncodeError, TypeError):
        pass
    try:
        # orjson refuses integers beyond 64 bits and non-string keys; the standard library
        # writes both (keys as strings) and still produces valid JSON...
        return json.dumps(record, default=repr, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        # ...and when nothing else works, the repr as a JSON string keeps the column valid JSON.
        return orjson.dumps(repr(record)[:1_000_000]).decode()


def _record_id(record: Any) -> str | None:
    if type(record) is dict:
        rid = record.get("id")
        if type(rid) is str and rid:
            return rid
    return None


def _rejection_row(record: Any, reason: str, source: str, rejected_at: datetime) -> tuple[Any, ...]:
    raw = raw_json(record)
    digest = hashlib.blake2b(f"{source}\n{raw}".encode(), digest_size=16).hexdigest()
    return (digest, rejected_at, source, _record_id(record), reason, raw)


def rejected_frame(
    items: Iterable[tuple[Any, str]], *, source: str, rejected_at: datetime
) -> pl.DataFrame:
    """Rows for ``rejected_records`` from (raw record, reason) pairs, one per distinct payload."""
    at = utc(rejected_at)
    rows = [_rejection_row(rec, reason, source, at) for rec, reason in items]
    df = pl.DataFrame(rows, schema=REJECTED_RECORDS.polars_schema(), orient="row")
    return df.unique(subset=["rejection_id"], keep="first", maintain_order=True)
