"""Shared fixtures: small deterministic simulators, a live uvicorn server, an authorised client."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from cdf_simulator import Simulator, SimulatorConfig, run_server

# A fixed instant keeps every test independent of the real date.
NOW_MS = 1_750_000_000_000
PROJECT = "demo"
API = f"/api/v1/projects/{PROJECT}"


def small_config(**overrides: object) -> SimulatorConfig:
    values: dict[str, object] = {
        "seed": 7,
        "now_ms": NOW_MS,
        "workflows": 12,
        "executions_per_day": 30.0,
    }
    values.update(overrides)
    return SimulatorConfig(**values)  # type: ignore[arg-type]


def get_token(client: httpx.Client) -> str:
    response = client.post(
        "/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "x",
            "client_secret": "y",
            "scope": "sim/.default",
        },
    )
    response.raise_for_status()
    return response.json()["access_token"]


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
