"""Shapes live CDF projects send that a tidy generator would not (see the published capture of a
live execution): applied to the rendered list items and details, deterministically.

Per workflow (so every run of it looks alike):

* ``dispatch_only``: its dynamic tasks only dispatch: they end some ms after they start, while
  their children run on afterwards (CDF then starts the dependents once the children are done).
* ``unlinked_children``: those children carry no ``parentTaskExternalId``.
* ``uuid_children``: children are named ``<name>_<uuid>``, a new name in every run.
* ``async_complete``: task inputs spell the flag ``asyncComplete`` instead of ``isAsyncComplete``.
* ``numeric_metadata``: metadata values that are numbers are sent as JSON numbers.
* ``latest_version``: ``version`` is sent as ``"latest"`` (as when a run asked for it).
* ``subworkflow_reference``: its subworkflow tasks name another workflow
  (``{"subworkflow": {"workflowExternalId", "version"}}``) instead of listing tasks inline; the
  executed children (that workflow's tasks) stay in ``executedTasks``.
* ``record_stream``: an ad-hoc workflow is triggered by a ``recordStream`` trigger instead of a
  ``dataModeling`` one (applied when the triggers are built, see ``cdf_simulator.trigger_fires``).

Per execution:

* ``start_skew``: ``startTime`` (and ``endTime`` with it) a few ms before ``createdTime`` (CDF's
  services do not share a clock); ``end_skew``: the last task ends a few ms after the
  execution's ``endTime``.
* ``over_metadata``: more metadata pairs than the documented 10; ``over_payload``: a task
  output over the documented 0.2 MB; ``over_task_limit``: a dynamic task fans out to more
  children than the documented 200 tasks per execution (off by default: big records).

Rates are probabilities; all zero (``Shapes.none()``) gives the generator's tidy shapes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import orjson

from .ids import derived_uuid
from .rng import hash_ints, unit

JSON = dict[str, Any]
_PAYLOAD_OVER = 209_715 + 1_024  # just over CDF's documented 0.2 MB per task payload
_OVER_TASKS = 201 + 12  # distinct tasks in an over-limit execution: past CDF's documented 200


@dataclass(frozen=True)
class Shapes:
    dispatch_only: float = 0.5
    unlinked_children: float = 0.5
    uuid_children: float = 0.5
    async_complete: float = 0.3
    numeric_metadata: float = 0.3
    latest_version: float = 0.0
    start_skew: float = 0.05
    end_skew: float = 0.03
    over_metadata: float = 0.002
    over_payload: float = 0.001
    subworkflow_reference: float = 0.2
    record_stream: float = 0.3
    over_task_limit: float = 0.0

    @classmethod
    def none(cls) -> Shapes:
        return cls(**{f.name: 0.0 for f in fields(cls)})

    def to_json(self) -> JSON:
        return asdict(self)


def _hit(rate: float, *values: int) -> bool:
    return rate > 0 and unit(hash_ints(*values)) < rate


def _tag(name: str) -> int:
    return sum(ord(c) << (i % 7) for i, c in enumerate(name))


class ShapeRenderer:
    def __init__(self, shapes: Shapes, seed: int) -> None:
        self.shapes = shapes
        self.seed = seed

    def workflow_has(self, name: str, workflow: int) -> bool:
        """Whether a per-workflow shape applies to this workflow (also used for triggers)."""
        return self._workflow(name, workflow)

    def _workflow(self, name: str, workflow: int) -> bool:
        return _hit(getattr(self.shapes, name), self.seed, workflow, _tag(name))

    def _execution(self, name: str, key: int) -> bool:
        return _hit(getattr(self.shapes, name), self.seed, key, _tag(name))

    def summary(self, item: JSON, workflow: int, key: int) -> JSON:
        """A list item (also the head of a detail), changed in place and returned."""
        if self._workflow("latest_version", workflow):
            item["version"] = "latest"
        start = item.get("startTime")
        if start is not None and self._execution("start_skew", key):
            # The whole run moves a few ms earlier, so its duration (a 24 h timeout included)
            # stays what CDF measured; its tasks then end a little after it.
            skew = item["createdTime"] - start + 1 + hash_ints(self.seed, key, 3) % 120
            item["startTime"] = start - skew
            if "endTime" in item:
                item["endTime"] -= skew
        metadata = item.get("metadata")
        if metadata and self._workflow("numeric_metadata", workflow):
            for k, v in metadata.items():
                digits = "".join(c for c in v if c.isdigit())
                if digits and k in ("costCenter", "batchId"):
                    metadata[k] = int(digits)
        if self._execution("over_metadata", key):
            extra = {f"extra{i}": str(i) for i in range(11 - len(metadata or {}))}
            item["metadata"] = {**(metadata or {}), **extra}
        return item

    def detail(self, detail: JSON, workflow: int, key: int) -> JSON:
        self.summary(detail, workflow, key)
        if self._workflow("subworkflow_reference", workflow):
            _subworkflow_by_reference(detail)
        rows: list[JSON] = detail.get("executedTasks") or []
        if not rows:
            return detail
        dynamic = {r["externalId"]: r for r in rows if r.get("taskType") == "dynamic"}
        if dynamic and self._execution("over_task_limit", key):
            self._fan_out(rows, dynamic, key)
        children = [r for r in rows if r.get("parentTaskExternalId") in dynamic]
        if dynamic and self._workflow("dispatch_only", workflow):
            self._dispatch_only(dynamic, children, key)
            if self._workflow("uuid_children", workflow):
                self._rename(rows, children, key)
            if self._workflow("unlinked_children", workflow):
                for child in children:
                    del child["parentTaskExternalId"]
        if self._workflow("async_complete", workflow):
            for row in rows:
                task_input = row.get("input")
                if isinstance(task_input, dict) and "isAsyncComplete" in task_input:
                    task_input["asyncComplete"] = task_input.pop("isAsyncComplete")
        end = detail.get("endTime")
        if end is not None and self._execution("end_skew", key):
            last = max(
                (r for r in rows if "endTime" in r), key=lambda r: r["endTime"], default=None
            )
            if last is not None and last["endTime"] <= end:
                last["endTime"] = end + 1 + hash_ints(self.seed, key, 5) % 40
        if self._execution("over_payload", key):
            rows[0]["output"] = {"blob": "x" * _PAYLOAD_OVER}
        return detail

    def _dispatch_only(self, dynamic: dict[str, JSON], children: list[JSON], key: int) -> None:
        for xid, row in dynamic.items():
            start = row.get("startTime")
            if start is None:
                continue
            mine = [
                c["startTime"]
                for c in children
                if c["parentTaskExternalId"] == xid and "startTime" in c
            ]
            took = 10 + hash_ints(self.seed, key, _tag(xid)) % 60
            end = min([start + took, *[s - 1 for s in mine]])
            if end >= start and (row.get("endTime") is None or end < row["endTime"]):
                row["endTime"] = end
                if row["status"] == "IN_PROGRESS":
                    row["status"] = "COMPLETED"

    def _rename(self, rows: list[JSON], children: list[JSON], key: int) -> None:
        names: dict[str, str] = {}
        for child in children:
            old = child["externalId"]
            if old not in names:
                base = old.rsplit("-batch-", 1)[0]
                names[old] = f"{base}_{derived_uuid(self.seed, key, _tag(old))}"
            child["externalId"] = names[old]
        for row in rows:
            # The dispatcher's input and its producer's output list the generated tasks too.
            for holder in (row.get("input"), (row.get("output") or {}).get("response")):
                tasks = holder.get("tasks") if isinstance(holder, dict) else None
                if isinstance(holder, dict) and isinstance(holder.get("dynamic"), dict):
                    tasks = holder["dynamic"].get("tasks")
                for task in tasks if isinstance(tasks, list) else []:
                    if isinstance(task, dict) and task.get("externalId") in names:
                        task["externalId"] = names[task["externalId"]]

    def _fan_out(self, rows: list[JSON], dynamic: dict[str, JSON], key: int) -> None:
        """More children for the first dynamic task that has any, past the 200-task limit: copies
        of its last child (same times: they ran side by side), with their own ids and names."""
        for xid, dispatcher in dynamic.items():
            mine = [r for r in rows if r.get("parentTaskExternalId") == xid]
            if not mine:
                continue
            template = mine[-1]
            base = template["externalId"].rsplit("-batch-", 1)[0]
            listed = (dispatcher.get("input") or {}).get("dynamic", {}).get("tasks")
            at = rows.index(template) + 1
            extra: list[JSON] = []
            for n in range(
                len(mine), len(mine) + _OVER_TASKS - len({r["externalId"] for r in rows})
            ):
                child = _copy(template)
                child["id"] = derived_uuid(self.seed, key, 0x10000 + n)
                child["externalId"] = f"{base}-batch-{n}"
                extra.append(child)
                if isinstance(listed, list) and listed and isinstance(listed[0], dict):
                    listed.append({**listed[0], "externalId": child["externalId"]})
            rows[at:at] = extra
            return


def _copy(value: JSON) -> JSON:
    return orjson.loads(orjson.dumps(value))


def _subworkflow_by_reference(detail: JSON) -> None:
    """Subworkflow tasks of the definition name a workflow instead of listing its tasks.

    The definition is shared with the catalog, so it is copied, never changed in place.
    """
    definition = detail.get("workflowDefinition")
    tasks = definition.get("tasks") if isinstance(definition, dict) else None
    if not isinstance(tasks, list) or not any(t.get("type") == "subworkflow" for t in tasks):
        return
    workflow = detail["workflowExternalId"]
    new_tasks = []
    for task in tasks:
        if task.get("type") == "subworkflow":
            reference = {"workflowExternalId": f"{workflow}-{task['externalId']}", "version": "1"}
            task = {**task, "parameters": {"subworkflow": reference}}
        new_tasks.append(task)
    detail["workflowDefinition"] = {**definition, "tasks": new_tasks}
    references = {
        t["externalId"]: t["parameters"] for t in new_tasks if t.get("type") == "subworkflow"
    }
    for row in detail.get("executedTasks") or []:
        if row.get("taskType") == "subworkflow" and row.get("externalId") in references:
            row["input"] = references[row["externalId"]]
