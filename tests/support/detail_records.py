"""Hand-built ``WorkflowExecutionDetailed`` dicts for tests and examples.

Shapes follow the CDF Workflows API (camelCase keys, epoch-ms times). Nothing here talks to a
server or to the simulator: tests state exactly the record they need.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

DAY_MS = 86_400_000


def ms(text: str) -> int:
    """Epoch ms of an ISO-8601 UTC time such as ``2024-05-01T10:00:00``."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


_OUTPUTS: dict[str, dict[str, Any]] = {
    "function": {"callId": 11, "functionId": 22, "response": {"ok": True}},
    "transformation": {"jobId": 33},
    "cdf": {"statusCode": 200, "response": {"items": []}},
    "dynamic": {},
    "subworkflow": {},
    "simulation": {"runId": 44, "logId": 55, "statusMessage": "done"},
}

_PARAMETERS: dict[str, dict[str, Any]] = {
    "function": {"function": {"externalId": "fn-a", "data": {"k": 1}}, "isAsyncComplete": False},
    "transformation": {"transformation": {"externalId": "tr-a", "concurrencyPolicy": "fail"}},
    "cdf": {"cdfRequest": {"resourcePath": "/timeseries", "method": "GET"}},
    "dynamic": {"dynamic": {"tasks": "${prepare.output.response.tasks}"}},
    "subworkflow": {"subworkflow": {"workflowExternalId": "child-wf", "version": "1"}},
    "simulation": {"simulation": {"routineExternalId": "routine-a"}},
}


def task_execution(
    external_id: str,
    *,
    task_type: str = "function",
    status: str = "COMPLETED",
    start: int | None = None,
    end: int | None = None,
    task_id: str | None = None,
    parent: str | None = None,
    reason: str | None = None,
    output: Any = None,
    **extra: Any,
) -> dict[str, Any]:
    """One ``executedTasks`` entry; absent times are left out like the API does."""
    record: dict[str, Any] = {
        "id": task_id or str(uuid.uuid4()),
        "externalId": external_id,
        "status": status,
        "taskType": task_type,
        "input": _PARAMETERS.get(task_type, {}),
        "output": output if output is not None else _OUTPUTS.get(task_type, {}),
    }
    if parent is not None:
        record["parentTaskExternalId"] = parent
    if start is not None:
        record["startTime"] = start
    if end is not None:
        record["endTime"] = end
    if reason is not None:
        record["reasonForIncompletion"] = reason
    record.update(extra)
    return record


def task_definition(
    external_id: str,
    *,
    task_type: str = "function",
    depends_on: list[str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "externalId": external_id,
        "type": task_type,
        "name": f"{external_id} task",
        "parameters": _PARAMETERS.get(task_type, {}),
        "retries": 3,
        "timeout": 3600,
        "onFailure": "abortWorkflow",
        "dependsOn": [{"externalId": d} for d in depends_on or []],
    }
    record.update(extra)
    return record


def execution(
    *,
    execution_id: str | None = None,
    workflow: str = "wf-a",
    version: str = "1",
    status: str = "COMPLETED",
    created: int | None = None,
    start: int | None = None,
    end: int | None = None,
    tasks: list[dict[str, Any]] | None = None,
    definitions: list[dict[str, Any]] | None = None,
    definition_hash: str | None = None,
    reason: str | None = None,
    metadata: dict[str, str] | None = None,
    input: Any = None,
    **extra: Any,
) -> dict[str, Any]:
    """A detailed execution; by default a COMPLETED run with start/end one minute apart."""
    created = created if created is not None else ms("2024-05-01T10:00:00")
    record: dict[str, Any] = {
        "id": execution_id or str(uuid.uuid4()),
        "workflowExternalId": workflow,
        "version": version,
        "status": status,
        "engineExecutionId": str(uuid.uuid4()),
        "createdTime": created,
        "workflowDefinition": {
            "hash": definition_hash or f"hash-{workflow}-{version}",
            "description": f"{workflow} v{version}",
            "tasks": definitions if definitions is not None else [task_definition("step-1")],
        },
        "executedTasks": tasks if tasks is not None else [],
    }
    if start is not None:
        record["startTime"] = start
    if end is not None:
        record["endTime"] = end
    if reason is not None:
        record["reasonForIncompletion"] = reason
    if metadata is not None:
        record["metadata"] = metadata
    if input is not None:
        record["input"] = input
    record.update(extra)
    return record


def synthetic_details(
    count: int, *, tasks_per_execution: int = 20, start: int | None = None, seed: int = 0
) -> list[dict[str, Any]]:
    """Many realistic executions, deterministic for a seed (for benchmarks and bulk tests)."""
    import random

    rng = random.Random(seed)
    base = start if start is not None else ms("2024-05-01T00:00:00")
    types = list(_OUTPUTS)
    out: list[dict[str, Any]] = []
    for n in range(count):
        created = base + n * 37_000
        begin = created + rng.randint(-5, 2_000)
        clock = begin
        tasks = []
        for k in range(tasks_per_execution):
            took = rng.randint(10, 5_000)
            tasks.append(
                task_execution(
                    f"task-{k}",
                    task_type=types[k % len(types)],
                    status="COMPLETED",
                    start=clock,
                    end=clock + took,
                    task_id=str(uuid.UUID(int=rng.getrandbits(128))),
                )
            )
            clock += took
        wf = f"wf-{n % 7}"
        out.append(
            execution(
                execution_id=str(uuid.UUID(int=rng.getrandbits(128))),
                workflow=wf,
                created=created,
                start=begin,
                end=clock,
                tasks=tasks,
                definitions=[task_definition(f"task-{k}") for k in range(tasks_per_execution)],
                metadata={"team": "ops"},
                input={"n": n},
            )
        )
    return out
