"""An execution's summary (what the list endpoint shows), derived cheaply from (seed, key).

The summary fixes the execution's start, end, final status and reason; the detail generator then
fits the task timeline to it, so list and detail always agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import messages
from .catalog import HOUR_MS, Version, Workflow
from .rng import hash_ints, lognormal, mix64, unit
from .timeline import key_member

DAY_MS = 86_400_000
MAX_QUEUE_MS = 6 * HOUR_MS
MAX_RUN_MS = DAY_MS
# Upper bound of end - createdTime: only executions younger than this can still be RUNNING.
MAX_LIFETIME_MS = MAX_QUEUE_MS + MAX_RUN_MS + 60_000

COMPLETED, FAILED, TIMED_OUT, TERMINATED = "COMPLETED", "FAILED", "TIMED_OUT", "TERMINATED"
# Failure kinds of FAILED executions (and COMPLETED ones with a skipped error).
FUNCTION_ERROR, TASK_TIMEOUT, TERMINAL_ERROR, SKIPPED_ERROR = (
    "function",
    "timeout",
    "terminal",
    "skip",
)


@dataclass(frozen=True, slots=True)
class Summary:
    key: int
    created: int
    workflow: Workflow
    version: Version
    start: int
    end: int
    status: str  # final status
    failure: str | None
    task_index: int | None  # top-level task that fails (or ends with errors)
    reason: str | None
    h: int  # per-execution hash seeding everything else about it


def final_outcome(seed: int, wf: Workflow, key: int) -> str:
    """The final status alone: the cheap path for status filters over old executions."""
    u = unit(mix64(hash_ints(seed, key) ^ 0x0C))
    if u < wf.p_timeout:
        return TIMED_OUT
    if u < wf.p_timeout + wf.p_cancel:
        return TERMINATED
    if u < wf.p_timeout + wf.p_cancel + wf.p_fail:
        return FAILED
    return COMPLETED


def summarize(seed: int, wf: Workflow, key: int, created: int) -> Summary:
    h = hash_ints(seed, key)
    version = wf.version_at(created)
    status = final_outcome(seed, wf, key)
    member = key_member(key)
    queue = 0
    if wf.kind != "adhoc" and wf.max_concurrent and member >= wf.max_concurrent:
        # Members of a burst beyond the concurrency limit wait for earlier waves to finish.
        wave = member // wf.max_concurrent
        queue = min(
            MAX_QUEUE_MS, int(wave * wf.duration_median_ms * (0.7 + 0.6 * unit(mix64(h ^ 1))))
        )
    u_start = unit(mix64(h ^ 2))
    if queue == 0 and u_start < 0.03:
        start = created - 1 - mix64(h ^ 3) % 15  # the engine's clock runs slightly ahead
    else:
        start = created + 40 + mix64(h ^ 3) % 2_500 + queue
    duration = min(
        MAX_RUN_MS - 3_600_000, lognormal(wf.duration_median_ms, wf.duration_sigma, mix64(h ^ 4))
    )
    frac = 0.1 + 0.8 * unit(mix64(h ^ 5))
    failure: str | None = None
    task_index: int | None = None
    reason: str | None = None
    tasks = version.tasks
    if status == FAILED and not version.abort_leaves:
        status = TERMINATED  # nothing can abort this definition: model it as a cancellation
    if status == FAILED:
        u_kind = unit(mix64(h ^ 6))
        leaves = version.abort_leaves
        if u_kind < 0.5:
            functions = [i for i in leaves if tasks[i]["type"] == "function"]
            failure, pool = FUNCTION_ERROR, functions or leaves
        elif u_kind < 0.7:
            failure, pool = TASK_TIMEOUT, leaves
        else:
            failure, pool = TERMINAL_ERROR, leaves
        task_index = pool[mix64(h ^ 7) % len(pool)]
        task = tasks[task_index]
        xid = task["externalId"]
        if failure == TASK_TIMEOUT:
            duration = duration * frac + task["timeout"] * 1000
            reason = messages.task_timeout(task["timeout"], xid)
        else:
            duration *= frac
            if failure == FUNCTION_ERROR and task["type"] == "function":
                reason = messages.task_failed(xid, messages.function_error(mix64(h ^ 8), xid))
            else:
                failure = TERMINAL_ERROR
                reason = messages.task_failed(
                    xid, messages.terminal_error(mix64(h ^ 8), task["type"], xid)
                )
    elif status == TERMINATED:
        duration *= frac
    elif status == TIMED_OUT:
        duration = MAX_RUN_MS
        reason = messages.workflow_timeout()
    elif version.skip_leaves and unit(mix64(h ^ 9)) < 0.15:
        failure = SKIPPED_ERROR
        task_index = version.skip_leaves[mix64(h ^ 7) % len(version.skip_leaves)]
    duration = max(1_000, int(duration))
    end = start + duration
    if status == TERMINATED:
        reason = messages.cancelled(mix64(h ^ 10), end)
    return Summary(key, created, wf, version, start, end, status, failure, task_index, reason, h)


def status_at(summary: Summary, now_ms: int) -> str:
    return "RUNNING" if now_ms < summary.end else summary.status


def metadata_for(summary: Summary) -> dict[str, str] | None:
    keys = summary.workflow.metadata_keys
    if not keys:
        return None
    h = summary.h
    values = {
        "site": f"site-{mix64(h ^ 20) % 40:02d}",
        "triggeredBy": "schedule" if summary.workflow.kind != "adhoc" else "api",
        "owner": "data-platform-team",
        "batchId": f"b-{mix64(h ^ 21) % 10**9:09d}",
        "region": ("eu-west", "us-east", "ap-south")[mix64(h ^ 22) % 3],
        "costCenter": f"CC{mix64(h ^ 23) % 9000 + 1000}",
        "pipeline": summary.workflow.external_id[:255],
        "runReason": "scheduled run" if summary.workflow.kind != "adhoc" else "manual backfill",
    }
    return {k[:32]: values[k][:255] for k in keys[:10]}


def input_for(summary: Summary) -> dict[str, Any]:
    h = summary.h
    return {
        "site": f"site-{mix64(h ^ 20) % 40:02d}",
        "window": {"startTime": summary.created - HOUR_MS, "endTime": summary.created},
        "batchSize": (100, 500, 1000, 5000)[mix64(h ^ 24) % 4],
        "dryRun": False,
    }
