"""A first run killed while DuckDB creates its file leaves nothing that stops the next run.

A child process creates new warehouse files one after another and is SIGKILLed after a while,
wherever it is (often inside DuckDB's creation of a file). Every ``workflows.duckdb`` left
behind must open, and a new run in the same directory must succeed.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from warehouse.dbfile import CREATING_SUFFIX, create_if_missing
from warehouse.store import DATABASE_FILE, Warehouse

CHILD = """
import sys
from pathlib import Path
from warehouse.dbfile import create_if_missing
root = Path(sys.argv[1])
print("ready", flush=True)
for i in range(100_000):
    create_if_missing(root / str(i) / "workflows.duckdb")
"""


def test_files_left_by_kills_during_creation_all_open(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parents[2]
    for attempt, delay in enumerate((0.2, 0.5, 0.8)):
        root = tmp_path / str(attempt)
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(root)], cwd=repo, stdout=subprocess.PIPE, text=True
        )
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        made = sorted(root.glob(f"*/{DATABASE_FILE}"))
        assert made, "the child created no file before it was killed"
        for path in made:
            duckdb.connect(str(path), read_only=True).close()
        # The directory it was working on when killed: the next run there starts cleanly.
        last = root / str(len(list(root.iterdir())) - 1)
        with Warehouse(last) as wh:
            assert wh.connection.execute("SELECT 1").fetchone() == (1,)
        assert not list(last.glob(f"*{CREATING_SUFFIX}*"))


def test_a_leftover_of_a_killed_creation_is_made_again(tmp_path: Path) -> None:
    path = tmp_path / DATABASE_FILE
    leftover = path.with_name(path.name + CREATING_SUFFIX)
    leftover.write_bytes(b"DUCK" + b"\0" * 100)  # headers cut short by a kill
    create_if_missing(path)
    assert not leftover.exists()
    duckdb.connect(str(path), read_only=True).close()
    create_if_missing(path)  # an existing file is left as it is
    assert path.exists()
