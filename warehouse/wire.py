"""Typed shapes of a detail answer (``GET /workflows/executions/{id}``) for the fast decode path.

Decoding a detail into dicts and lists costs more than everything else the ingest does to it:
the task payloads (``input``, ``output``) are nested objects that only need to be stored as JSON
text. :mod:`msgspec` decodes a body straight into these structs instead, checking every scalar
the warehouse relies on (types, non-empty ids, plausible epoch milliseconds) and keeping each
payload as its raw JSON bytes (:class:`msgspec.Raw`), never building it.

The structs accept only the common, clean shape. Anything else (an unknown field, a float time,
a wrong type, a missing required field) fails to decode here, and the flattener then takes the
careful path over plain dicts, which keeps unknown fields in ``extra`` or rejects the record with
a precise reason. So these declarations decide speed, never outcome.
"""

from __future__ import annotations

from typing import Annotated, Any, NamedTuple

import msgspec

from warehouse.source_values import MAX_TIME_MS, MIN_TIME_MS

EpochMs = Annotated[int, msgspec.Meta(ge=MIN_TIME_MS, lt=MAX_TIME_MS)]
NonEmpty = Annotated[str, msgspec.Meta(min_length=1)]
# An absent payload: empty raw bytes (a JSON null arrives as the four bytes ``null``).
ABSENT = msgspec.Raw()


class DetailAnswer(NamedTuple):
    """A detail answer as received: the execution id asked for and the response body."""

    asked_id: str
    body: bytes


# gc=False: decoded from JSON, these hold only strings, numbers, raw bytes and lists of each
# other, so they can never be part of a reference cycle; the collector need not track them.
# Also the careful path's task record: a task it has validated from a plain dict is built as one
# of these, so both paths feed the same column builder (warehouse.flatten.frames).
class WireTask(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    id: NonEmpty
    externalId: NonEmpty
    status: NonEmpty
    taskType: str | None = None
    parentTaskExternalId: str | None = None
    reasonForIncompletion: str | None = None
    startTime: EpochMs | None = None
    endTime: EpochMs | None = None
    input: msgspec.Raw = ABSENT
    output: msgspec.Raw = ABSENT


class WireDetail(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    id: NonEmpty
    workflowExternalId: NonEmpty
    status: NonEmpty
    createdTime: EpochMs
    version: str | None = None
    engineExecutionId: str | None = None
    startTime: EpochMs | None = None
    endTime: EpochMs | None = None
    reasonForIncompletion: str | None = None
    metadata: dict[str, Any] | None = None
    input: msgspec.Raw = ABSENT
    # Kept raw: executions of one workflow version repeat it, so it is parsed once per distinct
    # body (see the flattener's definition cache).
    workflowDefinition: msgspec.Raw = ABSENT
    executedTasks: list[WireTask] | None = None


DECODER = msgspec.json.Decoder(WireDetail)
DecodeFailed = (msgspec.ValidationError, msgspec.DecodeError)
