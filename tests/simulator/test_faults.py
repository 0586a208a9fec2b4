"""Each fault kind, observed by a raw httpx client against a real uvicorn server."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator

import httpx
import pytest

from cdf_simulator import FaultConfig, Simulator, create_app, run_server
from cdf_simulator.faults import FaultInjector
from tests.support.simulator_api import API, get_token, small_config

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def faulty() -> Iterator[tuple[Simulator, str]]:
    sim = Simulator(small_config())
    with run_server(sim) as url:
        yield sim, url


@contextlib.contextmanager
def _client(url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=30) as client:
        client.headers["Authorization"] = f"Bearer {get_token(client)}"
        yield client


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_error_statuses(faulty: tuple[Simulator, str], status: int) -> None:
    sim, url = faulty
    sim.set_faults(FaultConfig(**{f"rate_{status}": 1.0, "retry_after_s": 3}))
    try:
        with _client(url) as client:
            r = client.get(f"{API}/workflows")
            assert r.status_code == status
            assert r.json()["error"]["code"] == status
            assert r.headers["x-request-id"]
            if status == 429:
                assert r.headers["retry-after"] == "3"
    finally:
        sim.set_faults(FaultConfig())
    assert sim.faults_injected[str(status)] >= 1


def test_dropped_connection_is_a_transport_error(faulty: tuple[Simulator, str]) -> None:
    sim, url = faulty
    with _client(url) as client:
        sim.set_faults(FaultConfig(rate_drop=1.0))
        try:
            with pytest.raises(httpx.TransportError):
                client.get(f"{API}/workflows")
        finally:
            sim.set_faults(FaultConfig())
        assert client.get(f"{API}/workflows").status_code == 200


def test_dropped_connection_in_process_is_a_transport_error() -> None:
    sim = Simulator(small_config(faults=FaultConfig(rate_drop=1.0)))

    async def go() -> None:
        transport = httpx.ASGITransport(app=create_app(sim))
        async with httpx.AsyncClient(transport=transport, base_url="http://sim") as client:
            token = (
                await client.post(
                    "/oauth2/token",
                    data={
                        "grant_type": "client_credentials",
                        "client_id": "a",
                        "client_secret": "b",
                    },
                )
            ).json()
            with pytest.raises(httpx.TransportError):
                await client.get(
                    f"{API}/workflows", headers={"Authorization": f"Bearer {token['access_token']}"}
                )

    asyncio.run(go())


def test_latency_and_slow_answers(faulty: tuple[Simulator, str]) -> None:
    sim, url = faulty
    with _client(url) as client:
        client.get(f"{API}/workflows")  # warm the connection
        sim.set_faults(FaultConfig(latency_ms=150))
        try:
            t0 = time.perf_counter()
            assert client.get(f"{API}/workflows").status_code == 200
            assert time.perf_counter() - t0 >= 0.15
            sim.set_faults(FaultConfig(rate_slow=1.0, slow_ms=300))
            t0 = time.perf_counter()
            assert client.get(f"{API}/workflows").status_code == 200
            assert time.perf_counter() - t0 >= 0.3
        finally:
            sim.set_faults(FaultConfig())


def test_latency_overlaps_between_concurrent_requests(faulty: tuple[Simulator, str]) -> None:
    sim, url = faulty
    sim.set_faults(FaultConfig(latency_ms=200))

    async def go() -> float:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            token = (
                await client.post(
                    "/oauth2/token",
                    data={
                        "grant_type": "client_credentials",
                        "client_id": "a",
                        "client_secret": "b",
                    },
                )
            ).json()
            headers = {"Authorization": f"Bearer {token['access_token']}"}
            t0 = time.perf_counter()
            answers = await asyncio.gather(
                *[client.get(f"{API}/workflows", headers=headers) for _ in range(10)]
            )
            assert all(a.status_code == 200 for a in answers)
            return time.perf_counter() - t0

    try:
        elapsed = asyncio.run(go())
    finally:
        sim.set_faults(FaultConfig())
    assert elapsed < 1.0, "ten 200 ms requests in parallel must not take 2 s"


def test_the_answer_is_built_within_the_latency_not_after_it() -> None:
    """A remote API's round trip includes building the answer: an answer that takes 200 ms to
    build, behind 300 ms of latency, arrives after about 300 ms (not 500); one that takes
    longer than the latency arrives when it is built."""
    from cdf_simulator.middleware import SimulatorMiddleware

    async def slow_app(scope: dict[str, object], receive: object, send: object) -> None:
        await asyncio.sleep(float(str(scope["path"]).rsplit("/", 1)[-1]) / 1000)
        await send({"type": "http.response.start", "status": 200, "headers": []})  # type: ignore[operator]
        await send({"type": "http.response.body", "body": b"built"})  # type: ignore[operator]

    sim = Simulator(small_config())
    sim.set_faults(FaultConfig(latency_ms=300))
    app = SimulatorMiddleware(slow_app, sim)

    async def timed(build_ms: int) -> float:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sim") as client:
            t0 = time.perf_counter()
            answer = await client.get(f"{API}/workflows/executions/{build_ms}")
            assert (answer.status_code, answer.content) == (200, b"built")
            return time.perf_counter() - t0

    built_within = asyncio.run(timed(200))
    assert 0.3 <= built_within < 0.45
    built_longer = asyncio.run(timed(400))
    assert 0.4 <= built_longer < 0.55


def test_concurrency_cap_answers_429(faulty: tuple[Simulator, str]) -> None:
    sim, url = faulty
    sim.set_faults(FaultConfig(max_concurrent=2, latency_ms=200, retry_after_s=2))

    async def go() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            token = (
                await client.post(
                    "/oauth2/token",
                    data={
                        "grant_type": "client_credentials",
                        "client_id": "a",
                        "client_secret": "b",
                    },
                )
            ).json()
            headers = {"Authorization": f"Bearer {token['access_token']}"}
            return await asyncio.gather(
                *[client.get(f"{API}/workflows", headers=headers) for _ in range(8)]
            )

    try:
        answers = asyncio.run(go())
    finally:
        sim.set_faults(FaultConfig())
    codes = sorted(a.status_code for a in answers)
    assert codes.count(200) >= 2
    assert codes.count(429) >= 1
    assert all(a.headers["retry-after"] == "2" for a in answers if a.status_code == 429)


def test_faults_settable_over_http_and_short_token_lifetime(faulty: tuple[Simulator, str]) -> None:
    _, url = faulty
    with httpx.Client(base_url=url) as control:
        r = control.post("/_simulator/faults", json={"token_lifetime_s": 1, "rate_503": 0.0})
        assert r.status_code == 200 and r.json()["token_lifetime_s"] == 1
        try:
            with _client(url) as client:
                assert client.get(f"{API}/workflows").status_code == 200
                time.sleep(1.1)
                assert client.get(f"{API}/workflows").status_code == 401
        finally:
            control.post("/_simulator/faults", json={"token_lifetime_s": 0})


def test_fault_sequence_is_deterministic_per_seed() -> None:
    config = FaultConfig(rate_429=0.1, rate_500=0.1, rate_drop=0.1, rate_slow=0.2)

    def sequence(seed: int) -> list[object]:
        injector = FaultInjector(config, seed)
        return [injector.decide() for _ in range(300)]

    assert sequence(1) == sequence(1)
    assert sequence(1) != sequence(2)
    kinds = {(d.status, d.drop) for d in sequence(1)}
    assert {(429, False), (500, False), (None, True), (None, False)} <= kinds
