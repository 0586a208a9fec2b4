"""Hypothesis strategies for detail records: any JSON, damaged times and statuses, partial keys."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import strategies as st

from tests.support.detail_records import execution, ms, task_definition, task_execution

NOW = datetime(2024, 6, 1, tzinfo=UTC)
T0 = ms("2024-05-01T00:00:00")

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
times = st.one_of(
    st.none(),
    st.integers(min_value=T0 - 10_000, max_value=T0 + 10_000),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    st.text(max_size=4),
)
statuses = st.sampled_from(
    ["RUNNING", "COMPLETED", "FAILED", "TIMED_OUT", "TERMINATED", "PAUSED", "NEW_ONE"]
)
EXECUTION_KEYS = [
    "id",
    "workflowExternalId",
    "version",
    "status",
    "createdTime",
    "startTime",
    "endTime",
    "metadata",
    "input",
    "executedTasks",
    "workflowDefinition",
    "reasonForIncompletion",
    "unknownField",
]
TASK_KEYS = [
    "id",
    "externalId",
    "status",
    "taskType",
    "startTime",
    "endTime",
    "input",
    "output",
    "parentTaskExternalId",
    "asyncComplete",
    "surprise",
]


@st.composite
def records(draw: st.DrawFn, index: int) -> Any:
    """A realistic execution, often damaged in one or more places; sometimes not a dict."""
    if draw(st.integers(0, 19)) == 0:
        return draw(json_values)
    n_tasks = draw(st.integers(0, 4))
    tasks = []
    for k in range(n_tasks):
        task = task_execution(
            f"t{k % 3}",  # repeated externalIds: retries shown as rows
            task_type=draw(st.sampled_from(["function", "cdf", "dynamic", "functionApp", "x"])),
            status=draw(st.sampled_from(["COMPLETED", "FAILED", "IN_PROGRESS", "CANCELED"])),
            start=draw(st.none() | st.integers(T0, T0 + 1000)),
            end=draw(st.none() | st.integers(T0, T0 + 2000)),
            task_id=f"task-{index}-{k}",
            parent=draw(st.none() | st.just("t0")),
        )
        for _ in range(draw(st.integers(0, 1))):
            task[draw(st.sampled_from(TASK_KEYS))] = draw(json_values | times)
        tasks.append(task)
    rec = execution(
        execution_id=f"exec-{index}",
        status=draw(statuses),
        created=T0 + draw(st.integers(-5, 5)) * 86_400_000,
        start=draw(st.none() | st.integers(T0 - 10, T0 + 10)),
        end=draw(st.none() | st.integers(T0 - 1000, T0 + 100_000)),
        tasks=tasks,
        definitions=[task_definition("t0"), task_definition("t1", depends_on=["t0"])],
        definition_hash=draw(st.sampled_from(["h1", "h2"])),
    )
    for _ in range(draw(st.integers(0, 2))):
        key = draw(st.sampled_from(EXECUTION_KEYS))
        value = draw(json_values | times)
        if key == "id" and isinstance(value, str) and value:
            value = f"{value}#{index}"  # a damaged id, still unique within the batch
        rec[key] = value
    return rec


@st.composite
def batches(draw: st.DrawFn) -> list[Any]:
    return [draw(records(i)) for i in range(draw(st.integers(0, 8)))]
