"""`workflow-analytics ingest` over several CDF projects, as a user reads its progress lines:
each project's lines name it, the analytics line comes once after the last project, and a
project that cannot be read is said once as it happens, then in the error line."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cdf_simulator import Simulator, run_server
from tests.support.sim import small_sim_config

CLI = Path(sys.executable).parent / "workflow-analytics"
WORLD = {"workflows": 3, "executions_per_day": 8.0, "history_days": 5}


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, str]]:
    alpha = Simulator(small_sim_config(seed=3, project="alpha", **WORLD))
    beta = Simulator(small_sim_config(seed=4, project="beta", **WORLD))
    with run_server(alpha) as alpha_url, run_server(beta) as beta_url:
        yield {"alpha": alpha_url, "beta": beta_url}


def _ingest(tmp_path: Path, projects: dict[str, str]) -> subprocess.CompletedProcess[str]:
    text = '[defaults]\nclient_id = "c"\nclient_secret_env = "SECRET"\n'
    for name, url in projects.items():
        text += f'\n[projects.{name}]\nbase_url = "{url}"\ntoken_url = "{url}/oauth2/token"\n'
    (tmp_path / "projects.toml").write_text(text)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path / "home"),
        "WAREHOUSE_DIR": str(tmp_path / "wh"),
        "CDF_PROJECTS_FILE": str(tmp_path / "projects.toml"),
        "SECRET": "any",
        "CDF_MAX_ATTEMPTS": "1",
    }
    return subprocess.run(
        [str(CLI), "ingest"], env=env, capture_output=True, text=True, timeout=300
    )


def _final(lines: list[str], project: str) -> int:
    """The index of the project's last progress line: all it listed, fetched and written."""
    pattern = re.compile(
        rf"^ingest {project}: fetched ([\d,]+) of \1 details \(.*ETA -\); listed [\d,]+, "
        r"written ([\d,]+) executions$"
    )
    found = [i for i, line in enumerate(lines) if pattern.match(line)]
    assert len(found) == 1, (project, lines)
    return found[0]


@pytest.mark.integration
def test_each_project_has_its_lines_and_the_analytics_follow_the_last(
    servers: dict[str, str], tmp_path: Path
) -> None:
    result = _ingest(tmp_path, servers)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    alpha, beta = _final(lines, "alpha"), _final(lines, "beta")
    # alpha loads first; none of its lines comes after beta's first line, and the analytics
    # are announced once, only after beta is done (before, alpha's end announced them).
    assert alpha < beta
    first_beta = min(i for i, line in enumerate(lines) if line.startswith("ingest beta:"))
    assert all(not line.startswith("ingest alpha:") for line in lines[first_beta:])
    assert lines.count("ingest done; views and checks running") == 1
    assert lines.index("ingest done; views and checks running") > beta
    shown = ("ingest alpha:", "ingest beta:", "ingest done", "warning: ")
    assert all(line.startswith(shown) for line in lines), lines


@pytest.mark.integration
def test_a_project_that_cannot_be_read_is_said_as_it_happens_and_at_the_end(
    servers: dict[str, str], tmp_path: Path
) -> None:
    # The simulator serves only its own project: "gamma" on alpha's server is refused (403).
    result = _ingest(tmp_path, {"alpha": servers["alpha"], "gamma": servers["alpha"]})
    assert result.returncode == 1, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].startswith("CDF project 'gamma' failed (the other projects go on): ")
    _final(lines, "alpha")
    assert lines[-1].startswith("error: 1 of 2 CDF projects failed: 'gamma': ")
    assert lines[-1].endswith("loaded: 'alpha'")
    assert len(lines) == 3 or all("gamma" not in line for line in lines[1:-1]), lines
    # The step failed: the analytics and checks do not run, and are not announced.
    assert not any(line.startswith(("ingest done", "analytics and checks")) for line in lines)
