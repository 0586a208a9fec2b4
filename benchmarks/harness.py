"""Building blocks of the benchmark: a simulator in its own process, and measured child processes.

Everything measured runs as a separate process so that its wall time and peak memory are its
own: the simulator never shares a core's Python interpreter (or its GIL) with a client, and a
client's resident memory is polled by psutil over the whole process tree it starts.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

from benchmarks.processes import REPO, simulator_env
from cdf_simulator import Simulator, SimulatorConfig

BIN = Path(sys.executable).parent
PROJECT = "bench"
# A fixed clock: the same world, the same visible executions, on every run and machine.
NOW_MS = 1_750_000_000_000
HISTORY_DAYS = 90
DAY_MS = 86_400_000


@dataclass(frozen=True)
class WorldSize:
    """Simulator flags that give about ``target`` visible executions."""

    target: int
    workflows: int
    executions_per_day: float
    visible: int
    # Days of history before the retention window opens at NOW_MS: 0 for the worlds whose whole
    # history CDF still shows, more for a world a warehouse has collected over years.
    grown_days: int = 0
    # A young world (young_world): the same project with runs in its last days only.
    runs_days: int | None = None

    @property
    def per_day(self) -> float:
        """Visible executions a day (the rate a night's new runs arrive at)."""
        return self.visible / (self.runs_days or HISTORY_DAYS)

    @property
    def grows(self) -> bool:
        """An empty warehouse of this world is grown by runs over its span first."""
        return self.grown_days > 0 and self.runs_days is None

    def flags(self) -> list[str]:
        young = [] if self.runs_days is None else ["--runs-from-days", str(self.runs_days)]
        return [
            "--workflows",
            str(self.workflows),
            "--executions-per-day",
            str(self.executions_per_day),
            "--history-days",
            str(HISTORY_DAYS + self.grown_days),
            *young,
        ]


def _visible(
    workflows: int, per_day: float, history_days: int = HISTORY_DAYS, runs_days: int | None = None
) -> int:
    config = SimulatorConfig(
        seed=1,
        project=PROJECT,
        workflows=workflows,
        executions_per_day=per_day,
        history_days=history_days,
        runs_from_days=runs_days,
        now_ms=NOW_MS,
    )
    return Simulator(config).world.count_visible(NOW_MS)


def size_world(target: int) -> WorldSize:
    """Find the world flags for about ``target`` executions (building a world takes < 1 s).

    More workflows for bigger worlds, as a bigger project would have; cron cadences make the
    count a step function of the rate, so this bisects on the rate and keeps the closest.
    """
    workflows = max(24, min(200, target // 2000))
    lo, hi = 1.0, 100.0
    while _visible(workflows, hi) < target:
        lo, hi = hi, hi * 2
    per_day = _closest_rate(workflows, target, lo, hi, start=hi)
    return WorldSize(target, workflows, per_day, _visible(workflows, per_day))


def _closest_rate(workflows: int, goal: int, lo: float, hi: float, start: float) -> float:
    """The rate in [lo, hi] (or ``start``) whose world shows closest to ``goal`` executions in
    its 90 days, by bisection (the count grows with the rate, in steps), to 3 decimals."""
    best = (abs(_visible(workflows, start) - goal), start)
    for _ in range(18):
        mid = (lo + hi) / 2
        n = _visible(workflows, mid)
        best = min(best, (abs(n - goal), mid))
        if n < goal:
            lo = mid
        else:
            hi = mid
    return round(best[1], 3)


def grown_world(target: int, per_day: float) -> WorldSize:
    """A world that makes about ``per_day`` runs a day for as long as ``target`` executions take.

    CDF shows the last 90 days of it at NOW_MS; the rest is history only a warehouse that ran
    all along holds (see ``benchmarks.nightly_analytics --per-day``). Same workflows as
    ``size_world(target)``, at the rate whose 90 days give about ``per_day`` a day.
    """
    goal = round(per_day * HISTORY_DAYS)
    workflows = max(24, min(200, target // 2000))
    # Cron cadences give each workflow a floor, so the rate that gets there can be far lower.
    rate = _closest_rate(workflows, goal, per_day / 30, 2.0 * per_day, start=per_day)
    visible = _visible(workflows, rate)
    grown_days = max(0, round(target / (visible / HISTORY_DAYS)) - HISTORY_DAYS)
    return WorldSize(target, workflows, rate, visible, grown_days)


def young_world(target: int, per_day: float, of_size: int) -> WorldSize:
    """The project of ``grown_world(of_size, per_day)`` with only its last ``target``
    executions' days of runs: the same workflows, versions, triggers and rate, the same runs in
    those days and in the nights after them. Its nights differ from the grown world's by the
    history a warehouse holds, nothing else. ``target`` must fit in CDF's 90 days."""
    grown = grown_world(of_size, per_day)
    days = max(1, round(target / grown.per_day))
    if days >= HISTORY_DAYS:
        raise ValueError(f"{target:,} executions take {days} days of this world: over 90")
    visible = _visible(
        grown.workflows, grown.executions_per_day, HISTORY_DAYS + grown.grown_days, days
    )
    return dataclasses.replace(grown, target=target, visible=visible, runs_days=days)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SimulatorProcess:
    """`workflow-analytics simulate` in a child process, with its control endpoints."""

    def __init__(
        self, size: WorldSize, *, latency_ms: int, max_concurrent: int, seed: int = 1
    ) -> None:
        self.size = size
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.command = [
            str(BIN / "workflow-analytics"),
            "simulate",
            "--port",
            str(self.port),
            "--project",
            PROJECT,
            "--seed",
            str(seed),
            "--now-ms",
            str(NOW_MS),
            "--latency-ms",
            str(latency_ms),
            "--max-concurrent",
            str(max_concurrent),
            *size.flags(),
        ]
        self._proc: subprocess.Popen[bytes] | None = None
        self._http = httpx.Client(base_url=self.base_url, timeout=30)

    def __enter__(self) -> SimulatorProcess:
        self._proc = subprocess.Popen(
            self.command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO
        )
        deadline = time.monotonic() + 60
        while True:
            if self._proc.poll() is not None:
                err = self._proc.stderr.read().decode() if self._proc.stderr else ""
                raise RuntimeError(f"simulator exited: {err[-2000:]}")
            try:
                self._http.get("/_simulator/clock").raise_for_status()
                return self
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise RuntimeError("simulator did not start within 60 s") from None
                time.sleep(0.1)

    def __exit__(self, *exc: object) -> None:
        self._http.close()
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()

    @property
    def pid(self) -> int:
        assert self._proc is not None
        return self._proc.pid

    def reset_stats(self) -> None:
        self._http.post("/_simulator/stats/reset").raise_for_status()

    def stats(self) -> dict[str, Any]:
        return dict(self._http.get("/_simulator/stats").json())

    def set_faults(self, **faults: int) -> None:
        self._http.post("/_simulator/faults", json=faults).raise_for_status()

    def set_clock(self, now_ms: int) -> None:
        self._http.post("/_simulator/clock", json={"nowMs": now_ms}).raise_for_status()

    def advance_clock(self, ms: int) -> None:
        self._http.post("/_simulator/clock", json={"advanceMs": ms}).raise_for_status()

    def visible(self) -> int:
        return int(self._http.get("/_simulator/clock").json()["visibleExecutions"])

    def client_env(self) -> dict[str, str]:
        """The contract's environment variables for a client of this simulator."""
        return simulator_env(self.base_url, PROJECT, "bench-client")

    def cpu_seconds(self) -> float:
        t = psutil.Process(self.pid).cpu_times()
        return float(t.user + t.system)


@dataclass
class ProcessResult:
    wall_s: float
    peak_rss_bytes: int
    returncode: int
    stdout: str
    stderr: str
    cpu_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def _tree_rss(proc: psutil.Process) -> tuple[int, float]:
    rss = 0
    cpu = 0.0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            rss += p.memory_info().rss
            t = p.cpu_times()
            cpu += t.user + t.system
        except psutil.Error:
            continue
    return rss, cpu


def run_measured(
    command: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    timeout_s: float = 3600,
    poll_s: float = 0.25,
) -> ProcessResult:
    """Run a command to its end; wall time and the peak RSS of its process tree.

    RSS (and CPU time) is summed over the process and its descendants every ``poll_s``, so a
    peak shorter than that can be missed; the processes measured here allocate over seconds.
    """
    full_env = {**os.environ, **(env or {})}
    started = time.perf_counter()
    proc = subprocess.Popen(
        list(command),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=full_env,
        cwd=REPO,
    )
    ps = psutil.Process(proc.pid)
    peak = 0
    cpu = 0.0
    stop = threading.Event()

    def poll() -> None:
        nonlocal peak, cpu
        while not stop.is_set():
            try:
                rss, c = _tree_rss(ps)
                peak = max(peak, rss)
                cpu = max(cpu, c)
            except psutil.Error:
                return
            stop.wait(poll_s)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    try:
        out_b, err_b = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        out_b, err_b = proc.communicate()
    wall = time.perf_counter() - started
    stop.set()
    poller.join()
    return ProcessResult(
        wall_s=wall,
        peak_rss_bytes=peak,
        returncode=proc.returncode,
        stdout=out_b.decode(errors="replace"),
        stderr=err_b.decode(errors="replace"),
        cpu_s=cpu,
    )
