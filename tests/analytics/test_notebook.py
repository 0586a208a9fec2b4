"""The notebook executes against a small warehouse, so it cannot rot unnoticed."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from matplotlib.figure import Figure

from workflow_analytics.report import Filters, load_analytics, render_html

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "analytics.py"


@pytest.fixture
def notebook_env(world_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "warehouse"
    shutil.copytree(world_dir, target)
    monkeypatch.setenv("WAREHOUSE_DIR", str(target))
    monkeypatch.setenv("SLA_TARGETS_FILE", str(world_dir / "sla_targets.csv"))
    return target


def _load_notebook() -> Any:
    spec = importlib.util.spec_from_file_location("analytics_notebook", NOTEBOOK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_notebook_cells_run_and_build_every_chart(notebook_env: Path) -> None:
    module = _load_notebook()
    _outputs, defs = module.app.run()
    assert defs["data"].total_executions == 14
    titles = {
        name: defs[name].axes[0].get_title()
        for name in (
            "success_chart", "duration_chart", "reasons_chart", "sla_chart", "critical_chart",
        )
    }  # fmt: skip
    assert all(isinstance(defs[name], Figure) for name in titles)
    assert titles["critical_chart"].startswith("Slowest critical paths")
    # The SLA chart has bars (T1, E4, R2, R4, R5 breach with the world's targets).
    assert len(defs["sla_chart"].axes[0].patches) > 0
    # Filters start at everything: all projects and workflows, the world's whole date range.
    assert defs["project_filter"].value == defs["workflow_filter"].value == "(all)"
    assert defs["date_filter"].value == (date(2024, 5, 1), date(2024, 5, 2))
    assert defs["data"].filters == Filters(since=date(2024, 5, 1), until=date(2024, 5, 2))


def test_notebook_filters_narrow_every_section(notebook_env: Path) -> None:
    import marimo as mo

    module = _load_notebook()
    _outputs, defs = module.app.run(
        defs={
            "project_filter": mo.ui.dropdown(["(all)", "analytics-world"], value="analytics-world"),
            "date_filter": mo.ui.date_range(value=(date(2024, 5, 2), date(2024, 5, 2))),
            "workflow_filter": mo.ui.dropdown(["(all)", "etl"], value="etl"),
        }
    )
    data = defs["data"]
    assert data.filters == Filters("analytics-world", "etl", date(2024, 5, 2), date(2024, 5, 2))
    # etl has 7 executions, 4 of them created on 2024-05-02.
    assert data.total_executions == 4
    assert data.latest_sla_breaches is not None and data.latest_sla_breaches.height > 0
    for frame in (data.workflow_summary, data.latest_sla_breaches, data.mttr_by_workflow):
        assert set(frame["workflow"]) == {"etl"}
    assert set(data.durations["workflow_external_id"]) == {"etl"}
    assert set(data.capacity["day"]) == {date(2024, 5, 2)}


def test_notebook_sections_are_titled_and_formatted(notebook_env: Path) -> None:
    text = NOTEBOOK.read_text(encoding="utf-8")
    # Every section goes through show_section (heading, explanation, titled tables): no frame
    # is displayed bare.
    shown = re.findall(r'show_section\("([a-z-]+)"', text)
    assert len(shown) == 11 and len(set(shown)) == 11
    assert not re.search(r"^\s+data\.[a-z_]+,?$", text, re.M)


# Patterns that would make a page fetch something: scripts, styles, images, imports.
ONLINE = re.compile(r"""(src|href)\s*=\s*["']?\s*(https?:)?//|url\(\s*["']?(https?:)?//|@import""")


def test_offline_export_references_nothing_online(notebook_env: Path) -> None:
    """The notebook's download (and `workflow-analytics report`) is a page that works offline."""
    data = load_analytics(notebook_env, filters=Filters(workflow="etl", since=date(2024, 5, 2)))
    page = render_html(data)
    assert "<script" not in page and not ONLINE.search(page)
    assert "Showing workflow etl, executions created 2024-05-02 to the last day (UTC)" in page
    assert page.count('src="data:image/png;base64,') == 5


def test_notebook_runs_as_a_plain_script(notebook_env: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(NOTEBOOK)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
    )
    assert result.returncode == 0, result.stderr[-3000:]
