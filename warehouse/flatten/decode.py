"""The fast path: a detail answer as received, decoded by msgspec (see :mod:`warehouse.wire`)
straight into the row builder, with no dict or list built for its payloads.

It takes only answers in the common, clean shape. For any other it returns None and the
careful path (:mod:`warehouse.flatten.careful`) decides: the same rows, or a rejection with its
precise reason. So this path decides speed, never outcome.
"""

from __future__ import annotations

from typing import Any

import orjson

from warehouse.flatten.definitions import DefinitionCache, definition_of_body
from warehouse.flatten.fields import Reject
from warehouse.flatten.frames import not_utf8
from warehouse.flatten.rows import NULL, Parsed, detail_rows
from warehouse.wire import DECODER, DecodeFailed, DetailAnswer, WireDetail


def decode_answer(
    answer: DetailAnswer, cache: DefinitionCache, *, check_utf8: bool = False
) -> Parsed | None:
    """The rows of a clean detail answer, or None: then the careful path decides.

    msgspec does not check raw payloads for UTF-8; the batch's payload columns are checked
    when built (see :func:`warehouse.flatten.frames.payload_column`). ``check_utf8`` checks
    them here, per answer, instead."""
    try:
        return _decode(answer, cache, check_utf8)
    except (*DecodeFailed, UnicodeDecodeError, orjson.JSONDecodeError, Reject):
        # Bytes that are not UTF-8 make the careful path reject the body as not valid JSON.
        return None


def _decode(answer: DetailAnswer, cache: DefinitionCache, check_utf8: bool) -> Parsed | None:
    d: WireDetail = DECODER.decode(answer.body)
    if d.id != answer.asked_id:
        return None
    if check_utf8 and not_utf8(d.executedTasks or ()):
        return None
    definition = None
    if d.workflowDefinition and d.workflowDefinition != NULL:
        held = definition_of_body(bytes(d.workflowDefinition), cache)
        if isinstance(held, str):
            return None
        definition = held
    # The struct allows no unknown execution field, so only the definition's own extras.
    return detail_rows(d, answer, definition, definition.extra if definition else None)


def answer_as_record(answer: DetailAnswer) -> tuple[Any, str | None]:
    """The careful path's view of a detail answer: the decoded record and, when the answer
    cannot stand for the execution asked, why (the record is then what rejected_records keeps)."""
    asked = answer.asked_id
    try:
        record = orjson.loads(answer.body)
    except orjson.JSONDecodeError:
        text = answer.body.decode("utf-8", "replace")
        return text, f"detail answer for {asked!r} is not valid JSON"
    if record is None:
        return "null", f"detail answer for {asked!r} is JSON null instead of an execution"
    if type(record) is dict and "id" in record and record["id"] != asked:
        return record, f"detail answer for {asked!r} is for another id: {record['id']!r:.80}"
    return record, None
