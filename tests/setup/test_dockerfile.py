"""The Dockerfile's steps, run here without a container engine: its COPY and RUN instructions in
a fresh directory and venv (paths mapped into a temporary directory), then the code location
loads from the result with PYTHONDONTWRITEBYTECODE=1 as in the image."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    result: list[tuple[str, str]] = []
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        name, _, args = current.partition(" ")
        result.append((name.upper(), args.strip()))
        current = ""
    return result


def test_image_runs_as_a_user_other_than_root() -> None:
    steps = instructions((REPO / "Dockerfile").read_text())
    users = [args for name, args in steps if name == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert any(name == "CMD" and "pipelines.definitions" in args for name, args in steps)
    env = " ".join(args for name, args in steps if name == "ENV")
    assert "PYTHONDONTWRITEBYTECODE=1" in env


@pytest.mark.slow
@pytest.mark.integration
def test_dockerfile_steps_build_a_code_location_that_loads(tmp_path: Path) -> None:
    app, venv, data = tmp_path / "app", tmp_path / "venv", tmp_path / "data"
    mapping = {"/opt/venv": str(venv), "/var/lib/workflow-analytics": str(data), "/app": str(app)}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "DAGSTER_"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    ran = 0
    for name, args in instructions((REPO / "Dockerfile").read_text()):
        for image_path, here in mapping.items():
            args = args.replace(image_path, here)
        if name == "FROM":
            assert "python:3.11" in args and sys.version_info >= (3, 11)
        elif name == "WORKDIR":
            app.mkdir(parents=True)
        elif name == "ENV":
            for key, value in re.findall(r"(\w+)=(\S+)", args):
                env[key] = value.replace("$PATH", env.get("PATH", ""))
        elif name == "COPY":
            *sources, target = args.split()
            for source in sources:
                src = REPO / source.rstrip("/")
                dst = app / target if target not in ("./", ".") else app / src.name
                if src.is_dir():
                    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"))
                else:
                    dst.parent.mkdir(parents=True, exist_ok=True)  # as COPY does
                    shutil.copy(src, dst)
        elif name == "RUN":
            if args.startswith("useradd"):
                # Creating the image's system user needs root on this machine; the image's
                # user is checked by the test above.
                continue
            # `python` of the base image: this interpreter's (3.11+) for the venv. uv reads
            # the packages from this machine's cache instead of downloading them again.
            command = re.sub(r"(?<![\w/.-])python(?= )", sys.executable, args)
            command = command.replace("uv pip install --no-cache ", "uv pip install ")
            result = subprocess.run(
                ["sh", "-c", command], cwd=app, env=env, capture_output=True, text=True,
                timeout=1200,
            )  # fmt: skip
            assert result.returncode == 0, f"RUN {command}\n{result.stdout}\n{result.stderr}"
            ran += 1
    assert ran >= 2
    site = next((venv / "lib").glob("python3.*/site-packages"))
    assert list((site / "dagster" / "__pycache__").glob("__init__.cpython-*.pyc"))
    assert list((app / "assets" / "__pycache__").glob("*.pyc"))
    # Only the runtime dependencies: no test tools in the image.
    assert not (site / "pytest").exists() and not (site / "cognite").exists()
    # The code location loads as `dagster api grpc` would load it.
    result = subprocess.run(
        [str(venv / "bin" / "dagster"), "definitions", "validate", "-m", "pipelines.definitions"],
        cwd=app,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Welcome to Dagster" not in result.stdout + result.stderr
