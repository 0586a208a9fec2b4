"""Process start-up: how long a user waits before a command answers or the ingest reaches CDF.

    .venv/bin/python -m benchmarks.startup [--repeat 3] [--no-bytecode] [--json FILE]

Measured from the interpreter the command is started with (the venv `make install` built):

- `workflow-analytics --help`, `python -c "import dagster"`, and `workflow-analytics ingest` with
  `CDF_URL` missing (the configuration error line): wall and CPU seconds of the process.
- `workflow-analytics ingest` against a simulator in this process, with nothing new to load:
  seconds from starting the process to the simulator's first request (the command's access
  check), to the run's own first request, and
  to the process's exit; without ``DAGSTER_HOME`` (ephemeral instance) and with one (a
  ``DAGSTER_HOME`` holding the repository's ``dagster.yaml``).

``--no-bytecode`` hides the compiled bytecode (``PYTHONPYCACHEPREFIX`` pointing at an empty
directory, ``PYTHONDONTWRITEBYTECODE=1``): a venv installed without bytecode on a machine that
never caches it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.processes import REPO, children_cpu, clean_env, simulator_env, timed
from cdf_simulator import Simulator, SimulatorConfig, run_server

BIN = Path(sys.executable).parent
CLI = str(BIN / "workflow-analytics")


def _timed(command: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    run = timed(command, env)
    return run.wall_s, run.cpu_s, run.returncode


def _process_cpu(pid: int) -> float | None:
    """User + system CPU seconds of a running process (Linux), or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class _Requests:
    """Wraps the simulator's request counter: when each token request arrived, and the child's
    CPU seconds at the first one."""

    def __init__(self, sim: Simulator) -> None:
        self.tokens: list[float] = []
        self.first_at: float | None = None
        self.cpu_at_first: float | None = None
        self.pid: int | None = None
        count = sim.stats.request

        def request(kind: str) -> None:
            now = time.perf_counter()
            if self.first_at is None:
                self.first_at = now
                self.cpu_at_first = None if self.pid is None else _process_cpu(self.pid)
            if kind == "token":
                self.tokens.append(now)
            count(kind)

        sim.stats.request = request  # type: ignore[method-assign]

    def reset(self, pid: int) -> None:
        self.tokens, self.first_at, self.cpu_at_first, self.pid = [], None, None, pid


def _ingest(env: dict[str, str], seen: _Requests) -> dict[str, float]:
    cpu = children_cpu()
    start = time.perf_counter()
    proc = subprocess.Popen(
        [CLI, "ingest", "--quiet"],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    seen.reset(proc.pid)
    _, stderr = proc.communicate()
    end = time.perf_counter()
    if proc.returncode != 0:
        raise SystemExit(f"ingest failed: {stderr.decode()[-2000:]}")
    assert seen.first_at is not None, "the ingest made no request"
    # The command's access check sends the first token request while Dagster loads; the run's
    # own work starts with the next one.
    run_start = seen.tokens[1] if len(seen.tokens) > 1 else seen.first_at
    return {
        "to_first_request_s": seen.first_at - start,
        "cpu_to_first_request_s": seen.cpu_at_first or 0.0,
        "to_run_first_request_s": run_start - start,
        "wall_s": end - start,
        "cpu_s": children_cpu() - cpu,
    }


def _median(rows: list[dict[str, float]]) -> dict[str, float]:
    return {key: round(statistics.median(r[key] for r in rows), 2) for key in rows[0]}


def bytecode_missing() -> str | None:
    """Why this venv is not one `make install` built (bytecode compiled), or None."""
    import dagster

    cache = Path(dagster.__file__).parent / "__pycache__"
    if not list(cache.glob("__init__.cpython-*.pyc")):
        return (
            f"no compiled bytecode in {cache}: build the venv with `make install` (or run "
            "`make bench`), so start-up is measured as users get it"
        )
    return None


def measure(work: Path, repeat: int = 3) -> dict[str, Any]:
    """This module's measurements in a child process (the benchmark's start-up line)."""
    out = work / "startup.json"
    subprocess.run(
        [sys.executable, "-m", "benchmarks.startup", "--repeat", str(repeat), "--json", str(out)],
        cwd=REPO,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return json.loads(out.read_text())


def startup_line(r: dict[str, Any]) -> str:
    """One Markdown line: the start-up numbers (wall seconds, CPU in brackets)."""

    def both(key: str, field: str = "wall_s") -> str:
        return f"{r[key][field]:.2f} s (CPU {r[key]['cpu_s']:.2f} s)"

    eph, home = r["nothing_new_ephemeral"], r["nothing_new_dagster_home"]
    return (
        f"Start-up (median of {r['repeat']}, bytecode {'compiled' if r['bytecode'] else 'absent'}"
        f"): `--help` {both('help')}, `import dagster` {both('import_dagster')}, a "
        f"configuration error {both('config_error')}; `ingest` to its first request to CDF "
        f"{eph['to_first_request_s']:.2f} s (CPU {eph['cpu_to_first_request_s']:.2f} s) "
        f"without DAGSTER_HOME, {home['to_first_request_s']:.2f} s with one; to the run's own "
        f"first request {eph['to_run_first_request_s']:.2f} s / "
        f"{home['to_run_first_request_s']:.2f} s; a whole nothing-new `ingest` of a small "
        f"world {both('nothing_new_ephemeral')}."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-bytecode", action="store_true")
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--executions-per-day",
        type=float,
        default=10.0,
        help="Size of the simulated world (start-up does not depend on it; the ingest does).",
    )
    args = parser.parse_args()
    if not args.no_bytecode and (problem := bytecode_missing()):
        raise SystemExit(problem)

    with tempfile.TemporaryDirectory(prefix="startup-bench-") as tmp:
        base = clean_env()
        base["WAREHOUSE_DIR"] = str(Path(tmp) / "warehouse")
        if args.no_bytecode:
            empty = Path(tmp) / "no-pycache"
            empty.mkdir()
            base.update(PYTHONPYCACHEPREFIX=str(empty), PYTHONDONTWRITEBYTECODE="1")
        results: dict[str, Any] = {"bytecode": not args.no_bytecode, "repeat": args.repeat}

        for name, command in (
            ("help", [CLI, "--help"]),
            ("import_dagster", [sys.executable, "-c", "import dagster"]),
            ("config_error", [CLI, "ingest"]),
        ):
            runs = []
            for _ in range(args.repeat):
                wall, cpu, code = _timed(command, base)
                runs.append({"wall_s": wall, "cpu_s": cpu})
                if name == "config_error" and code != 2:
                    raise SystemExit(f"expected exit 2 for a configuration error, got {code}")
            results[name] = _median(runs)
            print(name, results[name], flush=True)

        sim = Simulator(
            SimulatorConfig(seed=1, project="demo", executions_per_day=args.executions_per_day)
        )
        seen = _Requests(sim)
        with run_server(sim) as url:
            env = {**base, **simulator_env(url, "demo", "startup")}
            results["first_load"] = _median([_ingest(env, seen)])
            print("first_load", results["first_load"], flush=True)
            home = Path(tmp) / "dagster_home"
            home.mkdir()
            shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
            for name, extra in (
                ("nothing_new_ephemeral", {}),
                ("nothing_new_dagster_home", {"DAGSTER_HOME": str(home)}),
            ):
                runs = [_ingest(dict(env, **extra), seen) for _ in range(args.repeat)]
                results[name] = _median(runs)
                print(name, results[name], flush=True)
    print(startup_line(results), flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
