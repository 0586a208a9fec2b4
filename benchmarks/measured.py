"""One contender's measured run, and the simulator's conditions every run shares."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

LATENCY_MS = 40
MAX_CONCURRENT = 16
MIB = 1024 * 1024


@dataclass
class Measured:
    """One contender's run against the simulator."""

    name: str
    wall_s: float
    executions: int
    task_rows: int
    requests: dict[str, int]
    throttled_429: int
    peak_rss_mib: float
    cpu_s: float
    simulator_cpu_s: float
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def executions_per_s(self) -> float:
        return self.executions / self.wall_s if self.wall_s else math.nan

    @property
    def task_rows_per_s(self) -> float:
        return self.task_rows / self.wall_s if self.wall_s else math.nan
