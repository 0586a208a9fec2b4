"""The plan of an execution's tasks, fitted to its summary.

Tasks get lognormal natural durations and run as their DAG allows; the whole timeline is then
scaled so that the run's terminal event (last task, failing task, cancellation) lands exactly on
the summary's end time (:func:`plan`). :mod:`cdf_simulator.details` turns the plan into the
rows and JSON the API sends.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from . import messages
from .definitions import LEAF_TYPES
from .rng import mix64, rng_for
from .summary import (
    COMPLETED,
    FAILED,
    FUNCTION_ERROR,
    SKIPPED_ERROR,
    TASK_TIMEOUT,
    TERMINATED,
    TIMED_OUT,
    Summary,
)

JSON = dict[str, Any]
MAX_ROWS = 200
_MEDIAN_MS = {
    "function": 20_000.0,
    "transformation": 60_000.0,
    "cdf": 1_500.0,
    "simulation": 90_000.0,
}
_UNKNOWN_MEDIAN_MS = 8_000.0


@dataclass
class Node:
    xid: str
    type: str
    definition: JSON
    deps: list[int]
    parent: str | None = None
    children: list[int] = field(default_factory=list)
    duration: float = 0.0  # natural duration of a leaf (all attempts)
    first_attempt: float = 0.0  # > 0 when one failed attempt preceded the successful one
    gap: float = 0.0  # scheduling latency before the node starts
    start: float = 0.0
    end: float = 0.0
    status: str | None = None
    reason: str | None = None


def _build_nodes(
    version_tasks: list[JSON], rng: random.Random
) -> tuple[list[Node], dict[str, int]]:
    nodes: list[Node] = []
    by_xid: dict[str, int] = {}
    top_index: dict[str, int] = {}
    for task in version_tasks:
        deps = [
            by_xid[d["externalId"]] for d in task.get("dependsOn", []) if d["externalId"] in by_xid
        ]
        node = Node(task["externalId"], task["type"], task, deps)
        idx = len(nodes)
        nodes.append(node)
        by_xid[node.xid] = idx
        top_index[node.xid] = idx
        if node.type == "dynamic":
            room = MAX_ROWS - len(version_tasks) - 8
            for c in range(max(1, min(rng.randint(2, 8), room))):
                kind = "function" if rng.random() < 0.8 else "transformation"
                cx = f"{node.xid}-batch-{c}"
                params: JSON = (
                    {
                        "function": {
                            "externalId": "fn-process-batch",
                            "data": {"batch": c, "of": node.xid},
                        }
                    }
                    if kind == "function"
                    else {
                        "transformation": {
                            "externalId": f"tr-batch-{c}",
                            "concurrencyPolicy": "fail",
                            "useTransformationCredentials": False,
                        }
                    }
                )
                child_def: JSON = {
                    "externalId": cx,
                    "type": kind,
                    "parameters": params,
                    "retries": 1,
                    "timeout": 3600,
                    "onFailure": "abortWorkflow",
                    "dependsOn": [],
                }
                nodes.append(Node(cx, kind, child_def, [], parent=node.xid))
                node.children.append(len(nodes) - 1)
        elif node.type == "subworkflow":
            local: dict[str, int] = {}
            for child in task["parameters"]["subworkflow"]["tasks"]:
                cdeps = [
                    local[d["externalId"]]
                    for d in child.get("dependsOn", [])
                    if d["externalId"] in local
                ]
                nodes.append(
                    Node(child["externalId"], child["type"], child, cdeps, parent=node.xid)
                )
                local[child["externalId"]] = len(nodes) - 1
                node.children.append(len(nodes) - 1)
    return nodes, top_index


def _natural_durations(nodes: list[Node], rng: random.Random, retry_allowed: bool) -> None:
    for node in nodes:
        node.gap = rng.uniform(150, 2_500)
        if node.type in ("dynamic", "subworkflow"):
            continue
        median = _MEDIAN_MS.get(node.type, _UNKNOWN_MEDIAN_MS)
        node.duration = rng.lognormvariate(0, 0.6) * median
        if retry_allowed and node.definition.get("retries", 0) > 0 and rng.random() < 0.06:
            node.first_attempt = rng.lognormvariate(0, 0.6) * median * 0.5
            node.duration += node.first_attempt + rng.uniform(2_000, 10_000)


def _layout(nodes: list[Node], scale: float, override: dict[int, float]) -> None:
    """Start/end offsets from the run's start; `override` fixes some nodes' durations (ms)."""
    for idx, node in enumerate(nodes):
        if node.parent is not None:
            continue  # children are laid out by their parent
        _place(nodes, idx, 0.0, scale, override)


def _place(
    nodes: list[Node], idx: int, origin: float, scale: float, override: dict[int, float]
) -> None:
    node = nodes[idx]
    ready = max((nodes[d].end for d in node.deps), default=origin)
    node.start = ready + node.gap * scale
    if node.children:
        for c in node.children:
            _place(nodes, c, node.start, scale, override)
        node.end = max(nodes[c].end for c in node.children) + 100 * scale
    else:
        node.end = node.start + node.duration * scale
    if idx in override:
        node.end = node.start + override[idx]


def _descendants(nodes: list[Node], root: int) -> set[int]:
    out: set[int] = set()
    changed = True
    while changed:
        changed = False
        for idx, node in enumerate(nodes):
            if idx in out or node.parent is not None:
                continue
            if any(d == root or d in out for d in node.deps):
                out.add(idx)
                for c in node.children:
                    out.add(c)
                changed = True
    return out


def _assign_final(nodes: list[Node], s: Summary, failing: int | None, term: float, h: int) -> None:
    skipped = _descendants(nodes, failing) if failing is not None else set()
    for idx, node in enumerate(nodes):
        if idx == failing:
            continue
        if idx in skipped:
            node.status = "SKIPPED"
        elif node.end <= term + 0.5:
            node.status = "COMPLETED"
        elif node.start < term:
            node.status, node.end = "CANCELED", term
        else:
            node.status = None  # never started
    if failing is None:
        return
    node = nodes[failing]
    node.end = term
    if s.status == TIMED_OUT:
        node.status, node.reason = "TIMED_OUT", s.reason
    elif s.failure == TASK_TIMEOUT:
        node.status, node.reason = (
            "TIMED_OUT",
            messages.task_timeout(node.definition["timeout"], node.xid),
        )
    elif s.failure == FUNCTION_ERROR:
        node.status = "FAILED"
        node.reason = messages.function_error(mix64(s.h ^ 8), node.xid)
    else:
        node.status = "FAILED_WITH_TERMINAL_ERROR"
        node.reason = messages.terminal_error(mix64(s.h ^ 8), node.type, node.xid)
    for other in nodes:  # a parent whose child was cut is cut too
        if other.status == "COMPLETED" and any(
            nodes[c].status == "CANCELED" for c in other.children
        ):
            other.status = "CANCELED"


def plan(seed: int, s: Summary) -> list[Node]:
    """Nodes with final statuses and offsets (ms from the run's start)."""
    rng = rng_for(seed, s.key, 0xDE7A)
    nodes, top_index = _build_nodes(s.version.tasks, rng)
    _natural_durations(nodes, rng, retry_allowed=s.status == COMPLETED)
    duration = float(s.end - s.start)
    failing: int | None = None
    if s.task_index is not None:
        failing = top_index[s.version.tasks[s.task_index]["externalId"]]
    if s.status == TIMED_OUT:
        leaves = [i for i, n in enumerate(nodes) if n.parent is None and n.type in LEAF_TYPES]
        failing = leaves[mix64(s.h ^ 11) % len(leaves)] if leaves else None
    override: dict[int, float] = {}
    _layout(nodes, 1.0, override)
    makespan = max(n.end for n in nodes)
    if s.status == FAILED and s.failure == TASK_TIMEOUT and failing is not None:
        timeout_ms = float(nodes[failing].definition["timeout"] * 1000)
        start_nat = nodes[failing].start
        scale = max(0.01, (duration - timeout_ms) / start_nat) if start_nat > 0 else 1.0
        override[failing] = timeout_ms
    elif s.status == FAILED and failing is not None:
        scale = duration / max(1.0, nodes[failing].end)
    elif s.status == TIMED_OUT and failing is not None:
        scale = min(1.0, duration / max(1.0, makespan))
        _layout(nodes, scale, {})
        override[failing] = max(1.0, duration - nodes[failing].start)
    elif s.status == TERMINATED:
        scale = duration / max(1.0, makespan * (0.2 + 0.6 * (mix64(s.h ^ 12) % 1000) / 1000))
    else:
        scale = duration / max(1.0, makespan)
    _layout(nodes, scale, override)
    if s.status == COMPLETED:
        for node in nodes:
            node.status = "COMPLETED"
        if s.failure == SKIPPED_ERROR and s.task_index is not None:
            node = nodes[failing] if failing is not None else None
            if node is not None:
                node.status = "COMPLETED_WITH_ERRORS"
                node.reason = messages.skipped_error(mix64(s.h ^ 13), node.xid)
    elif s.status in (FAILED, TIMED_OUT):
        _assign_final(nodes, s, failing, duration, s.h)
    else:  # TERMINATED
        _assign_final(nodes, s, None, duration, s.h)
    return nodes
