"""``workflowDefinition`` bodies into :class:`~warehouse.flatten.rows.Definition` values.

Executions of one workflow version repeat the same definition: each distinct body is validated
and converted once per batch. The cache maps a body's JSON bytes (as received on the fast path,
as orjson writes the dict on the careful path) to its Definition, or to the reason it cannot be
read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from warehouse.flatten.fields import (
    Reject,
    extra_json,
    opt_bool,
    opt_int,
    opt_str,
    payload_json,
    req_str,
    short,
)
from warehouse.flatten.rows import Definition, DefinitionRow
from warehouse.source_values import unknown_fields

DefinitionCache = dict[bytes, Definition | str]

EXECUTION_KEYS = frozenset(
    {
        "id",
        "workflowExternalId",
        "version",
        "status",
        "engineExecutionId",
        "createdTime",
        "startTime",
        "endTime",
        "reasonForIncompletion",
        "metadata",
        "input",
        "workflowDefinition",
        "executedTasks",
    }
)
_DEFINITION_KEYS = frozenset(
    {
        "externalId",
        "type",
        "name",
        "description",
        "parameters",
        "retries",
        "timeout",
        "onFailure",
        "dependsOn",
        "isAsyncComplete",
        "asyncComplete",
    }
)


def _async_complete(d: Mapping[str, Any], params: Any, where: str) -> bool | None:
    # The SDK writes isAsyncComplete next to `function` inside `parameters`; the wire has also
    # been seen with `asyncComplete`, and older payloads put it inside `function` or on the task.
    places: list[Mapping[str, Any]] = [d]
    if type(params) is dict:
        places.append(params)
        if type(params.get("function")) is dict:
            places.append(params["function"])
    for place in places:
        for key in ("isAsyncComplete", "asyncComplete"):
            if place.get(key) is not None:
                return opt_bool(place[key], where + key)
    return None


def _depends_on(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if type(value) is not list:
        raise Reject(f"{where}dependsOn: not a list")
    out: list[str] = []
    for dep in value:
        # The API sends [{externalId}]; a bare string is accepted as the same thing.
        xid = dep.get("externalId") if type(dep) is dict else dep
        if type(xid) is not str or not xid:
            raise Reject(f"{where}dependsOn: entry without a string externalId: {short(dep)}")
        out.append(xid)
    return out


def _rows(wd: Mapping[str, Any], definition_hash: str) -> list[DefinitionRow]:
    tasks = wd.get("tasks")
    if tasks is None:
        return []
    if type(tasks) is not list:
        raise Reject("workflowDefinition.tasks: not a list")
    rows: list[DefinitionRow] = []
    seen: set[str] = set()
    for i, d in enumerate(tasks):
        where = f"workflowDefinition.tasks[{i}]."
        if type(d) is not dict:
            raise Reject(f"workflowDefinition.tasks[{i}]: not an object")
        xid = req_str(d, "externalId", where)
        if xid in seen:
            # A definition cannot really hold the same externalId twice; keep the first so the
            # key stays unique rather than losing the whole execution.
            continue
        seen.add(xid)
        params = d.get("parameters")
        rows.append(
            DefinitionRow(
                definition_hash=definition_hash,
                task_external_id=xid,
                task_type=opt_str(d, "type", where),
                name=opt_str(d, "name", where),
                description=opt_str(d, "description", where),
                parameters=payload_json(params, where + "parameters"),
                retries=opt_int(d, "retries", where),
                timeout_s=opt_int(d, "timeout", where),
                on_failure=opt_str(d, "onFailure", where),
                is_async_complete=_async_complete(d, params, where),
                depends_on=_depends_on(d.get("dependsOn"), where),
                extra=extra_json(d, _DEFINITION_KEYS, where + "extra"),
            )
        )
    return rows


def _read(wd: Mapping[str, Any]) -> Definition:
    """A non-empty definition object; raises Reject."""
    definition_hash = opt_str(wd, "hash", "workflowDefinition.")
    rows = _rows(wd, definition_hash) if definition_hash else []
    rest = {k: v for k, v in wd.items() if k not in ("hash", "tasks")} or None
    return Definition(definition_hash, rows, rest, _rest_extra(rest))


def _rest_extra(rest: dict[str, Any] | None) -> str | None:
    # A body msgspec parsed is always JSON; a dict's rest that is not is rejected where the
    # careful path checks `extra`, after every other field (execution_extra).
    try:
        return _extra({}, rest) if rest else None
    except Reject:
        return None


def _cached(key: bytes, wd: Mapping[str, Any], cache: DefinitionCache) -> Definition | str:
    held = cache.get(key)
    if held is None:
        try:
            held = _read(wd)
        except Reject as exc:
            held = str(exc)
        cache[key] = held
    return held


def definition_of_body(body: bytes, cache: DefinitionCache) -> Definition | str:
    """The fast path's definition (JSON msgspec has parsed), or why the careful path decides.
    Bytes that are not UTF-8 raise here (orjson.JSONDecodeError)."""
    held = cache.get(body)
    if held is not None:
        return held
    wd = orjson.loads(body)
    if type(wd) is not dict:
        return "workflowDefinition: not an object"
    return _cached(body, wd, cache) if wd else Definition(None, [], None)


def definition_of_dict(wd: Mapping[str, Any], cache: DefinitionCache) -> Definition:
    """The careful path's definition of a non-empty object; raises Reject."""
    try:
        key = orjson.dumps(wd)
    except (orjson.JSONEncodeError, TypeError):
        return _read(wd)  # not cacheable (e.g. a key that is not a string): read it as it is
    held = _cached(key, wd, cache)
    if isinstance(held, str):
        raise Reject(held)
    return held


def _extra(rec: Mapping[str, Any], rest: dict[str, Any] | None) -> str | None:
    unknown = unknown_fields(rec, EXECUTION_KEYS)
    if rest:
        unknown["workflowDefinition"] = rest
    return payload_json(unknown, "extra") if unknown else None


def execution_extra(rec: Mapping[str, Any], definition: Definition | None) -> str | None:
    """The execution's ``extra``: its unknown fields, and the definition's own fields besides
    hash and tasks (its description, anything new), which have no column either."""
    return _extra(rec, definition.rest if definition is not None else None)
