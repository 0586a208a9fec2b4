"""The deterministic world: catalog + timeline, and the queries the API answers from it."""

from __future__ import annotations

import base64
import binascii
import random
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import orjson

from .catalog import HOUR_MS, Version, Workflow, build_catalog
from .config import DAY_MS, RETENTION_MS, SimulatorConfig
from .details import detail_json, summary_json
from .ids import IdCodec, derived_uuid
from .rng import hash_ints
from .shapes import ShapeRenderer
from .summary import MAX_LIFETIME_MS, Summary, final_outcome, status_at, summarize
from .timeline import (
    Timeline,
    key_member,
    key_slot,
    key_workflow,
    make_key,
    slot_created_ms,
    slot_lag_ms,
    workflow_fires,
)
from .trigger_fires import Trigger, build_triggers

# Trigger fire lists kept (per trigger and clock) for the pages that follow.
HISTORY_CACHE_TRIGGERS = 128
# Execution ids kept encoded: the fires of a 200,000-execution world's triggers (about 53,000)
# fit, at about 14 MB.
EXECUTION_ID_CACHE = 1 << 16

JSON = dict


class BadRequest(ValueError):
    """A request the real API would refuse with 400."""


@dataclass(frozen=True)
class ExecutionFilter:
    workflows: dict[int, frozenset[str] | None] | None = None  # index -> versions (None: any)
    created_start: int | None = None
    created_end: int | None = None
    statuses: frozenset[str] | None = None


def encode_cursor(parts: Iterable[int]) -> str:
    raw = ":".join(str(p) for p in parts).encode()
    return base64.urlsafe_b64encode(b"v1:" + raw).decode().rstrip("=")


