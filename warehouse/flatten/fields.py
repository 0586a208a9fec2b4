"""The careful path's readers: each returns a field's clean value or raises :class:`Reject`
naming the field and the first problem found (the reason ``rejected_records`` keeps)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from warehouse.source_values import MAX_TIME_MS, MIN_TIME_MS, json_text, unknown_fields


class Reject(Exception):
    """A record cannot be flattened; the message is the stored reason."""


def short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def time_ms(value: Any, field: str) -> int | None:
    if value is None:
        return None
    if type(value) is int:
        ms = value
    elif type(value) is float and value.is_integer():
        ms = int(value)
    else:
        raise Reject(f"{field}: not an epoch-milliseconds integer: {short(value)}")
    if not MIN_TIME_MS <= ms < MAX_TIME_MS:
        raise Reject(f"{field}: {ms} is outside years 2000..2099")
    return ms


def opt_str(obj: Mapping[str, Any], key: str, where: str) -> str | None:
    value = obj.get(key)
    if value is None or type(value) is str:
        return value
    raise Reject(f"{where}{key}: not a string: {short(value)}")


def req_str(obj: Mapping[str, Any], key: str, where: str) -> str:
    value = obj.get(key)
    if type(value) is str and value:
        return value
    if value is None:
        raise Reject(f"{where}{key}: missing")
    raise Reject(f"{where}{key}: not a non-empty string: {short(value)}")


def opt_int(obj: Mapping[str, Any], key: str, where: str) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if type(value) is int and -(2**63) <= value < 2**63:
        return value
    if type(value) is float and value.is_integer() and abs(value) < 2**53:
        return int(value)
    raise Reject(f"{where}{key}: not an integer: {short(value)}")


def opt_bool(value: Any, field: str) -> bool | None:
    if value is None or type(value) is bool:
        return value
    raise Reject(f"{field}: not a boolean: {short(value)}")


def payload_json(value: Any, field: str) -> str | None:
    """JSON text of a payload (None for an absent or null payload)."""
    try:
        return json_text(value)
    except (orjson.JSONEncodeError, TypeError) as exc:
        raise Reject(f"{field}: not serialisable as JSON ({exc})") from None


def extra_json(obj: Mapping[str, Any], known: frozenset[str], field: str) -> str | None:
    """The fields without a column, as JSON text (None when there are none)."""
    unknown = unknown_fields(obj, known)
    return payload_json(unknown, field) if unknown else None
