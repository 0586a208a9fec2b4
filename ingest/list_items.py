"""What a listed execution summary must be to be used, and how far a listing has got."""

from __future__ import annotations

import re
from typing import Any

from warehouse.flatten import MAX_TIME_MS, MIN_TIME_MS

HOUR_MS = 3_600_000
# CDF keeps execution records for three months.
CDF_RETENTION_MS = 90 * 24 * HOUR_MS
# A createdTime this far past our own clock is garbage; it must not become the high-water mark,
# or every later run would list a window in the future and see nothing.
FUTURE_TOLERANCE_MS = 24 * HOUR_MS
# CDF's execution ids are UUIDs; anything this long, or with control characters, is not an id
# (and would end up in URLs, logs and file listings).
MAX_ID_LENGTH = 255
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def listing_position(
    start_ms: int | None,
    end_ms: int,
    oldest_ms: int | None,
    newest_ms: int | None,
    *,
    newest_first: bool = False,
) -> float:
    """How far a listing has got through its ``createdTime`` window, 0..1: the span between the
    oldest and the newest execution listed so far, over the window's span.

    CDF documents no order of the list, but its cursor walks the window in one direction, so the
    span listed grows from one end. Without a window start (a first load, the whole history),
    the window starts at the oldest execution listed when the pages come oldest first (as they
    do from the simulator by default); when they come newest first, where the history starts is
    not known yet, and CDF's retention bounds it: the position is then a low estimate (a
    younger project's listing ends early), made exact when the listing ends.
    """
    if oldest_ms is None or newest_ms is None:
        return 0.0
    if start_ms is not None:
        start = min(start_ms, oldest_ms)
    elif newest_first:
        start = min(oldest_ms, end_ms - CDF_RETENTION_MS)
    else:
        start = oldest_ms
    if end_ms <= start:
        return 0.0
    return min(1.0, max(0.0, (newest_ms - oldest_ms) / (end_ms - start)))


def summary_key(item: dict[str, Any]) -> tuple[Any, Any, Any]:
    return (item.get("status"), item.get("startTime"), item.get("endTime"))


def valid_summary(item: Any, now_ms: int) -> str | None:
    """Why a list item cannot be used, or None when it can."""
    if not isinstance(item, dict):
        return "list item is not an object"
    execution_id = item.get("id")
    if not isinstance(execution_id, str) or not execution_id:
        return "list item has no string id"
    if len(execution_id) > MAX_ID_LENGTH:
        return f"list item id is {len(execution_id)} characters long (at most {MAX_ID_LENGTH})"
    if _CONTROL_CHARACTERS.search(execution_id):
        return f"list item id contains control characters: {execution_id[:60]!r}"
    created = item.get("createdTime")
    # A whole float (1.7e12, as some JSON encoders write large numbers) is the same instant;
    # the flattening takes it as well (see warehouse.flatten.fields.time_ms).
    if type(created) is float:
        if not created.is_integer():
            return f"list item createdTime {created} is not a whole number of milliseconds"
        created = int(created)
    elif type(created) is not int:
        return "list item has no integer createdTime"
    if not MIN_TIME_MS <= created < MAX_TIME_MS:
        return f"list item createdTime {created} is outside years 2000..2099"
    if created > now_ms + FUTURE_TOLERANCE_MS:
        return f"list item createdTime {created} is more than a day in the future"
    return None
