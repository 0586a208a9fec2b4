"""`workflow-analytics ingest` as a user runs it: a subprocess against the simulator on
127.0.0.1. Its output holds the user's data and nothing of Dagster's first-run chatter, its
summary gives the times the user waited, and its progress lines say how far it got."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cdf_simulator import Simulator, run_server
from ingest.executions import IngestReport
from tests.support.sim import small_sim_config
from workflow_analytics.cli_progress import plain_line

CLI = Path(sys.executable).parent / "workflow-analytics"
DAGSTER_CHATTER = ("Welcome to Dagster", "Telemetry", "telemetry", "No dagster instance", "Slack")
TIMES = re.compile(
    r"^done in (?P<total>[\d.]+)s, start-up (?P<startup>[\d.]+)s, ingest (?P<ingest>[\d.]+)s, "
    r"analytics (?P<views>[\d.]+)s, checks (?P<checks>[\d.]+)s$"
)


@pytest.fixture(scope="module")
def sim() -> Simulator:
    return Simulator(small_sim_config(executions_per_day=3.0, history_days=10))


@pytest.fixture(scope="module")
def url(sim: Simulator) -> Iterator[str]:
    with run_server(sim) as base_url:
        yield base_url


def _env(url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path / "home"),
        "WAREHOUSE_DIR": str(tmp_path / "wh"),
        "CDF_URL": url,
        "CDF_PROJECT": "test-project",
        "IDP_TOKEN_URL": f"{url}/oauth2/token",
        "IDP_CLIENT_ID": "cli-test",
        "IDP_CLIENT_SECRET": "cli-test-secret",
        **extra,
    }


def _ingest(env: dict[str, str], *options: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(CLI), "ingest", *options], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    return result


def _assert_no_chatter(result: subprocess.CompletedProcess[str]) -> None:
    for text in DAGSTER_CHATTER:
        assert text not in result.stdout, f"{text!r} in stdout:\n{result.stdout}"
        assert text not in result.stderr, f"{text!r} in stderr:\n{result.stderr}"


@pytest.mark.integration
def test_ingest_with_a_fresh_dagster_home_prints_no_dagster_banner(
    url: str, tmp_path: Path
) -> None:
    home = tmp_path / "dagster_home"
    home.mkdir()
    result = _ingest(_env(url, tmp_path, DAGSTER_HOME=str(home)))
    _assert_no_chatter(result)
    # The instance got the repository's settings: telemetry off, the writer pool limited.
    written = (home / "dagster.yaml").read_text()
    assert "enabled: false" in written and "default_limit: 1" in written
    assert "workflow_executions" in result.stdout
    # The run is recorded in that instance (it shows in the UI).
    assert (home / "storage").is_dir() or (home / "history").is_dir()


@pytest.fixture
def token_requests_at(sim: Simulator) -> Iterator[list[float]]:
    """When each token request reached the simulator (epoch seconds)."""
    times: list[float] = []
    count = sim.stats.request

    def request(kind: str) -> None:
        if kind == "token":
            times.append(time.time())
        count(kind)

    sim.stats.request = request  # type: ignore[method-assign]
    yield times
    sim.stats.request = count  # type: ignore[method-assign]


@pytest.mark.integration
def test_ingest_summary_gives_the_times_the_user_waited(
    url: str, tmp_path: Path, token_requests_at: list[float]
) -> None:
    started = time.time()
    result = _ingest(_env(url, tmp_path))  # no DAGSTER_HOME: the ephemeral instance
    _assert_no_chatter(result)
    first = result.stdout.splitlines()[0]
    match = TIMES.match(first)
    assert match, first
    times = {k: float(v) for k, v in match.groupdict().items()}
    parts = times["startup"] + times["ingest"] + times["views"] + times["checks"]
    # The parts happen one after the other inside the total (rounding to 0.1 s each).
    assert 0 < parts <= times["total"] + 0.3, times
    assert times["ingest"] > 0 and times["startup"] > 0
    # Start-up is the wait until the run's own first request (its token; the first token was
    # the command's access check), as the simulator saw it (rounding to 0.1 s, and the fork).
    assert len(token_requests_at) == 2, token_requests_at
    assert abs(times["startup"] - (token_requests_at[1] - started)) < 0.25, times
    rows = re.search(r"workflow_executions\s+([\d,]+) rows", result.stdout)
    assert rows and int(rows.group(1).replace(",", "")) > 0
    # Each table's line names the date its Parquet partitions are under, as they are on disk.
    parquet = tmp_path / "wh" / "parquet"
    found = re.findall(r"^  (\w+)\s+[\d,]+ rows, Parquet by (\w+)$", result.stdout, re.M)
    assert ("trigger_runs", "fire_date") in found and (
        "workflow_executions",
        "created_date",
    ) in found
    for name, key in found:
        written = {p.name.split("=")[0] for p in (parquet / name).glob("*=*")}
        assert written <= {key}, (name, key, written)
    # A first run builds the analytics tables whole; a second with nothing new leaves them.
    assert re.search(r"^analytics: 6 tables \(rebuilt whole: .*critical_paths", result.stdout, re.M)
    again = _ingest(_env(url, tmp_path))
    assert "analytics: 6 tables (nothing new to recompute)" in again.stdout, again.stdout
    refresh = _ingest(_env(url, tmp_path), "--full-refresh")
    assert "analytics: 6 tables (rebuilt whole: critical_paths," in refresh.stdout, refresh.stdout


def test_plain_progress_line_gives_total_rate_and_eta() -> None:
    report = IngestReport(listed=2_000, new=1_500, changed=100, details_fetched=400)
    line = plain_line(report, elapsed_s=4.0)
    assert "fetched 400 of 1,600 details" in line
    assert "(100/s, ETA 12 s)" in line
    # The fetch caught up with the listing: its end is not known yet.
    caught_up = IngestReport(listed=1_000, new=1_000, details_fetched=990)
    assert "ETA listing" in plain_line(caught_up, elapsed_s=5.0)
    finished = IngestReport(listed=10, new=10, details_fetched=10, seconds=1.5)
    assert "ETA -" in plain_line(finished, elapsed_s=1.0)
    # Once done, the total is what was found: no "so far".
    assert "fetched 10 of 10 details (" in plain_line(finished, elapsed_s=1.0)


def test_progress_line_gives_a_total_and_eta_while_listing() -> None:
    # A quarter through its window, the listing found 1,000 details to fetch: about 4,000 in
    # all; 900 fetched in 9 s leaves 3,100 at 100/s, longer than the listing's own 27 s.
    listing = IngestReport(listed=1_000, new=1_000, details_fetched=900, listing_position=0.25)
    line = plain_line(listing, elapsed_s=9.0)
    assert "fetched 900 of about 4,000 details (1,000 found, the listing 25% through" in line
    assert "(100/s, ETA 31 s)" in line
    # Barely into its window, the listing's pace says nothing yet: no scaled total, no ETA.
    early = IngestReport(listed=1_000, new=2, details_fetched=2, listing_position=0.001)
    line = plain_line(early, elapsed_s=2.0)
    assert "fetched 2 of 2 details found so far" in line and "about" not in line
    assert "ETA listing" in line
    # The fetch caught up with the listing: the listing's pace sets the ETA, not "listing".
    caught_up = IngestReport(listed=1_000, new=1_000, details_fetched=990, listing_position=0.5)
    assert "ETA 10 s" in plain_line(caught_up, elapsed_s=10.0)
    # Once the listing ended, what it found is the total.
    listed = IngestReport(listed=1_000, new=800, details_fetched=400, listing_position=1.0)
    assert "fetched 400 of 800 details" in plain_line(listed, elapsed_s=4.0)
    assert "ETA 4 s" in plain_line(listed, elapsed_s=4.0)


@pytest.mark.integration
def test_the_access_check_is_made_once_per_command(
    sim: Simulator, url: str, tmp_path: Path
) -> None:
    env = _env(url, tmp_path)
    _ingest(env)
    before = sim.requests_by_kind
    _ingest(env)  # nothing new
    after = sim.requests_by_kind
    lists = after.get("list", 0) - before.get("list", 0)
    details = after.get("detail", 0) - before.get("detail", 0)
    # One access check (made while Dagster loads, not again by the run) and one page.
    assert lists == 2, (before, after)
    assert details == 0


@pytest.mark.parametrize("where", ["file", "under_a_file", "in_sysfs", "sysfs"])
def test_a_warehouse_dir_that_cannot_be_written_stops_at_once(
    url: str, tmp_path: Path, where: str
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory\n")
    directory = {"file": blocker, "under_a_file": blocker / "wh"}.get(where)
    # Root's permission bits allow a directory in /sys; its mkdir is refused all the same.
    sysfs = Path("/sys") if where == "sysfs" else Path("/sys/workflow-analytics-test/wh")
    directory = directory or sysfs
    result = subprocess.run(
        [str(CLI), "ingest"],
        env=_env(url, tmp_path, WAREHOUSE_DIR=str(directory)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: the warehouse directory {directory} ")
    words = {"in_sysfs": "cannot be created", "sysfs": "cannot be written"}.get(where, "file")
    if where == "sysfs" and os.geteuid() != 0:
        words = "is not writable by this user"
    assert words in lines[0]
    assert "WAREHOUSE_DIR" in lines[0] and "Traceback" not in result.stderr
    assert not Path("/sys/workflow-analytics-test").exists()


@pytest.mark.integration
def test_an_error_that_is_not_cdf_down_is_reported_once_not_retried(
    url: str, tmp_path: Path
) -> None:
    # A SOCKS proxy needs httpx's optional `socksio`, which the lock leaves out: every request
    # raises ImportError. The access check cannot tell CDF's answer, so the run checks again and
    # fails; a step retry would wait a minute first and then fail the same way.
    import importlib.util

    assert importlib.util.find_spec("socksio") is None
    env = _env(url, tmp_path, ALL_PROXY="socks5://127.0.0.1:9")
    result = subprocess.run(
        [str(CLI), "ingest"], env=env, capture_output=True, text=True, timeout=55
    )
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("error: ImportError: Using SOCKS proxy"), result.stderr
    assert "Traceback" not in result.stderr


def test_the_analytics_line_says_what_happened_to_every_table() -> None:
    from workflow_analytics.cli_output import analytics_line

    first_load = {
        "flaky_task_runs": {"build": "full"},
        "critical_paths": {"build": "incremental", "executions_recomputed": 0},
        "execution_facts": {"build": "incremental", "executions_recomputed": 0},
        "workflow_daily_sla": {"build": "view"},
    }
    assert analytics_line(first_load) == (
        "analytics: 3 tables (rebuilt whole: flaky_task_runs; 2 others up to date), 1 views"
    )
    first_load["critical_paths"]["executions_recomputed"] = 40
    assert "; 2 others: up to 40 executions recomputed)" in str(analytics_line(first_load))


@pytest.mark.parametrize("command", ["demo", "simulate"])
def test_a_port_in_use_is_one_line_saying_so(tmp_path: Path, command: str) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [str(CLI), command, "--port", str(port)],
            env={"PATH": os.environ.get("PATH", ""), "WAREHOUSE_DIR": str(tmp_path / "wh")},
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: the simulator cannot listen on 127.0.0.1:{port} (Address already in use); "
        "choose another --port, or 0 for any free one"
    ), result.stderr
    assert "Traceback" not in result.stderr and "Press Ctrl-C" not in result.stdout
