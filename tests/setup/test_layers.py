"""The layer contracts in pyproject.toml hold, and would catch an upward import; tests share
helpers only through tests/support."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES = [
    "cdf_client",
    "cdf_simulator",
    "warehouse",
    "ingest",
    "alerts",
    "assets",
    "pipelines",
    "workflow_analytics",
]


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_import_contracts_hold() -> None:
    result = lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_an_upward_import_breaks_the_layers(tmp_path: Path) -> None:
    for package in PACKAGES:
        shutil.copytree(REPO / package, tmp_path / package, ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(REPO / "pyproject.toml", tmp_path)
    # A lazy import inside a function, the kind that hid a cycle before.
    store = tmp_path / "warehouse" / "store.py"
    store.write_text(
        store.read_text() + "\n\ndef _upward() -> None:\n    import pipelines.definitions\n"
    )
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout
    assert "warehouse.store -> pipelines.definitions" in result.stdout


def _imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names.append("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
    return names


def test_tests_share_helpers_only_through_tests_support() -> None:
    offenders = []
    for path in sorted((REPO / "tests").rglob("*.py")):
        for module in _imported_modules(path):
            last = module.rsplit(".", 1)[-1]
            from_tests = module.startswith(("tests.", "."))
            if from_tests and (last == "conftest" or last.startswith("test_")):
                offenders.append(f"{path.relative_to(REPO)} imports {module}")
    assert offenders == []
