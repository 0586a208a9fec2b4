"""reasonForIncompletion texts: realistic templates whose ids, numbers and quoted values vary."""

from __future__ import annotations

from datetime import UTC, datetime

from .rng import hash_ints

_TABLES = ("sap_staging.assets", "pi.tags", "maximo.workorders", "lab.samples", "staging.events")
_KEYS = ("asset_id", "externalId", "tag", "timestamp", "plant_code", "unit")
_HOSTS = ("sap-gw.internal.example.com", "pi-web.example.net", "api.maximo.example.org")
_USERS = ("ops@example.com", "svc-orchestrator", "jane.doe@example.com", "oncall-bot")
_CANCEL_WHY = (
    "superseded by a newer run",
    "manual stop during maintenance window",
    "input data was wrong",
    "stuck waiting on source system",
)


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def function_error(h: int, task_xid: str) -> str:
    call_id = 10**15 + hash_ints(h, 1) % 9 * 10**14 + hash_ints(h, 2) % 10**14
    variant = h % 4
    if variant == 0:
        table = _TABLES[hash_ints(h, 3) % len(_TABLES)]
        expected = 100 + hash_ints(h, 4) % 90_000
        return (
            f"Function call {call_id} failed: ValueError: expected {expected} rows from "
            f"'{table}', got {expected - 1 - hash_ints(h, 5) % expected}"
        )
    if variant == 1:
        key = _KEYS[hash_ints(h, 3) % len(_KEYS)]
        return f"Function 'fn-{task_xid}' call {call_id} raised KeyError: '{key}'"
    if variant == 2:
        host = _HOSTS[hash_ints(h, 3) % len(_HOSTS)]
        return (
            f"Function call {call_id} failed: ConnectionError: HTTPSConnectionPool(host='{host}', "
            f"port=443): Max retries exceeded with url: /api/v{1 + h % 3}/items"
        )
    mem = 1536 + 512 * (hash_ints(h, 3) % 4)
    seconds = hash_ints(h, 4) % 900
    return f"Function call {call_id} ran out of memory ({mem} MB limit) after {seconds} s"


def terminal_error(h: int, task_type: str, task_xid: str) -> str:
    if task_type == "transformation":
        job = 10**6 + hash_ints(h, 1) % 9_000_000
        row = hash_ints(h, 2) % 2_000_000
        return (
            f"Transformation job {job} failed: cannot cast column 'value' of type STRING to "
            f"DOUBLE at row {row}"
        )
    if task_type == "cdf":
        n = 1 + hash_ints(h, 1) % 40
        return (
            f"Request to CDF failed with status 400: {n} duplicate externalIds, first "
            f"'{task_xid}-{hash_ints(h, 2) % 100_000:05d}'"
        )
    if task_type == "simulation":
        run = hash_ints(h, 1) % 10**12
        return f"Simulation run {run} failed: routine 'routine-{task_xid}' has no active revision"
    return (
        f"Non-retryable error in '{task_xid}': 403 Forbidden: missing capability in data set "
        f"{1000 + hash_ints(h, 1) % 9000}"
    )


def task_timeout(timeout_s: int, task_xid: str) -> str:
    return f"Task '{task_xid}' timed out after {timeout_s} seconds"


def skipped_error(h: int, task_xid: str) -> str:
    return function_error(h, task_xid) + " (task continues: onFailure=skipTask)"


def cancelled(h: int, at_ms: int) -> str:
    user = _USERS[hash_ints(h, 1) % len(_USERS)]
    why = _CANCEL_WHY[hash_ints(h, 2) % len(_CANCEL_WHY)]
    return f'Execution cancelled by {user} at {_iso(at_ms)}: "{why}"'


def workflow_timeout() -> str:
    return "Workflow execution exceeded the maximum duration of 86400 seconds"


def task_failed(task_xid: str, message: str) -> str:
    return f"Task '{task_xid}' failed: {message}"
