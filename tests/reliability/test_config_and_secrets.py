"""Bad configuration through the real command line, and secrets kept out of every output.

``workflow-analytics ingest`` runs as a subprocess with only the environment given here. A bad
configuration gives one clear line on stderr, a non-zero exit and no file; a good run with a
distinctive client secret leaves neither the secret nor any issued token in stdout, stderr, the
warehouse (DuckDB tables and Parquet contents), Dagster's storage, logs or metadata.
"""

from __future__ import annotations

import logging
import os
import socket
import sqlite3
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest

from cdf_client.client import WorkflowsClient
from cdf_simulator import FaultConfig, Simulator, run_server
from ingest.settings import CdfSettings
from tests.support.reliability import tiny_sim

CLI = Path(sys.executable).parent / "workflow-analytics"
CLIENT_ID = "reliability-client"
SECRET = "Sx-7fQ2-distinctive-SECRET-9zK"


@pytest.fixture(scope="module")
def sim() -> Simulator:
    # Fixed credentials (anything else is refused); 5 % of API requests answer 503.
    return tiny_sim(FaultConfig(rate_503=0.05), client_id=CLIENT_ID, client_secret=SECRET)


@pytest.fixture(scope="module")
def url(sim: Simulator) -> Iterator[str]:
    with run_server(sim) as base_url:
        yield base_url


def _env(url: str, tmp_path: Path, **changes: str | None) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "WAREHOUSE_DIR": str(tmp_path / "wh"),
        "CDF_URL": url,
        "CDF_PROJECT": "test-project",
        "IDP_TOKEN_URL": f"{url}/oauth2/token",
        "IDP_CLIENT_ID": CLIENT_ID,
        "IDP_CLIENT_SECRET": SECRET,
        # 5 % of requests answer 503: with 3 attempts one request in 8,000 fails three times,
        # and a run of a few hundred requests then fails now and then. 8 attempts make a run
        # that must succeed succeed; the unreachable case sets its own 3.
        "CDF_MAX_ATTEMPTS": "8",
        "CDF_MAX_RETRY_SECONDS": "5",
    }
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def _ingest(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CLI), "ingest", *args], env=env, capture_output=True, text=True, timeout=300
    )


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


BAD_CONFIGS: dict[str, tuple[dict[str, str | None], str]] = {
    "no-project": ({"CDF_PROJECT": None}, "CDF_PROJECT is not set"),
    "no-url": ({"CDF_URL": None}, "set CDF_URL"),
    "no-secret": ({"IDP_CLIENT_SECRET": None}, "missing IDP_CLIENT_SECRET"),
    "bad-url": ({"CDF_URL": "ftp://example.com"}, "CDF_URL must be an http(s) URL"),
    "bad-number": ({"CDF_CONCURRENCY": "lots"}, "CDF_CONCURRENCY must be an integer"),
    "bad-switch": ({"INGEST_REFETCH_OPEN": "sometimes"}, "INGEST_REFETCH_OPEN must be one of"),
    "bad-memory": (
        {"WAREHOUSE_DUCKDB_MEMORY": "lots"},
        "WAREHOUSE_DUCKDB_MEMORY must be a size such as 4GB",
    ),
    "plain-http": (
        {"CDF_URL": "http://westeurope-1.cognitedata.com"},
        "uses plain http for westeurope-1.cognitedata.com",
    ),
    "wrong-secret": (
        {"IDP_CLIENT_SECRET": "not-the-" + SECRET},
        "refused the client credentials (401)",
    ),
    "wrong-project": ({"CDF_PROJECT": "someone-elses"}, "no access to CDF project"),
    "unreachable": (
        {"CDF_URL": "closed-port"},
        "the identity provider (IDP_TOKEN_URL) did not answer after 3 attempts",
    ),
    "cdf-unreachable": (
        {"CDF_URL": "closed-port", "IDP_TOKEN_URL": "live"},
        "did not answer list requests after 3 attempts",
    ),
    "token-url-typo": (
        {"IDP_TOKEN_URL": "typo"},
        "has no token endpoint at ",
    ),
}


@pytest.mark.integration
@pytest.mark.parametrize("case", list(BAD_CONFIGS))
def test_bad_configuration_is_one_line_a_nonzero_exit_and_no_file(
    case: str, url: str, tmp_path: Path
) -> None:
    changes, words = BAD_CONFIGS[case]
    if changes.get("CDF_URL") == "closed-port":
        dead = f"http://127.0.0.1:{_closed_port()}"
        token_url = f"{url if changes.get('IDP_TOKEN_URL') == 'live' else dead}/oauth2/token"
        changes = {"CDF_URL": dead, "IDP_TOKEN_URL": token_url, "CDF_MAX_ATTEMPTS": "3"}
        if case == "cdf-unreachable":  # the host it tried is named: a cluster typo shows
            words = f"CDF at {dead} did not answer list requests after 3 attempts"
    if changes.get("IDP_TOKEN_URL") == "typo":
        changes = {"IDP_TOKEN_URL": f"{url}/oauth2/tokn"}
        words = f"has no token endpoint at {url}/oauth2/tokn (404): check IDP_TOKEN_URL"
    result = _ingest(_env(url, tmp_path, **changes))
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and words in lines[0], lines[0]
    assert SECRET not in result.stderr + result.stdout
    assert not (tmp_path / "wh").exists(), "a failed configuration wrote files"


