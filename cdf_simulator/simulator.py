"""The Simulator: one simulated CDF project (world, clock, faults, tokens, counters)."""

from __future__ import annotations

from .auth import TokenStore
from .clock import SimClock
from .config import FaultConfig, SimulatorConfig
from .faults import FaultInjector
from .injected import InjectedRecords
from .stats import RequestStats
from .world import World


class Simulator:
    def __init__(self, config: SimulatorConfig | None = None) -> None:
        self.config = config or SimulatorConfig()
        self.clock = SimClock(self.config.now_ms, self.config.clock_speed)
        # The world is laid out around the initial clock; moving the clock later changes what
        # is visible, never what exists.
        self.world = World(self.config, self.clock.now_ms())
        self.faults = FaultInjector(self.config.faults, self.config.seed)
        self.tokens = TokenStore()
        self.stats = RequestStats()
        # Records served as given, besides the world (see cdf_simulator.injected).
        self.injected = InjectedRecords()

    @property
    def project(self) -> str:
        return self.config.project

    @property
    def fault_config(self) -> FaultConfig:
        return self.faults.config

    def set_faults(self, config: FaultConfig) -> None:
        self.faults.configure(config)

    def token_lifetime_s(self) -> int:
        override = self.faults.config.token_lifetime_s
        return override if override > 0 else self.config.token_lifetime_s

    def accepts(self, client_id: str | None, client_secret: str | None) -> bool:
        if self.config.client_id is None or self.config.client_secret is None:
            return True
        return client_id == self.config.client_id and client_secret == self.config.client_secret

    # Counters as plain attributes for in-process tests.
    @property
    def requests_by_kind(self) -> dict[str, int]:
        return dict(self.stats.requests_by_kind)

    @property
    def responses_by_status(self) -> dict[int, int]:
        return dict(self.stats.responses_by_status)

    @property
    def faults_injected(self) -> dict[str, int]:
        return dict(self.stats.faults)
