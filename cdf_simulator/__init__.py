"""A local, deterministic CDF Data Workflows API: executions, details, workflows, versions,
OAuth2 client-credentials tokens, a movable clock and seeded fault injection."""

from .app import create_app
from .clock import SimClock
from .config import FaultConfig, SimulatorConfig
from .server import run_server, serve
from .shapes import Shapes
from .simulator import Simulator
from .world import World

__all__ = [
    "FaultConfig",
    "Shapes",
    "SimClock",
    "Simulator",
    "SimulatorConfig",
    "World",
    "create_app",
    "run_server",
    "serve",
]
