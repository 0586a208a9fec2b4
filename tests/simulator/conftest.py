"""Shared fixtures: small deterministic simulators, a live uvicorn server, an authorised client."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from cdf_simulator import Simulator, run_server
from tests.support.simulator_api import get_token, small_config


@pytest.fixture(scope="module")
def live_sim() -> Simulator:
    return Simulator(small_config())


@pytest.fixture(scope="module")
def live_url(live_sim: Simulator) -> Iterator[str]:
    with run_server(live_sim) as base_url:
        yield base_url


@pytest.fixture
def client(live_url: str) -> Iterator[httpx.Client]:
    """A raw httpx client against the live server, already holding a token."""
    with httpx.Client(base_url=live_url, timeout=30) as c:
        c.headers["Authorization"] = f"Bearer {get_token(c)}"
        yield c
