"""Rules for values as the CDF API sends them, shared by every flattener (executions, triggers)
and by the ingest's bookkeeping: what counts as a timestamp, how a payload becomes JSON text,
which fields are unknown."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

# Epoch-ms bounds for a plausible timestamp. CDF did not exist before 2000 and nothing it reports
# lies after 2100; outside that range the value is garbage, and accepting it would put rows into
# absurd partitions (or overflow the microsecond conversion).
MIN_TIME_MS = 946_684_800_000  # 2000-01-01T00:00:00Z
MAX_TIME_MS = 4_102_444_800_000  # 2100-01-01T00:00:00Z


def is_ms(value: Any) -> bool:
    """Whether a value can be epoch milliseconds at all: an integer that is not a boolean."""
    return isinstance(value, int) and not isinstance(value, bool)


def time_problem(value: Any, what: str) -> str | None:
    """Why a value is not a plausible epoch-ms timestamp, or None when it is."""
    if not is_ms(value):
        return f"{what} is not an integer"
    if not MIN_TIME_MS <= value < MAX_TIME_MS:
        return f"{what} {value} is outside years 2000..2099"
    return None


def json_text(value: Any) -> str | None:
    """JSON text of a payload (None for an absent or null payload). Raises
    ``orjson.JSONEncodeError`` (a TypeError) when the value cannot be written as JSON."""
    return None if value is None else orjson.dumps(value).decode()


def unknown_fields(record: Mapping[Any, Any], known: frozenset[str]) -> dict[Any, Any]:
    """The fields of a record this warehouse has no column for, sorted by name (they are kept
    under ``extra`` so that nothing the source sends is lost)."""
    return {k: record[k] for k in sorted(record.keys() - known, key=str)}
