"""The quick check of WAREHOUSE_DIR: it answers without leaving anything behind, and runs that
make the same new directory at the same time do not disturb each other's check."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from warehouse.lock import WarehouseUnwritableError, check_writable, writable_directory

ROUNDS = 500


def test_a_good_directory_passes_and_nothing_is_left(tmp_path: Path) -> None:
    check_writable(tmp_path / "a" / "b")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "wh").mkdir()
    check_writable(tmp_path / "wh")
    assert list((tmp_path / "wh").iterdir()) == []


def test_a_file_system_that_refuses_is_named_though_the_bits_allow_it() -> None:
    # Root's permission bits allow /sys; the file system refuses all the same. Another user
    # is stopped by the bits, with their own words.
    root = os.geteuid() == 0
    with pytest.raises(WarehouseUnwritableError) as raised:
        check_writable(Path("/sys"))
    assert ("/sys cannot be written (" if root else "/sys is not writable") in str(raised.value)
    with pytest.raises(WarehouseUnwritableError, match=r"/sys/x/wh cannot be created"):
        check_writable(Path("/sys/x/wh"))


def test_checks_and_makes_of_the_same_new_directory_at_once(tmp_path: Path) -> None:
    # Two runs on a fresh WAREHOUSE_DIR (or parallel backfill partitions): one checks the
    # directory while the other makes it. Each round both start on a new one together.
    failures: list[BaseException] = []
    together = threading.Barrier(2)

    def repeat(action: Callable[[Path], object]) -> None:
        for i in range(ROUNDS):
            together.wait()
            try:
                action(tmp_path / f"wh{i}" / "inner")
            except BaseException as exc:
                failures.append(exc)

    threads = [
        threading.Thread(target=repeat, args=(check_writable,)),
        threading.Thread(target=repeat, args=(writable_directory,)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert not list(tmp_path.rglob(".workflow-analytics-probe-*"))
