"""The compact timeline: every execution's createdTime and key, sorted, in two flat arrays.

An execution key packs (workflow index, schedule slot, member within the slot) into 64 bits:
    key = workflow << 48 | slot << 16 | member
Everything else about an execution is derived from (seed, key) on demand, so the timeline costs
16 bytes per execution.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Mapping

from .catalog import HOUR_MS, Workflow
from .config import DAY_MS
from .rng import hash_ints, unit
from .trigger_fires import Trigger

SLOT_BITS = 32
MEMBER_BITS = 16


def make_key(workflow: int, slot: int, member: int) -> int:
    return (workflow << 48) | (slot << MEMBER_BITS) | member


def key_workflow(key: int) -> int:
    return key >> 48


def key_slot(key: int) -> int:
    return (key >> MEMBER_BITS) & ((1 << SLOT_BITS) - 1)


def key_member(key: int) -> int:
    return key & ((1 << MEMBER_BITS) - 1)


def _poisson(lam: float, u: float) -> int:
    """Inverse-CDF Poisson draw; the rates used here are small."""
    k, p = 0, math.exp(-lam)
    cumulative = p
    while u > cumulative and k < 1000:
        k += 1
        p *= lam / k
        cumulative += p
    return k


def _fanout(wf: Workflow, h: int) -> int:
    if wf.kind == "burst":
        top = max(2, round(wf.fanout_mean * 2) - 2)
        return 2 + int(unit(h) * (top - 1))
    if wf.fanout_mean <= 1.0:
        return 1
    return max(1, round(wf.fanout_mean * (0.5 + unit(h))))


def workflow_fires(
    seed: int, wf: Workflow, lo_ms: int, hi_ms: int, trigger: Trigger | None = None
) -> Iterator[tuple[int, int, int]]:
    """(createdTime, slot, fanout) of every fire of a workflow with createdTime in [lo, hi).

    With a trigger, slots it did not fire (paused) or whose fire failed have no execution, and
    the slot instants follow the trigger's schedule (local wall clock for daily ones).
    """
    if trigger is not None and wf.kind != "adhoc":
        yield from _triggered_fires(seed, wf, lo_ms, hi_ms, trigger)
        return
    if wf.kind == "adhoc":
        lam = wf.adhoc_per_hour
        for slot in range(lo_ms // HOUR_MS, hi_ms // HOUR_MS + 1):
            h = hash_ints(seed, wf.index, slot, 0xAD)
            count = _poisson(lam, unit(h))
            for member in range(count):
                created = slot * HOUR_MS + hash_ints(h, member) % HOUR_MS
                if lo_ms <= created < hi_ms and (
                    trigger is None or trigger.fires(seed, slot, member, created)
                ):
                    # Ad-hoc runs are separate events: each is its own member with fanout 1.
                    yield created, slot, -(member + 1)
        return
    period = wf.period_ms
    first = max(0, (lo_ms - wf.phase_ms - 2_000) // period)
    last = (hi_ms - wf.phase_ms) // period + 1
    window_start = wf.first_hour
    for slot in range(first, last + 1):
        fire = slot * period + wf.phase_ms
        if period < DAY_MS and wf.active_hours < 24:
            hour = (fire // HOUR_MS) % 24
            if (hour - window_start) % 24 >= wf.active_hours:
                continue
        h = hash_ints(seed, wf.index, slot)
        created = fire + (h >> 20) % 1_500  # trigger latency; a burst shares one createdTime
        if lo_ms <= created < hi_ms:
            yield created, slot, _fanout(wf, h)


def slot_lag_ms(seed: int, wf: Workflow, slot: int) -> int:
    """Trigger latency from a slot's instant to createdTime; a burst shares one createdTime."""
    return (hash_ints(seed, wf.index, slot) >> 20) % 1_500


def slot_created_ms(seed: int, wf: Workflow, slot: int, trigger: Trigger | None) -> int:
    """createdTime of the executions of a scheduled slot."""
    if trigger is None:
        return slot * wf.period_ms + wf.phase_ms + slot_lag_ms(seed, wf, slot)
    return trigger.slot_time(slot) + trigger.fire_lag_ms(seed, slot, slot_lag_ms(seed, wf, slot))


def _triggered_fires(
    seed: int, wf: Workflow, lo_ms: int, hi_ms: int, trigger: Trigger
) -> Iterator[tuple[int, int, int]]:
    for slot in trigger.slot_range(lo_ms, hi_ms):
        scheduled = trigger.slot_time(slot)
        if wf.period_ms < DAY_MS and wf.active_hours < 24:
            hour = (scheduled // HOUR_MS) % 24
            if (hour - wf.first_hour) % 24 >= wf.active_hours:
                continue
        created = scheduled + trigger.fire_lag_ms(seed, slot, slot_lag_ms(seed, wf, slot))
        if lo_ms <= created < hi_ms and trigger.fires(seed, slot, 0, scheduled):
            yield created, slot, _fanout(wf, hash_ints(seed, wf.index, slot))


class Timeline:
    """Sorted (createdTime, key) pairs; positions are stable for the life of the world."""

    def __init__(self, created: array, keys: array) -> None:
        self.created = created
        self.keys = keys

    @classmethod
    def build(
        cls,
        seed: int,
        workflows: list[Workflow],
        lo_ms: int,
        hi_ms: int,
        triggers: Mapping[int, Trigger] | None = None,
    ) -> Timeline:
        packed: list[int] = []
        append = packed.append
        triggers = triggers or {}
        for wf in workflows:
            trigger = triggers.get(wf.index)
            for created, slot, fanout in workflow_fires(seed, wf, lo_ms, hi_ms, trigger):
                if fanout < 0:  # an ad-hoc event, member number encoded as -(member + 1)
                    append((created << 64) | make_key(wf.index, slot, -fanout - 1))
                    continue
                base = (created << 64) | make_key(wf.index, slot, 0)
                for member in range(min(fanout, 1 << MEMBER_BITS)):
                    append(base | member)
        packed.sort()
        mask = (1 << 64) - 1
        created_arr = array("q", [p >> 64 for p in packed])
        keys_arr = array("Q", [p & mask for p in packed])
        return cls(created_arr, keys_arr)

    def __len__(self) -> int:
        return len(self.created)

    def first_at_or_after(self, created_ms: int) -> int:
        return bisect_left(self.created, created_ms)

    def first_after(self, created_ms: int) -> int:
        return bisect_right(self.created, created_ms)

    def position_of(self, created_ms: int, key: int) -> int | None:
        pos = bisect_left(self.created, created_ms)
        n = len(self.created)
        while pos < n and self.created[pos] == created_ms:
            if self.keys[pos] == key:
                return pos
            pos += 1
        return None

    def position_after(self, created_ms: int, key: int) -> int:
        """First position strictly after (createdTime, key) in (createdTime, key) order."""
        pos = bisect_left(self.created, created_ms)
        n = len(self.created)
        while pos < n and self.created[pos] == created_ms and self.keys[pos] <= key:
            pos += 1
        return pos

    def memory_bytes(self) -> int:
        return self.created.itemsize * len(self.created) + self.keys.itemsize * len(self.keys)
