"""Configuration of a simulated CDF project: world size, clock, auth and faults."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from .shapes import Shapes

DAY_MS = 86_400_000
RETENTION_MS = 90 * DAY_MS  # CDF keeps execution history for three months


@dataclass
class FaultConfig:
    """Probabilities (0..1) per API request, plus fixed delays and a concurrency cap.

    Faults apply to the CDF API routes only; the token endpoint and the control endpoints are
    never faulted so that tests can always steer the simulator.
    """

    rate_429: float = 0.0
    retry_after_s: int = 1
    rate_500: float = 0.0
    rate_502: float = 0.0
    rate_503: float = 0.0
    rate_504: float = 0.0
    rate_drop: float = 0.0  # close the connection without a complete response
    rate_slow: float = 0.0
    slow_ms: int = 2_000
    latency_ms: int = 0  # added to every API request, with asyncio.sleep
    max_concurrent: int = 0  # in-flight API requests beyond this answer 429; 0 means no cap
    token_lifetime_s: int = 0  # when > 0, overrides SimulatorConfig.token_lifetime_s

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def updated(self, changes: dict[str, Any]) -> FaultConfig:
        """A copy with the given fields changed; unknown or ill-typed fields raise ValueError."""
        known = {f.name: f for f in fields(self)}
        values = asdict(self)
        for name, value in changes.items():
            if name not in known:
                raise ValueError(f"unknown fault setting {name!r}")
            expected = int if known[name].type in ("int", int) else float
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"fault setting {name!r} must be a number")
            if value < 0 or (expected is float and name.startswith("rate_") and value > 1):
                raise ValueError(f"fault setting {name!r} out of range")
            values[name] = expected(value)
        return FaultConfig(**values)


@dataclass
class SimulatorConfig:
    seed: int = 0
    project: str = "demo"
    # World size: number of workflows and the average number of executions created per day.
    workflows: int = 24
    executions_per_day: float = 40.0
    # The world spans [origin - history_days, origin + future_days] around the initial clock.
    history_days: int = 100
    future_days: int = 30
    # Days before the initial clock the project's runs begin (None: as the world begins). The
    # workflows, their versions and the triggers stay those of the whole span: the same project
    # with only its last days of runs, as a young warehouse of it holds.
    runs_from_days: int | None = None
    # Initial clock (epoch ms); None means the real current time rounded down to a minute.
    now_ms: int | None = None
    # Simulated milliseconds per real millisecond; 0 keeps the clock frozen between moves.
    clock_speed: float = 0.0
    faults: FaultConfig = field(default_factory=FaultConfig)
    token_lifetime_s: int = 3600
    # When both are set, only these client credentials get a token; otherwise any are accepted.
    client_id: str | None = None
    client_secret: str | None = None
    # CDF documents no order for the execution list: its pages walk createdTime oldest first
    # here, newest first with this set (items are shuffled within a page either way).
    list_newest_first: bool = False
    # Generated execution details kept in memory (terminal ones only: they no longer change).
    detail_cache_size: int = 4096
    # The odd shapes live projects send (see cdf_simulator.shapes); Shapes.none() for tidy ones.
    shapes: Shapes = field(default_factory=Shapes)
