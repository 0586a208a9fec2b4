"""Workflow definitions: DAGs of 3..40 tasks over every task type, and their version history."""

from __future__ import annotations

import hashlib
import random
from typing import Any

import orjson

JSON = dict[str, Any]

LEAF_TYPES = ("function", "transformation", "cdf", "simulation")
_TYPE_WEIGHTS = (
    ("function", 40),
    ("transformation", 25),
    ("cdf", 15),
    ("simulation", 5),
    ("dynamic", 6),
    ("subworkflow", 6),
)
_VERBS = (
    "extract",
    "load",
    "validate",
    "enrich",
    "aggregate",
    "publish",
    "sync",
    "clean",
    "compute",
    "reconcile",
    "map",
    "backfill",
    "score",
    "notify",
    "archive",
)
_NOUNS = (
    "assets",
    "workorders",
    "timeseries",
    "events",
    "files",
    "notifications",
    "sensors",
    "equipment",
    "alarms",
    "kpis",
    "relationships",
    "datapoints",
    "labels",
    "sequences",
)
_RESOURCE_PATHS = (
    ("/timeseries/data/list", "POST"),
    ("/assets/byids", "POST"),
    ("/events/list", "POST"),
    ("/raw/dbs/src/tables/staging/rows", "GET"),
    ("/files/list", "POST"),
    ("/sequences/upsert", "POST"),
)


def _task_xid(rng: random.Random, used: set[str]) -> str:
    while True:
        xid = f"{rng.choice(_VERBS)}-{rng.choice(_NOUNS)}"
        if xid in used:
            xid = f"{xid}-{rng.randint(2, 99)}"
        if xid not in used:
            used.add(xid)
            return xid


def _leaf_parameters(kind: str, xid: str, wf_xid: str, rng: random.Random) -> JSON:
    if kind == "function":
        return {
            "function": {
                "externalId": f"fn-{xid}",
                "data": {"site": "${workflow.input.site}", "mode": rng.choice(("full", "delta"))},
            },
            "isAsyncComplete": rng.random() < 0.1,
        }
    if kind == "transformation":
        return {
            "transformation": {
                "externalId": f"tr-{wf_xid}-{xid}",
                "concurrencyPolicy": rng.choice(("fail", "waitForCurrent", "restartAfterCurrent")),
                "useTransformationCredentials": rng.random() < 0.3,
            }
        }
    if kind == "cdf":
        path, method = rng.choice(_RESOURCE_PATHS)
        request: JSON = {
            "resourcePath": path,
            "method": method,
            "requestTimeoutInMillis": rng.choice((10_000, 30_000, 60_000)),
        }
        if method == "POST":
            request["body"] = {
                "limit": rng.choice((100, 1000)),
                "filter": {"dataSetIds": [{"id": 1}]},
            }
        else:
            request["queryParameters"] = {"limit": "1000"}
        return {"cdfRequest": request}
    if kind == "simulation":
        return {
            "simulation": {
                "routineExternalId": f"routine-{xid}",
                "inputs": [{"referenceId": "CWT", "value": round(rng.uniform(10, 90), 2)}],
            }
        }
    if kind == "functionApp":
        return {"functionApp": {"externalId": f"app-{xid}", "entrypoint": "run"}}
    raise ValueError(kind)


def _task(xid: str, kind: str, params: JSON, deps: list[str], rng: random.Random) -> JSON:
    task: JSON = {
        "externalId": xid,
        "type": kind,
        "name": xid.replace("-", " ").capitalize(),
        "parameters": params,
        "retries": rng.choice((0, 1, 2, 3, 3, 3, 5)),
        "timeout": rng.choice((600, 1800, 3600, 3600, 3600, 7200)),
        "onFailure": "skipTask" if rng.random() < 0.15 else "abortWorkflow",
        "dependsOn": [{"externalId": d} for d in deps],
    }
    if rng.random() < 0.4:
        task["description"] = f"{kind} step of the pipeline: {xid.replace('-', ' ')}"
    return task


def generate_tasks(wf_xid: str, rng: random.Random, required: tuple[str, ...]) -> list[JSON]:
    """A DAG in topological order; `required` task types are guaranteed to appear."""
    n = min(40, max(3, int(rng.lognormvariate(2.1, 0.55))))
    kinds = [
        rng.choices([k for k, _ in _TYPE_WEIGHTS], [w for _, w in _TYPE_WEIGHTS])[0]
        for _ in range(n)
    ]
    for i, req in enumerate(required):
        if req not in kinds:
            kinds[min(n - 1, 1 + i)] = req
    used: set[str] = set()
    tasks: list[JSON] = []
    for i, kind in enumerate(kinds):
        xid = _task_xid(rng, used)
        deps: list[str] = []
        if i > 0 and rng.random() < 0.85:
            deps.append(tasks[rng.randint(max(0, i - 3), i - 1)]["externalId"])
            if i > 2 and rng.random() < 0.25:
                other = tasks[rng.randint(0, i - 1)]["externalId"]
                if other not in deps:
                    deps.append(other)
        if kind == "dynamic":
            # The dynamic task's list comes from a planning function that runs first.
            planner = _task_xid(rng, used)
            tasks.append(
                _task(
                    planner,
                    "function",
                    _leaf_parameters("function", planner, wf_xid, rng),
                    deps,
                    rng,
                )
            )
            params: JSON = {"dynamic": {"tasks": f"${{{planner}.output.response.tasks}}"}}
            tasks.append(_task(xid, "dynamic", params, [planner], rng))
            continue
        if kind == "subworkflow":
            children: list[JSON] = []
            for c in range(rng.randint(2, 4)):
                cx = _task_xid(rng, used)
                ck = rng.choice(("function", "transformation", "cdf"))
                cdeps = [children[-1]["externalId"]] if c and rng.random() < 0.6 else []
                children.append(_task(cx, ck, _leaf_parameters(ck, cx, wf_xid, rng), cdeps, rng))
            tasks.append(_task(xid, "subworkflow", {"subworkflow": {"tasks": children}}, deps, rng))
            continue
        tasks.append(_task(xid, kind, _leaf_parameters(kind, xid, wf_xid, rng), deps, rng))
    return tasks[:40]


def next_version_tasks(
    wf_xid: str, tasks: list[JSON], rng: random.Random, add_unknown_type: bool
) -> list[JSON]:
    """The next version of a definition: tuned settings and one or two new tasks at the end."""
    new = orjson.loads(orjson.dumps(tasks))
    top = [t for t in new if t["type"] in LEAF_TYPES]
    if top:
        tuned = rng.choice(top)
        tuned["timeout"] = rng.choice((900, 2400, 5400))
        tuned["retries"] = rng.choice((1, 2, 4))
    used = {t["externalId"] for t in new}
    for t in new:
        if t["type"] == "subworkflow":
            used.update(c["externalId"] for c in t["parameters"]["subworkflow"]["tasks"])
    kinds = ["functionApp"] if add_unknown_type else []
    kinds += [rng.choice(("function", "transformation", "cdf"))]
    for kind in kinds:
        if len(new) >= 40:
            break
        xid = _task_xid(rng, used)
        new.append(
            _task(xid, kind, _leaf_parameters(kind, xid, wf_xid, rng), [new[-1]["externalId"]], rng)
        )
    return new


def definition_hash(tasks: list[JSON], description: str | None) -> str:
    canonical = orjson.dumps(
        {"tasks": tasks, "description": description}, option=orjson.OPT_SORT_KEYS
    )
    return hashlib.sha256(canonical).hexdigest()[:40].upper()
