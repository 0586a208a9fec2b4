"""Raw HTTP helpers for tests of the simulator's API: a fixed world, tokens, paging."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx

from cdf_simulator import Simulator, SimulatorConfig, create_app

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


async def token(client: httpx.AsyncClient) -> str:
    response = await client.post(
        "/oauth2/token",
        data={"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0
    return body["access_token"]


def make_client(sim: Simulator) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(sim)), base_url="http://sim"
    )


@contextlib.asynccontextmanager
async def authed(sim: Simulator) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(sim) as client:
        client.headers["Authorization"] = f"Bearer {await token(client)}"
        yield client


async def list_pages(
    client: httpx.AsyncClient, body_filter: dict[str, Any], limit: int
) -> list[list[dict]]:
    """Every page of the execution list, following nextCursor, in the order they came."""
    pages: list[list[dict]] = []
    cursor = None
    while True:
        body: dict[str, Any] = {"filter": body_filter, "limit": limit}
        if cursor:
            body["cursor"] = cursor
        response = await client.post(f"{API}/workflows/executions/list", json=body)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= limit
        pages.append(page["items"])
        cursor = page.get("nextCursor")
        if not cursor:
            return pages


async def list_all(
    client: httpx.AsyncClient, body_filter: dict[str, Any], limit: int
) -> list[dict]:
    return [item for page in await list_pages(client, body_filter, limit) for item in page]
