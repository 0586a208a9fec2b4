"""The README's set-up from a clean clone: `make install` builds a venv that starts fast with
PYTHONDONTWRITEBYTECODE=1 (bytecode compiled at install), and the commands answer."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _run(command: list[str], cwd: Path, env: dict[str, str], timeout: float = 900) -> str:
    result = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"{command}: {result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


def _site_packages(venv: Path) -> Path:
    return next((venv / "lib").glob("python3.*/site-packages"))


@pytest.mark.slow
@pytest.mark.integration
def test_make_install_from_a_clean_clone_compiles_bytecode_and_the_cli_answers(
    tmp_path: Path,
) -> None:
    git = shutil.which("git")
    assert git, "git is needed to clone the repository"
    clone = tmp_path / "clone"
    _run([git, "clone", "--quiet", str(REPO), str(clone)], tmp_path, dict(os.environ))
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("VIRTUAL_ENV", "CDF_", "IDP_", "WAREHOUSE_", "DAGSTER_HOME"))
    }
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    _run(["make", "install"], clone, env)
    venv = clone / ".venv"
    # Dependencies and the project's own packages carry their bytecode.
    site = _site_packages(venv)
    assert list((site / "dagster" / "__pycache__").glob("__init__.cpython-*.pyc"))
    assert list((site / "polars" / "__pycache__").glob("*.pyc"))
    assert list((clone / "pipelines" / "__pycache__").glob("definitions.cpython-*.pyc"))

    help_text = _run([str(venv / "bin" / "workflow-analytics"), "--help"], clone, env, 120)
    for command in ("ingest", "demo", "sql", "simulate", "report"):
        assert command in help_text
    # A configuration error is one line and exit 2, before Dagster loads.
    env_no_cdf = {**env, "WAREHOUSE_DIR": str(tmp_path / "wh")}
    result = subprocess.run(
        [str(venv / "bin" / "workflow-analytics"), "ingest"],
        cwd=clone,
        env=env_no_cdf,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and result.stderr.startswith("error: "), result.stderr
    # A second `make install` with nothing changed is a no-op.
    assert "installed into" not in _run(["make", "install"], clone, env)
    # `make test` sets up Chromium itself before the tests (see scripts/need-chromium).
    dry = _run(["make", "-n", "test"], clone, env)
    assert "scripts/need-chromium" in dry
