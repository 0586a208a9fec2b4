"""Workflow triggers and their fire history (served once implemented; empty lists until then)."""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from .simulator import Simulator


def trigger_routes(sim: Simulator, api_route: Any) -> list[Route]:
    return []
