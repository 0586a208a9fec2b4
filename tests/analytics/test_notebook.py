"""The notebook executes against a small warehouse, so it cannot rot unnoticed."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from matplotlib.figure import Figure

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "analytics.py"


@pytest.fixture
def notebook_env(world_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "warehouse"
    shutil.copytree(world_dir, target)
    monkeypatch.setenv("WAREHOUSE_DIR", str(target))
    monkeypatch.setenv("SLA_TARGETS_FILE", str(world_dir / "sla_targets.csv"))
    return target


def test_notebook_cells_run_and_build_every_chart(notebook_env: Path) -> None:
    spec = importlib.util.spec_from_file_location("analytics_notebook", NOTEBOOK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
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
