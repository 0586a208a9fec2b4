"""A local, deterministic CDF Data Workflows API: executions, details, workflows, versions,
OAuth2 client-credentials tokens, a movable clock and seeded fault injection."""

from .app import create_app
from .clock import SimClock
from .config import FaultConfig, SimulatorConfig
from .shapes import Shapes
from .server import run_server, serve
from .simulator import Simulator
from .world import World

__all__ = [
    "FaultConfig",
    "SimClock",
    "Simulator",
    "Shapes",
    "SimulatorConfig",
    "World",
    "create_app",
    "run_server",
    "serve",
]
