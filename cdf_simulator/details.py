"""An execution's detail (workflowDefinition + executedTasks) from its task plan
(:mod:`cdf_simulator.task_plan`). Rows are cut at the clock: tasks after "now" are SCHEDULED or not
shown yet, tasks spanning "now" are IN_PROGRESS.
"""

from __future__ import annotations

from typing import Any

from . import messages
from .ids import derived_uuid
from .rng import mix64
from .summary import (
    TERMINATED,
    Summary,
    input_for,
    metadata_for,
    status_at,
)
from .task_plan import JSON, Node, plan


def _resolved_input(node: Node, run_input: JSON) -> JSON:
    params = node.definition["parameters"]
    if node.type == "function":
        fn = dict(params["function"])
        data = fn.get("data")
        if isinstance(data, dict):
            fn["data"] = {
                k: (run_input["site"] if v == "${workflow.input.site}" else v)
                for k, v in data.items()
            }
        out: JSON = {"function": fn}
        if "isAsyncComplete" in params:
            out["isAsyncComplete"] = params["isAsyncComplete"]
        return out
    return params


def _output(node: Node, status: str, h: int, nodes: list[Node]) -> JSON:
    if status not in ("COMPLETED", "COMPLETED_WITH_ERRORS"):
        return {}
    t = node.type
    if t == "function":
        response: Any = {"processed": mix64(h ^ 31) % 50_000}
        if status == "COMPLETED_WITH_ERRORS":
            response = None
        dynamic_children = [
            nodes[c].definition
            for n in nodes
            if n.type == "dynamic"
            and n.definition["parameters"]["dynamic"]["tasks"].startswith(f"${{{node.xid}.")
            for c in n.children
        ]
        if dynamic_children:
            response = {"tasks": dynamic_children}
        return {
            "callId": 10**15 + mix64(h ^ 32) % 10**15,
            "functionId": 10**14 + mix64(h ^ 33) % 10**14,
            "response": response,
        }
    if t == "transformation":
        return {"jobId": 10**6 + mix64(h ^ 34) % 9_000_000}
    if t == "cdf":
        return {"statusCode": 200, "response": {"items": [], "nextCursor": None}}
    if t == "simulation":
        return {
            "runId": mix64(h ^ 35) % 10**12,
            "logId": mix64(h ^ 36) % 10**12,
            "statusMessage": "Success",
        }
    if t in ("dynamic", "subworkflow"):
        return {}
    return {"result": "ok", "callId": mix64(h ^ 37) % 10**9}  # unknown future type


def _row(
    seed: int,
    s: Summary,
    number: int,
    node: Node,
    status: str,
    run_input: JSON,
    nodes: list[Node],
    start: int | None,
    end: int | None,
    reason: str | None,
) -> JSON:
    row: JSON = {
        "id": derived_uuid(seed, s.key, number),
        "externalId": node.xid,
        "status": status,
        "taskType": node.type,
        "input": _resolved_input(node, run_input)
        if node.type != "dynamic"
        else {"dynamic": {"tasks": [nodes[c].definition for c in node.children]}},
        "output": _output(node, status, mix64(s.h ^ number), nodes),
    }
    if node.parent is not None:
        row["parentTaskExternalId"] = node.parent
    if start is not None:
        row["startTime"] = start
    if end is not None:
        row["endTime"] = end
    if reason is not None:
        row["reasonForIncompletion"] = reason
    return row


def executed_tasks(seed: int, s: Summary, now_ms: int) -> list[JSON]:
    if now_ms < s.start:
        return []  # still queued
    nodes = plan(seed, s)
    run_input = input_for(s)
    base = s.start
    elapsed = now_ms - base
    rows: list[JSON] = []
    number = 0
    started = {n.xid for n in nodes if n.status is not None and n.start <= elapsed}
    done_by_now = {i for i, n in enumerate(nodes) if n.status is not None and n.end <= elapsed}
    for node in nodes:
        if node.status is None:
            continue
        number += 1
        start, end = base + int(node.start), base + int(node.end)
        if node.status == "SKIPPED":
            if now_ms >= s.end:
                rows.append(
                    _row(seed, s, number, node, "SKIPPED", run_input, nodes, None, None, None)
                )
            continue
        if node.start > elapsed:
            parent_running = node.parent is not None and node.parent in started
            deps_done = all(d in done_by_now for d in node.deps)
            if deps_done and (parent_running or node.start - elapsed < 5_000):
                rows.append(
                    _row(seed, s, number, node, "SCHEDULED", run_input, nodes, None, None, None)
                )
            continue
        if node.end > elapsed:
            rows.append(
                _row(seed, s, number, node, "IN_PROGRESS", run_input, nodes, start, None, None)
            )
            continue
        retried_rows = s.workflow.retry_rows and node.definition.get("retries", 0) > 0
        if node.first_attempt > 0 and retried_rows:
            # One row per attempt: the failed attempt, then the successful retry.
            first_end = start + int(node.first_attempt * (node.end - node.start) / node.duration)
            rows.append(
                _row(
                    seed,
                    s,
                    number,
                    node,
                    "FAILED",
                    run_input,
                    nodes,
                    start,
                    first_end,
                    messages.function_error(mix64(s.h ^ number), node.xid),
                )
            )
            number += 1
            retry_start = first_end + 3_000
            rows.append(
                _row(
                    seed,
                    s,
                    number,
                    node,
                    node.status,
                    run_input,
                    nodes,
                    min(retry_start, end),
                    end,
                    node.reason,
                )
            )
            continue
        if node.status == "FAILED" and retried_rows:
            attempts = min(3, node.definition["retries"] + 1)
            span = (end - start) // attempts
            for a in range(attempts):
                a_start = start + a * span
                # Attempts are separated by a short back-off (a fifth of the slot, at most 1 s).
                a_end = end if a == attempts - 1 else a_start + span - min(1_000, span // 5)
                rows.append(
                    _row(
                        seed,
                        s,
                        number,
                        node,
                        "FAILED",
                        run_input,
                        nodes,
                        a_start,
                        a_end,
                        node.reason,
                    )
                )
                number += 1
            continue
        rows.append(
            _row(seed, s, number, node, node.status, run_input, nodes, start, end, node.reason)
        )
    return rows


def summary_json(s: Summary, execution_id: str, engine_id: str, now_ms: int) -> JSON:
    status = status_at(s, now_ms)
    out: JSON = {
        "id": execution_id,
        "workflowExternalId": s.workflow.external_id,
        "version": s.version.version,
        "status": status,
        "engineExecutionId": engine_id,
        "createdTime": s.created,
    }
    if now_ms >= s.start:
        out["startTime"] = s.start
    if status != "RUNNING":
        out["endTime"] = s.end
        if s.reason is not None:
            out["reasonForIncompletion"] = s.reason
    metadata = metadata_for(s)
    if metadata:
        out["metadata"] = metadata
    return out


def detail_json(seed: int, s: Summary, execution_id: str, engine_id: str, now_ms: int) -> JSON:
    out = summary_json(s, execution_id, engine_id, now_ms)
    out["workflowDefinition"] = s.version.definition_json()
    out["executedTasks"] = executed_tasks(seed, s, now_ms)
    out["input"] = input_for(s)
    return out


__all__ = ["TERMINATED", "detail_json", "executed_tasks", "plan", "summary_json"]
