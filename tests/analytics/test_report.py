"""The HTML report: content, self-containment, and a real render in headless Chromium."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from PIL import Image, ImageStat
from typer.testing import CliRunner

from tests.support.held_open import held_open
from warehouse.errors import BEING_WRITTEN
from warehouse.store import Warehouse
from workflow_analytics.cli import _register_commands, app
from workflow_analytics.report import Filters, ReportError, build_report, load_analytics

CHROMIUM = Path(shutil.which("chromium") or "/usr/bin/chromium")
CHART_IDS = ("success-rate", "durations", "failure-reasons", "sla-breaches", "critical-paths")


@pytest.fixture
def warehouse_copy(world_dir: Path, tmp_path: Path) -> Path:
    """The report refreshes views and targets, so it gets its own copy of the world."""
    target = tmp_path / "warehouse"
    shutil.copytree(world_dir, target)
    return target


@pytest.fixture
def sla_env(world_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLA_TARGETS_FILE", str(world_dir / "sla_targets.csv"))


def _charts(text: str) -> dict[str, str]:
    found = re.findall(
        r'<figure id="chart-([a-z-]+)" class="chart"><img alt="[^"]*" '
        r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"',
        text,
    )
    return dict(found)


def test_report_holds_the_charts_and_tables(
    warehouse_copy: Path, tmp_path: Path, sla_env: None
) -> None:
    output = build_report(warehouse_copy, tmp_path / "out" / "report.html")
    text = output.read_text(encoding="utf-8")
    charts = _charts(text)
    assert tuple(charts) == CHART_IDS
    # Real PNGs of some size, not placeholders.
    assert all(len(b64) > 5_000 for b64 in charts.values())
    assert "14 executions" in text
    # Tables carry the views' numbers: the grouped reason and the slowest critical path (E4).
    assert "Execution timed out after &lt;n&gt; s at &lt;time&gt; in &lt;value&gt;" in text
    assert "<td>extract</td>" in text
    # With the world's targets, T1 (tiny) breaches the '*' budget and appears in the list.
    assert "<td>T1</td>" in text
    # Self-contained: nothing is fetched from anywhere.
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", text)
    assert "<script" not in text


def test_report_renders_in_headless_chromium(
    warehouse_copy: Path, tmp_path: Path, sla_env: None
) -> None:
    if not CHROMIUM.exists():  # `make test` installs Debian's package (scripts/need-chromium)
        pytest.fail("chromium is not on PATH (apt-get install chromium)")
    output = build_report(warehouse_copy, tmp_path / "report.html")
    screenshot = tmp_path / "report.png"
    profile = tmp_path / "chromium-profile"
    result = subprocess.run(
        [
            str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", f"--user-data-dir={profile}", f"--screenshot={screenshot}",
            "--window-size=1280,2000", output.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "HOME": str(tmp_path)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    with Image.open(screenshot) as image:
        assert image.size == (1280, 2000)
        grey = image.convert("L")
        stat = ImageStat.Stat(grey)
        # A blank page has (almost) no variance; charts and tables give plenty.
        assert stat.var[0] > 200
        dark = sum(grey.histogram()[:128])
        assert dark / (1280 * 2000) > 0.01


def test_report_of_an_empty_warehouse(tmp_path: Path, sla_env: None) -> None:
    with Warehouse(tmp_path / "empty") as wh:
        wh.ensure_schema()
    text = build_report(tmp_path / "empty", tmp_path / "empty.html").read_text(encoding="utf-8")
    assert tuple(_charts(text)) == CHART_IDS
    assert "0 executions" in text
    assert "no failed executions" in text


def test_report_without_a_warehouse_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="no warehouse at"):
        build_report(tmp_path / "missing", tmp_path / "x.html")
    assert not (tmp_path / "x.html").exists()


def test_cli_report_command(
    warehouse_copy: Path, tmp_path: Path, sla_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _register_commands()
    monkeypatch.setenv("WAREHOUSE_DIR", str(warehouse_copy))
    runner = CliRunner()
    target = tmp_path / "cli.html"
    result = runner.invoke(app, ["report", "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert tuple(_charts(target.read_text(encoding="utf-8"))) == CHART_IDS
    # Default output: report.html in the warehouse directory.
    result = runner.invoke(app, ["report"])
    assert result.exit_code == 0, result.output
    assert (warehouse_copy / "report.html").is_file()

    # What cannot be answered is a usage error (2), with one line saying why, and no file.
    for args, words in (
        (["--since", "2026-11-01", "--until", "2026-10-01"], "is after --until"),
        (["--workflow", "no-such-workflow"], "no workflow 'no-such-workflow' in the warehouse"),
        (["--project", "no-such-project"], "no project 'no-such-project' in the warehouse"),
    ):
        wrong = tmp_path / "wrong.html"
        result = runner.invoke(app, ["report", "--output", str(wrong), *args])
        assert result.exit_code == 2, result.output
        assert words in result.output
        assert not wrong.exists()

    monkeypatch.setenv("WAREHOUSE_DIR", str(tmp_path / "nowhere"))
    result = runner.invoke(app, ["report"])
    assert result.exit_code == 2
    assert "no warehouse at" in result.output


def _column(text: str, table_caption: str) -> list[str]:
    """The first column of the table titled ``table_caption``."""
    found = re.search(rf"<caption>{re.escape(table_caption)}</caption>(.*?)</table>", text, re.S)
    assert found, table_caption
    return re.findall(r"<tr><td>([^<]*)</td>", found.group(1))


def test_report_is_titled_and_formatted_for_people(
    warehouse_copy: Path, tmp_path: Path, sla_env: None
) -> None:
    text = build_report(warehouse_copy, tmp_path / "r.html").read_text(encoding="utf-8")
    # Every table has a title, every section a heading.
    assert text.count("<table>") == text.count("<caption>") >= 8
    assert text.count("<section") == text.count("<h2>") == 11
    # Rates as percentages, durations in units, no raw fractions or millisecond columns.
    assert re.search(r'<td class="num">\d{1,3}\.\d %</td>', text)
    assert re.search(r'<td class="num">\d+(\.\d)? (ms|s|min|h)\b', text)
    assert not re.search(r">0\.\d{4,}<", text)
    assert "<th>p95 duration</th>" in text and "_ms</th>" not in text


def test_filters_narrow_every_section(warehouse_copy: Path, tmp_path: Path, sla_env: None) -> None:
    everything = build_report(warehouse_copy, tmp_path / "all.html").read_text(encoding="utf-8")
    assert set(_column(everything, "Executions per workflow")) == {"etl", "report", "bulk", "tiny"}
    only_etl = build_report(
        warehouse_copy, tmp_path / "etl.html", Filters(workflow="etl")
    ).read_text(encoding="utf-8")
    assert "7 executions" in only_etl and "Showing workflow etl" in only_etl
    for caption in ("Executions per workflow", "Latest SLA breaches", "Incidents per workflow"):
        assert set(_column(only_etl, caption)) == {"etl"}, caption
    later = load_analytics(warehouse_copy, filters=Filters(since=date(2024, 5, 2)))
    assert later.total_executions == 7
    assert set(later.workflow_summary["workflow"]) == {"etl", "report"}
    assert min(later.capacity["day"]) == date(2024, 5, 2)
    assert later.latest_sla_breaches is not None
    assert all(t.date() >= date(2024, 5, 2) for t in later.latest_sla_breaches["created_time"])
    nothing = load_analytics(warehouse_copy, filters=Filters(project="no-such-project"))
    assert nothing.total_executions == 0 and nothing.workflow_summary.is_empty()


def test_cli_report_filters(
    warehouse_copy: Path, tmp_path: Path, sla_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _register_commands()
    monkeypatch.setenv("WAREHOUSE_DIR", str(warehouse_copy))
    target = tmp_path / "filtered.html"
    result = CliRunner().invoke(
        app,
        ["report", "-o", str(target), "--workflow", "report", "--since", "2024-05-02"],
    )
    assert result.exit_code == 0, result.output
    text = target.read_text(encoding="utf-8")
    assert set(_column(text, "Executions per workflow")) == {"report"}
    assert "executions created 2024-05-02 to the last day (UTC)" in text


def test_report_of_a_warehouse_another_process_reads_uses_it_as_it_is(
    warehouse_copy: Path, sla_env: None
) -> None:
    load_analytics(warehouse_copy)  # builds the models once
    database = warehouse_copy / "workflows.duckdb"
    # A notebook holding the file read-only: DuckDB lets no process open it for writing.
    with held_open(database, read_only=True):
        data = load_analytics(warehouse_copy)
    assert data.notes == [
        "The warehouse was busy: the analytics and SLA targets were not refreshed."
    ]
    assert data.workflow_summary.height > 0


def test_report_of_a_warehouse_it_cannot_write_uses_it_as_it_is_and_says_why(
    warehouse_copy: Path, sla_env: None
) -> None:
    load_analytics(warehouse_copy)  # builds the models once
    # The writer lock cannot be taken: its file is in the way (as for a user who may only read
    # the warehouse, which a test running as root cannot be).
    lock = warehouse_copy / "workflows.duckdb.lock"
    lock.unlink(missing_ok=True)
    lock.mkdir()
    data = load_analytics(warehouse_copy)
    assert len(data.notes) == 1, data.notes
    assert data.notes[0].startswith("The warehouse could not be opened for writing (")
    assert data.notes[0].endswith("the analytics and SLA targets were not refreshed.")
    assert data.workflow_summary.height > 0


def test_report_while_an_ingest_writes_the_file_is_one_clear_error(
    warehouse_copy: Path, sla_env: None, tmp_path: Path
) -> None:
    load_analytics(warehouse_copy)
    database = warehouse_copy / "workflows.duckdb"
    with held_open(database), pytest.raises(ReportError) as caught:
        build_report(warehouse_copy, tmp_path / "report.html")
    assert str(caught.value) == BEING_WRITTEN


def test_report_to_a_directory_is_a_usage_error_and_leaves_nothing(
    warehouse_copy: Path, sla_env: None, tmp_path: Path
) -> None:
    with pytest.raises(ReportError, match="is a directory"):
        build_report(warehouse_copy, tmp_path)
    assert not (tmp_path.parent / f"{tmp_path.name}.tmp").exists()
