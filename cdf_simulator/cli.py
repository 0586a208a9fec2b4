"""`workflow-analytics simulate`: serve the simulated CDF Workflows API until stopped."""

from __future__ import annotations

import contextlib
import sys

import typer

from .config import FaultConfig, SimulatorConfig
from .server import bind, cannot_listen, serve_socket
from .simulator import Simulator


def simulate(
    port: int = typer.Option(
        8765, min=0, max=65535, help="Port on 127.0.0.1 to listen on (0: any free one)."
    ),
    project: str = typer.Option("demo", help="CDF project name the API serves."),
    seed: int = typer.Option(0, help="Seed of the generated world."),
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    workflows: int = typer.Option(24, help="Number of workflows in the world."),
    executions_per_day: float = typer.Option(
        40.0, help="Target executions per day (cron cadences kept, so small targets overshoot)."
    ),
    history_days: int = typer.Option(100, help="Days of history before the initial clock."),
    future_days: int = typer.Option(30, help="Days the world extends past the initial clock."),
    runs_from_days: int | None = typer.Option(
        None,
        help="Days before the initial clock the runs begin (default: with the history). The "
        "workflows and triggers stay those of --history-days: the same project, younger.",
    ),
    now_ms: int | None = typer.Option(
        None, help="Initial clock, epoch ms (default: the current time rounded to a minute)."
    ),
    clock_speed: float = typer.Option(
        0.0, help="Simulated ms per real ms; 0 keeps the clock frozen between control calls."
    ),
    token_lifetime_s: int = typer.Option(3600, help="Lifetime of issued access tokens."),
    client_id: str | None = typer.Option(None, help="Only accept this client id (default: any)."),
    client_secret: str | None = typer.Option(None, help="Only accept this secret (default: any)."),
    rate_429: float = typer.Option(0.0, help="Share of API requests answered 429."),
    retry_after_s: int = typer.Option(1, help="Retry-After seconds sent with 429."),
    rate_500: float = typer.Option(0.0, help="Share answered 500."),
    rate_502: float = typer.Option(0.0, help="Share answered 502."),
    rate_503: float = typer.Option(0.0, help="Share answered 503."),
    rate_504: float = typer.Option(0.0, help="Share answered 504."),
    rate_drop: float = typer.Option(0.0, help="Share of connections closed without an answer."),
    rate_slow: float = typer.Option(0.0, help="Share of answers delayed by --slow-ms."),
    slow_ms: int = typer.Option(2000, help="Delay of a slow answer."),
    latency_ms: int = typer.Option(0, help="Latency added to every API request."),
    max_concurrent: int = typer.Option(0, help="In-flight API requests beyond this get 429."),
    list_newest_first: bool = typer.Option(
        False, help="List executions newest first (default: oldest first; CDF documents none)."
    ),
    access_log: bool = typer.Option(False, help="Log every request (uvicorn access log)."),
) -> None:
    """Serve the simulated CDF Data Workflows API until stopped (Ctrl-C)."""
    faults = FaultConfig(
        rate_429=rate_429, retry_after_s=retry_after_s, rate_500=rate_500, rate_502=rate_502,
        rate_503=rate_503, rate_504=rate_504, rate_drop=rate_drop, rate_slow=rate_slow,
        slow_ms=slow_ms, latency_ms=latency_ms, max_concurrent=max_concurrent,
    )  # fmt: skip
    config = SimulatorConfig(
        seed=seed, project=project, workflows=workflows, executions_per_day=executions_per_day,
        history_days=history_days, future_days=future_days, runs_from_days=runs_from_days,
        now_ms=now_ms,
        clock_speed=clock_speed, faults=faults, token_lifetime_s=token_lifetime_s,
        client_id=client_id, client_secret=client_secret, list_newest_first=list_newest_first,
    )  # fmt: skip
    try:
        sock = bind(host, port)
    except OSError as exc:
        print(f"error: {cannot_listen(host, port, exc)}", file=sys.stderr)
        raise typer.Exit(2) from None
    sim = Simulator(config)
    base = f"http://{host}:{sock.getsockname()[1]}"
    now = sim.clock.now_ms()
    shown_id = client_id or "any-client-id"
    shown_secret = "<your secret>" if client_secret else "any-secret"
    lines = [
        f"CDF Workflows simulator: project '{project}', seed {seed}, "
        f"{sim.world.count_visible(now)} executions visible at clock {now} ms",
        f"  base URL:  {base}",
        f"  token URL: {base}/oauth2/token",
        f"  control:   {base}/_simulator/clock | faults | stats",
        "  client environment:",
        f"    export CDF_URL={base}",
        f"    export CDF_PROJECT={project}",
        f"    export IDP_TOKEN_URL={base}/oauth2/token",
        f"    export IDP_CLIENT_ID={shown_id}",
        f"    export IDP_CLIENT_SECRET={shown_secret}",
        "Press Ctrl-C to stop.",
    ]
    print("\n".join(lines), flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        serve_socket(sim, sock, access_log=access_log)


def main() -> None:
    app = typer.Typer(add_completion=False)
    app.command()(simulate)
    app(sys.argv[1:])
