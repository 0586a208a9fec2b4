"""`dg dev` in the repository root loads the code location, and the UI renders the assets
(headless Chromium, Debian's package, which `make test` installs)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1600,1000",
    # The UI is a single-page app: let its scripts and GraphQL calls finish before the dump.
    "--virtual-time-budget=30000",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


STARTUP_S = 300


@pytest.fixture(scope="module")
def dagster_ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("dagster_home")
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    port = _free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "WAREHOUSE_DIR": str(tmp_path_factory.mktemp("warehouse")),
    }
    process = subprocess.Popen(
        [str(REPO / ".venv" / "bin" / "dg"), "dev", "-h", "127.0.0.1", "-p", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        # `dg dev` starts a web server, a code server and a daemon: on two cores shared with
        # another test worker that can take minutes.
        deadline = time.monotonic() + STARTUP_S
        while True:
            if process.poll() is not None:
                raise AssertionError(f"dg dev exited: {process.stderr.read()!r}")  # type: ignore[union-attr]
            try:
                if httpx.get(f"{url}/server_info", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"dg dev did not answer within {STARTUP_S} s")
            time.sleep(0.5)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        ["chromium", *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args],
        capture_output=True,
        timeout=120,
        check=True,
    )


def test_code_location_loads_without_errors(dagster_ui: str) -> None:
    query = (
        "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus "
        "locationOrLoadError { __typename ... on PythonError { message } } } } } }"
    )
    answer = httpx.post(f"{dagster_ui}/graphql", json={"query": query}, timeout=30).json()
    entries = answer["data"]["workspaceOrError"]["locationEntries"]
    assert [
        (e["name"], e["loadStatus"], e["locationOrLoadError"]["__typename"]) for e in entries
    ] == [("workflow_analytics", "LOADED", "RepositoryLocation")]


def test_asset_list_and_graph_render_the_warehouse_assets(dagster_ui: str, tmp_path: Path) -> None:
    group = f"{dagster_ui}/locations/workflow_analytics/asset-groups/cdf_warehouse"
    dom = _chromium(tmp_path, "--dump-dom", f"{group}/list").stdout.decode()
    for asset in (
        "workflow_executions",
        "task_executions",
        "task_definitions",
        "rejected_records",
        "history_backfill",
    ):
        assert asset in dom, f"{asset} not rendered"
    # The graph draws only the nodes in view; the executions table is always among them.
    graph = _chromium(tmp_path, "--dump-dom", group).stdout.decode()
    assert "workflow_executions" in graph
    shot = tmp_path / "graph.png"
    _chromium(tmp_path, f"--screenshot={shot}", group)
    assert shot.stat().st_size > 20_000  # a blank 1600x1000 PNG is a few kB
