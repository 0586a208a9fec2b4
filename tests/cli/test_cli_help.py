"""What a user reads in `--help` and in the answer to a mistyped option."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

COMMANDS = ("", "ingest", "demo", "sql", "simulate", "report")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    command = "import sys; from workflow_analytics.cli import main; sys.argv[0] = 'wa'; main()"
    return subprocess.run(
        [sys.executable, "-c", command, *args],
        env={**os.environ, "COLUMNS": "120", "NO_COLOR": "1", "TERM": "dumb"},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_help_shows_no_value_beside_a_switch(command: str) -> None:
    result = _run(*[c for c in (command,) if c], "--help")
    assert result.returncode == 0, result.stderr
    switch_lines = [line for line in result.stdout.splitlines() if "--help" in line]
    assert switch_lines, result.stdout
    # A switch takes no value: nothing may stand between it and its help text (typer 0.29
    # printed `<bool>` there, `--help` included).
    assert "<bool>" not in result.stdout
    assert all("Show this message and exit." in line for line in switch_lines)


@pytest.mark.parametrize(
    ("day", "words"),
    [
        ("2026-13-01", "2026-13-01 is not a day: month must be in 1..12"),
        ("2026-02-30", "2026-02-30 is not a day: day is out of range for month"),
        ("2026/01/01", "2026/01/01 is not a day written YYYY-MM-DD"),
        ("20260101", "20260101 is not a day written YYYY-MM-DD"),
    ],
)
def test_report_names_what_is_wrong_with_a_day(day: str, words: str, tmp_path) -> None:
    result = _run("report", "--since", day, "-o", str(tmp_path / "r.html"))
    assert result.returncode == 2
    assert words in " ".join(result.stderr.replace("│", " ").split())
    assert not (tmp_path / "r.html").exists()


def test_an_argument_keeps_its_help_text() -> None:
    # typer 0.25 with click 8.5 dropped it (the lock pins click 8.4).
    result = _run("sql", "--help")
    assert "A SQL query over the warehouse tables and views" in result.stdout


def test_dg_help_lists_its_commands() -> None:
    # The README sends users to `dg dev` and `dg launch`; typer 0.26 on (its own copy of click)
    # made `dg --help` print its usage line alone.
    dg = os.path.join(os.path.dirname(sys.executable), "dg")
    result = subprocess.run(
        [dg, "--help"],
        env={**os.environ, "COLUMNS": "120", "NO_COLOR": "1", "TERM": "dumb"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    commands = {line.split()[1] for line in result.stdout.splitlines() if line.startswith("│ ")}
    assert {"dev", "launch", "check"} <= commands, result.stdout
