"""What the benchmarks that start our command line share: the contract's environment for a
simulator, and a child process timed in wall and CPU seconds."""

from __future__ import annotations

import os
import resource
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def simulator_env(base_url: str, project: str, client_id: str) -> dict[str, str]:
    """The contract's variables (CDF_URL, CDF_PROJECT, IDP_*) for a client of a simulator."""
    return {
        "CDF_URL": base_url,
        "CDF_PROJECT": project,
        "IDP_TOKEN_URL": f"{base_url}/oauth2/token",
        "IDP_CLIENT_ID": client_id,
        "IDP_CLIENT_SECRET": f"{client_id}-secret",
        "IDP_SCOPES": f"{base_url}/.default",
    }


def clean_env() -> dict[str, str]:
    """This process's environment without CDF, IdP or Dagster settings of the shell."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CDF_", "IDP_"))}
    env.pop("DAGSTER_HOME", None)
    return env


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class Timed:
    wall_s: float
    cpu_s: float
    returncode: int
    stdout: str
    stderr: str


def timed(command: list[str], env: dict[str, str]) -> Timed:
    """Run ``command`` from the repository root; its wall time and the CPU seconds it used."""
    cpu = children_cpu()
    start = time.perf_counter()
    proc = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    return Timed(wall, children_cpu() - cpu, proc.returncode, proc.stdout, proc.stderr)
