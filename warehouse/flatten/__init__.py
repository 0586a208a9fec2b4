"""Flatten detailed workflow executions into polars frames, one per table.

One decoding path into typed rows. A detail answer as received is decoded by msgspec into typed
structs whose payloads stay raw JSON bytes (:mod:`warehouse.wire`, :mod:`.decode`); a body of
any other shape, and a record that is already a dict, go through the careful path
(:mod:`.careful`), which validates each field and rebuilds the same struct. Both feed one row
builder (:mod:`.rows`); the frames are built column by column for the whole batch
(:mod:`.frames`). A record that cannot be flattened never stops the batch: it goes to
``rejected`` with its raw payload and the first problem found (:mod:`.rejections`).
"""

from warehouse.flatten.batch import FlatBatch, flatten_details
from warehouse.flatten.rejections import SOURCE_DETAIL, SOURCE_SUMMARY, rejected_frame
from warehouse.source_values import MAX_TIME_MS, MIN_TIME_MS

__all__ = [
    "MAX_TIME_MS",
    "MIN_TIME_MS",
    "SOURCE_DETAIL",
    "SOURCE_SUMMARY",
    "FlatBatch",
    "flatten_details",
    "rejected_frame",
]