# --- secrets ---------------------------------------------------------------------------------


def _issued_tokens(sim: Simulator) -> list[str]:
    with sim.tokens._lock:
        return list(sim.tokens._expiry)


def _texts_under(directory: Path) -> Iterator[tuple[str, str]]:
    """Every file's bytes as text, and the decoded contents of DuckDB and Parquet files."""
    for path in sorted(directory.rglob("*")):
        if not path.is_file():
            continue
        yield str(path), path.read_bytes().decode("latin-1")
        if path.suffix == ".parquet":
            yield f"{path} (rows)", repr(pq.read_table(path).to_pylist())
        elif path.name.endswith(".duckdb"):
            yield f"{path} (tables)", _duckdb_dump(path)
        elif path.suffix == ".db":  # Dagster's run and event storage (SQLite)
            yield f"{path} (tables)", _sqlite_dump(path)


def _duckdb_dump(path: Path) -> str:
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        return repr([con.execute(f'SELECT * FROM "{t}"').fetchall() for t in tables])
    finally:
        con.close()


def _sqlite_dump(path: Path) -> str:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return repr([con.execute(f'SELECT * FROM "{t}"').fetchall() for t in tables])
    finally:
        con.close()


def _assert_secret_free(texts: Iterator[tuple[str, str]], tokens: list[str]) -> int:
    searched = 0
    for where, text in texts:
        searched += 1
        assert SECRET not in text, f"client secret found in {where}"
        for token in tokens:
            assert token not in text, f"an issued token found in {where}"
    return searched


@pytest.mark.integration
def test_no_secret_or_token_in_any_output_of_a_cli_run(
    sim: Simulator, url: str, tmp_path: Path
) -> None:
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    env = _env(url, tmp_path, DAGSTER_HOME=str(dagster_home))
    quiet = _ingest(env)
    assert quiet.returncode == 0, quiet.stderr
    verbose = _ingest(env, "--verbose")  # Dagster's whole event log on stderr
    assert verbose.returncode == 0, verbose.stderr
    tokens = _issued_tokens(sim)
    assert tokens, "the simulator issued no token"
    outputs = [
        (f"{name} {stream}", getattr(result, stream))
        for name, result in (("quiet", quiet), ("verbose", verbose))
        for stream in ("stdout", "stderr")
    ]
    searched = _assert_secret_free(iter(outputs), tokens)
    searched += _assert_secret_free(_texts_under(tmp_path / "wh"), tokens)
    searched += _assert_secret_free(_texts_under(dagster_home), tokens)
    assert searched > 20


@pytest.mark.integration
def test_no_secret_or_token_in_logs_metadata_or_errors_of_an_in_process_run(
    sim: Simulator,
    url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from workflow_analytics.dagster_run import run_nightly_job

    for name, value in _env(url, tmp_path, DAGSTER_HOME=None).items():
        if name not in ("PATH", "HOME"):
            monkeypatch.setenv(name, value)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    caplog.set_level(logging.DEBUG)  # httpx, httpcore, dagster, ours: everything
    outcome = run_nightly_job(verbose=True, step_retries=False)
    assert outcome.success, outcome.error
    metadata = outcome.metadata["workflow_executions"]
    # The run's metadata counts the retries the 503s caused (5 % of API requests).
    assert metadata["api_retries"] > 0

    # A refused secret: the error names the fix, never the value.
    monkeypatch.setenv("IDP_CLIENT_SECRET", "wrong-" + SECRET)
    failed = run_nightly_job(verbose=True, step_retries=False)
    assert not failed.success and "refused the client credentials" in (failed.error or "")

    tokens = _issued_tokens(sim)
    texts = [
        ("captured logs", caplog.text),
        ("metadata", repr(outcome.metadata)),
        ("error", repr(failed.error)),
    ]
    _assert_secret_free(iter(texts), tokens)
    assert "wrong-" + SECRET not in caplog.text + repr(failed.error)
    _assert_secret_free(_texts_under(tmp_path / "wh"), tokens)


def test_tls_is_verified_by_default_and_no_variable_turns_it_off() -> None:
    config = CdfSettings.load(
        {
            "CDF_CLUSTER": "westeurope-1",
            "CDF_PROJECT": "p",
            "IDP_TOKEN_URL": "https://login.example.com/token",
            "IDP_CLIENT_ID": "id",
            "IDP_CLIENT_SECRET": SECRET,
            "CDF_VERIFY_TLS": "false",  # not a setting: ignored
            "SSL_VERIFY": "0",
        }
    ).cdf_config()
    assert config.verify_tls is True
    assert config.base_url.startswith("https://")
    assert SECRET not in repr(config)
    client = WorkflowsClient(config)
    # The network transport is aiohttp's (cdf_client.transport) with httpx's TLS context.
    context: Any = client._http._transport.ssl_context  # type: ignore[attr-defined]
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