def decode_cursor(cursor: str, n: int) -> list[int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        tag, *parts = raw.split(":")
        values = [int(p) for p in parts]
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise BadRequest("Invalid cursor") from exc
    if tag != "v1" or len(values) != n:
        raise BadRequest("Invalid cursor")
    return values


class World:
    def __init__(self, config: SimulatorConfig, origin_ms: int) -> None:
        self.config = config
        self.seed = config.seed
        self.start_ms = origin_ms - config.history_days * DAY_MS
        self.end_ms = origin_ms + config.future_days * DAY_MS
        # No execution before this instant (see SimulatorConfig.runs_from_days).
        self.runs_start_ms = self.start_ms
        if config.runs_from_days is not None:
            self.runs_start_ms = max(self.start_ms, origin_ms - config.runs_from_days * DAY_MS)
        self.workflows: list[Workflow] = build_catalog(config, self.start_ms, self.end_ms)
        self.by_external_id = {wf.external_id: wf for wf in self.workflows}
        self._shapes = ShapeRenderer(config.shapes, self.seed)
        self.triggers: dict[int, Trigger] = build_triggers(
            self.seed,
            self.workflows,
            self.start_ms,
            self.end_ms,
            lambda w: self._shapes.workflow_has("record_stream", w),
            created_ms=self.runs_start_ms,
        )
        self.triggers_by_external_id = {t.external_id: t for t in self.triggers.values()}
        self.timeline = Timeline.build(
            self.seed, self.workflows, self.runs_start_ms, self.end_ms, self.triggers
        )
        self._ids = IdCodec(self.seed)
        # Every page of a trigger's history names the execution of each fire, and a reader
        # takes every page of every trigger again each night: the same ids are encoded again
        # and again (four hash rounds each, in Python).
        self._encode_id = lru_cache(maxsize=EXECUTION_ID_CACHE)(self._ids.encode)
        self._detail_cache: OrderedDict[int, bytes] = OrderedDict()
        self._history_cache: OrderedDict[tuple[str, int], list[tuple[int, int, int]]] = (
            OrderedDict()
        )
        self._cache_size = config.detail_cache_size

    # -- single executions ---------------------------------------------------------------
    def summary_at(self, pos: int) -> Summary:
        key = self.timeline.keys[pos]
        return summarize(
            self.seed, self.workflows[key_workflow(key)], key, self.timeline.created[pos]
        )

    def execution_id(self, key: int) -> str:
        return self._encode_id(key)

    def engine_id(self, key: int) -> str:
        return derived_uuid(self.seed, key, 0xE9)

    def _created_of(self, key: int) -> int | None:
        w = key_workflow(key)
        if w >= len(self.workflows):
            return None
        wf = self.workflows[w]
        slot, member = key_slot(key), key_member(key)
        if wf.kind == "adhoc":
            h = hash_ints(self.seed, w, slot, 0xAD)
            return slot * HOUR_MS + hash_ints(h, member) % HOUR_MS
        return slot_created_ms(self.seed, wf, slot, self.triggers.get(w))

    def find(self, execution_id: str) -> int | None:
        """Timeline position of an id; raises MalformedId for a string that is not a UUID."""
        key = self._ids.decode(execution_id)
        if key is None:
            return None
        created = self._created_of(key)
        if created is None:
            return None
        return self.timeline.position_of(created, key)

    def visible(self, pos: int, now_ms: int) -> bool:
        created = self.timeline.created[pos]
        return now_ms - RETENTION_MS < created <= now_ms

    def summary_item(self, pos: int, now_ms: int) -> JSON:
        s = self.summary_at(pos)
        item = summary_json(s, self.execution_id(s.key), self.engine_id(s.key), now_ms)
        return self._shapes.summary(item, key_workflow(s.key), s.key)

    def detail_bytes(self, pos: int, now_ms: int) -> bytes:
        key = self.timeline.keys[pos]
        cached = self._detail_cache.get(key)
        if cached is not None:
            self._detail_cache.move_to_end(key)
            return cached
        s = self.summary_at(pos)
        detail = detail_json(self.seed, s, self.execution_id(key), self.engine_id(key), now_ms)
        body = orjson.dumps(self._shapes.detail(detail, key_workflow(key), key))
        if now_ms >= s.end and self._cache_size > 0:
            # Terminal executions never change again, so their rendering can be reused.
            self._detail_cache[key] = body
            if len(self._detail_cache) > self._cache_size:
                self._detail_cache.popitem(last=False)
        return body

    # -- lists ---------------------------------------------------------------------------
    def resolve_workflow_filters(
        self, filters: list[dict] | None
    ) -> dict[int, frozenset[str] | None] | None:
        if filters is None:
            return None
        out: dict[int, frozenset[str] | None] = {}
        for f in filters:
            if not isinstance(f, dict) or not isinstance(f.get("externalId"), str):
                raise BadRequest("workflowFilters items need an externalId")
            wf = self.by_external_id.get(f["externalId"])
            if wf is None:
                continue
            version = f.get("version")
            if version is None:
                out[wf.index] = None
            elif wf.index not in out or out[wf.index] is not None:
                out[wf.index] = (out.get(wf.index) or frozenset()) | {str(version)}
        return out

    def _status_of(self, pos: int, now_ms: int) -> str:
        created = self.timeline.created[pos]
        key = self.timeline.keys[pos]
        wf = self.workflows[key_workflow(key)]
        if created < now_ms - MAX_LIFETIME_MS:
            s_status = final_outcome(self.seed, wf, key)
            if s_status != "FAILED" or wf.version_at(created).abort_leaves:
                return s_status
        return status_at(summarize(self.seed, wf, key, created), now_ms)

    def list_executions(
        self, flt: ExecutionFilter, limit: int, cursor: str | None, now_ms: int
    ) -> tuple[list[JSON], str | None]:
        lo = now_ms - RETENTION_MS + 1
        hi = now_ms
        if flt.created_start is not None:
            lo = max(lo, flt.created_start)
        if flt.created_end is not None:
            hi = min(hi, flt.created_end)
        tl = self.timeline
        first, end = tl.first_at_or_after(lo), tl.first_after(hi)
        # Positions in walking order: [pos, end) oldest first, or down from pos to first.
        step = -1 if self.config.list_newest_first else 1
        pos = end - 1 if step < 0 else first
        if cursor is not None:
            c_created, c_key = decode_cursor(cursor, 2)
            after = tl.position_after(c_created, c_key)  # the cursor's item is just before it
            pos = min(pos, after - 2) if step < 0 else max(pos, after)
        wanted = flt.workflows
        positions: list[int] = []
        created_arr, keys = tl.created, tl.keys
        while first <= pos < end and len(positions) < limit:
            here, pos = pos, pos + step
            key = keys[here]
            if wanted is not None:
                w = key >> 48
                if w not in wanted:
                    continue
                versions = wanted[w]
                if (
                    versions is not None
                    and self.workflows[w].version_at(created_arr[here]).version not in versions
                ):
                    continue
            if flt.statuses is not None and self._status_of(here, now_ms) not in flt.statuses:
                continue
            positions.append(here)
        next_cursor = None
        if len(positions) == limit and first <= pos < end:
            last = positions[-1]
            next_cursor = encode_cursor((created_arr[last], keys[last]))
        items = [self.summary_item(p, now_ms) for p in positions]
        # The API does not document an order: shuffle each page so clients cannot rely on one.
        random.Random(hash_ints(self.seed, positions[0] if positions else 0, limit)).shuffle(items)
        return items, next_cursor

    def list_workflows(
        self, limit: int, cursor: str | None, now_ms: int
    ) -> tuple[list[JSON], str | None]:
        visible = [wf for wf in self.workflows if wf.created_time <= now_ms]
        offset = decode_cursor(cursor, 1)[0] if cursor else 0
        page = visible[offset : offset + limit]
        nxt = encode_cursor((offset + limit,)) if offset + limit < len(visible) else None
        return [wf.to_json() for wf in page], nxt

    def list_versions(
        self,
        workflows: dict[int, frozenset[str] | None] | None,
        limit: int,
        cursor: str | None,
        now_ms: int,
    ) -> tuple[list[JSON], str | None]:
        rows: list[tuple[Workflow, Version]] = []
        for wf in self.workflows:
            if workflows is not None and wf.index not in workflows:
                continue
            allowed = workflows.get(wf.index) if workflows is not None else None
            for v in wf.versions:
                if v.created_time <= now_ms and (allowed is None or v.version in allowed):
                    rows.append((wf, v))
        offset = decode_cursor(cursor, 1)[0] if cursor else 0
        page = rows[offset : offset + limit]
        nxt = encode_cursor((offset + limit,)) if offset + limit < len(rows) else None
        items = [
            {
                "workflowExternalId": wf.external_id,
                "version": v.version,
                "workflowDefinition": v.definition_json(),
                "createdTime": v.created_time,
                "lastUpdatedTime": v.created_time,
            }
            for wf, v in page
        ]
        return items, nxt

    def count_visible(self, now_ms: int) -> int:
        tl = self.timeline
        return tl.first_after(now_ms) - tl.first_at_or_after(now_ms - RETENTION_MS + 1)

    # -- triggers ------------------------------------------------------------------------
    def list_triggers(
        self, limit: int, cursor: str | None, now_ms: int
    ) -> tuple[list[JSON], str | None]:
        visible = sorted(
            (t for t in self.triggers.values() if t.created_time <= now_ms),
            key=lambda t: t.external_id,
        )
        offset = decode_cursor(cursor, 1)[0] if cursor else 0
        page = visible[offset : offset + limit]
        nxt = encode_cursor((offset + limit,)) if offset + limit < len(visible) else None
        return [t.to_json(now_ms) for t in page], nxt

    def _trigger_fires(self, t: Trigger, lo_ms: int, hi_ms: int) -> list[tuple[int, int, int]]:
        """(fireTime, slot, member) of every fire (failed ones too) with lo < fireTime <= hi."""
        wf = t.workflow
        out: list[tuple[int, int, int]] = []
        if t.trigger_type != "schedule":
            for created, slot, neg_member in workflow_fires(self.seed, wf, lo_ms, hi_ms + 1):
                if lo_ms < created and not t.paused_at(created):
                    out.append((created, slot, -neg_member - 1))
            return out
        for slot in t.slot_range(lo_ms, hi_ms + 1):
            scheduled = t.slot_time(slot)
            outside_hours = (
                wf.period_ms < DAY_MS
                and wf.active_hours < 24
                and ((scheduled // HOUR_MS) % 24 - wf.first_hour) % 24 >= wf.active_hours
            )
            if outside_hours or t.paused_at(scheduled):
                continue
            # The fire comes first, the execution's createdTime a little after it.
            fire = scheduled + t.fire_lag_ms(self.seed, slot, slot_lag_ms(self.seed, wf, slot) // 2)
            if lo_ms < fire <= hi_ms:
                out.append((fire, slot, 0))
        return out

    def trigger_history(
        self, external_id: str, limit: int, cursor: str | None, now_ms: int
    ) -> tuple[list[JSON], str | None] | None:
        """A trigger's fires in the retention window, newest first; None for an unknown one."""
        t = self.triggers_by_external_id.get(external_id)
        if t is None or t.created_time > now_ms:
            return None
        fires = self._history(t, now_ms)
        start = 0
        if cursor is not None:
            after = tuple(decode_cursor(cursor, 3))
            start = next((i for i, f in enumerate(fires) if f < after), len(fires))
        page = fires[start : start + limit]
        nxt = encode_cursor(page[-1]) if start + limit < len(fires) else None
        return [self._history_item(t, *fire) for fire in page], nxt

    def _history(self, t: Trigger, now_ms: int) -> list[tuple[int, int, int]]:
        """Every fire of ``t`` in the retention window at ``now_ms``, newest first.

        Kept for the pages that follow and for the next reader at the same clock: the window is
        derived for a trigger's first page, as a server would read it from its store once, not
        again for every page. (With a running clock every request has its own ``now_ms``, and
        each page derives it again, as before.)"""
        key = (t.external_id, now_ms)
        cached = self._history_cache.get(key)
        if cached is not None:
            self._history_cache.move_to_end(key)
            return cached
        # Nothing fired before the world began: its executions start there too.
        lo = max(now_ms - RETENTION_MS, self.runs_start_ms - 1)
        fires = sorted(self._trigger_fires(t, lo, now_ms), reverse=True)
        self._history_cache[key] = fires
        if len(self._history_cache) > HISTORY_CACHE_TRIGGERS:
            self._history_cache.popitem(last=False)
        return fires

    def _history_item(self, t: Trigger, fire: int, slot: int, member: int) -> JSON:
        scheduled = t.slot_time(slot) if t.trigger_type == "schedule" else fire
        item: JSON = {
            "externalId": t.external_id,
            "fireTime": fire,
            "workflowExternalId": t.workflow.external_id,
            "workflowVersion": t.version_at(fire),
        }
        reason = t.failure(self.seed, slot, member, scheduled)
        if reason is None:
            item["status"] = "success"
            item["workflowExecutionId"] = self.execution_id(
                make_key(t.workflow.index, slot, member)
            )
        else:
            item["status"] = "failed"
            item["reasonForFailure"] = reason
        return item
