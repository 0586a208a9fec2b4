"""List and detail requests per second against the simulator under uvicorn on 127.0.0.1.

Run: .venv/bin/python -m benchmarks.simulator_throughput [--seconds 5] [--concurrency 16]
The server runs in a background thread of this process, the client (httpx, asyncio) in the main
thread, so both share the machine's cores like a benchmark run does.
"""

from __future__ import annotations

import argparse
import asyncio
import time

import httpx

from cdf_simulator import Simulator, SimulatorConfig, run_server

NOW_MS = 1_750_000_000_000


async def _drive(base: str, kind: str, seconds: float, concurrency: int) -> tuple[int, float]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        token = (
            await client.post(
                "/oauth2/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": "bench",
                    "client_secret": "x",
                },
            )
        ).json()
        client.headers["Authorization"] = f"Bearer {token['access_token']}"
        api = "/api/v1/projects/demo/workflows/executions"
        first = await client.post(f"{api}/list", json={"limit": 1000})
        ids = [i["id"] for i in first.json()["items"]]
        cursors = [None]
        done = 0
        deadline = time.perf_counter() + seconds

        async def worker(n: int) -> None:
            nonlocal done
            i = n
            while time.perf_counter() < deadline:
                if kind == "list":
                    body = {"limit": 1000}
                    cursor = cursors[-1]
                    if cursor:
                        body["cursor"] = cursor
                    r = await client.post(f"{api}/list", json=body)
                    nxt = r.json().get("nextCursor")
                    cursors.append(nxt)
                else:
                    r = await client.get(f"{api}/{ids[i % len(ids)]}")
                r.raise_for_status()
                done += 1
                i += concurrency

        t0 = time.perf_counter()
        await asyncio.gather(*[worker(n) for n in range(concurrency)])
        return done, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--executions-per-day", type=float, default=2_000.0)
    args = parser.parse_args()
    sim = Simulator(
        SimulatorConfig(seed=1, now_ms=NOW_MS, executions_per_day=args.executions_per_day)
    )
    print(f"world: {sim.world.count_visible(NOW_MS)} visible executions")
    with run_server(sim) as base:
        for kind in ("list", "detail"):
            n, elapsed = asyncio.run(_drive(base, kind, args.seconds, args.concurrency))
            unit = "pages of 1000" if kind == "list" else "details"
            print(
                f"{kind:6s}: {n / elapsed:8.1f} requests/s ({n} {unit} in {elapsed:.1f} s, "
                f"concurrency {args.concurrency})"
            )


if __name__ == "__main__":
    main()
