"""The ingest's progress reports: how far the listing has got through its createdTime window,
and when the run first asked CDF."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from cdf_client.config import CdfConfig
from cdf_simulator import Simulator, create_app
from ingest.executions import IngestReport, IngestSettings
from ingest.list_items import listing_position
from ingest.runner import run_ingest
from tests.support.sim import SIM_NOW_MS, small_sim_config

DAY_MS = 86_400_000


def test_listing_position_is_the_span_listed_over_the_window() -> None:
    assert listing_position(0, 1000, None, None) == 0.0
    # Pages oldest first or newest first: the span listed grows from one end.
    assert listing_position(0, 1000, 0, 250) == 0.25
    assert listing_position(0, 1000, 750, 1000) == 0.25
    # No window start (a first load): the window starts at the oldest execution listed.
    assert listing_position(None, 1000, 200, 600) == 0.5
    assert listing_position(0, 1000, 0, 5000) == 1.0  # never past the end
    assert listing_position(None, 1000, 1000, 1000) == 0.0
    # Newest first, without a window start: the history starts at most CDF's retention before
    # the end, so the position is a low estimate until the listing ends.
    end = 200 * DAY_MS
    assert listing_position(None, end, end - 9 * DAY_MS, end, newest_first=True) == 0.1
    assert listing_position(None, end, end - 180 * DAY_MS, end, newest_first=True) == 1.0


def test_a_first_load_listed_newest_first_never_runs_ahead_of_its_share(
    inprocess_config: CdfConfig, tmp_path: Path
) -> None:
    """Taking the oldest execution listed as the window's start, a listing that walks down
    would have been almost done from its first page on (its newest execution is now)."""
    # On the wall clock, as CDF is: the listing's window ends now.
    newest_first = Simulator(small_sim_config(list_newest_first=True, now_ms=None))
    transport = httpx.ASGITransport(app=create_app(newest_first))
    report, pages = _run(inprocess_config, tmp_path / "wh", transport)
    positions = [position for _, position in pages]
    assert positions == sorted(positions) and 0.0 < positions[-1] < 1.0
    for listed, position in pages:
        assert position <= listed / report.listed, (position, listed, report.listed)
    assert report.listing_position == 1.0


def _run(
    config: CdfConfig, directory: Path, transport: httpx.ASGITransport, **settings: int
) -> tuple[IngestReport, list[tuple[int, float]]]:
    seen: list[tuple[int, float]] = []

    def progress(report: IngestReport) -> None:
        seen.append((report.listed, report.listing_position))

    settings = {"page_size": 100, **settings}
    report = run_ingest(
        config, directory, IngestSettings(**settings), transport=transport, progress=progress
    )
    pages = [(listed, position) for listed, position in seen if position < 1.0]
    assert len(pages) >= 5, "the world should need several pages for this test to mean much"
    return report, pages


def test_progress_reports_the_listing_position_as_it_grows(
    transport: httpx.ASGITransport, inprocess_config: CdfConfig, warehouse_path: Path
) -> None:
    before = time.time()
    report, pages = _run(inprocess_config, warehouse_path, transport)
    positions = [position for _, position in pages]
    assert positions == sorted(positions)  # the simulator pages oldest first
    # A first load's first page does not tell which way the pages walk.
    assert positions[0] == 0.0 < positions[1] < positions[-1] < 1.0
    assert report.listing_position == 1.0  # the listing ended
    assert report.first_request_at is not None
    assert before <= report.first_request_at <= time.time()


def test_listing_position_follows_the_share_listed_in_a_window(
    transport: httpx.ASGITransport, inprocess_config: CdfConfig, tmp_path: Path
) -> None:
    # An explicit window of whole days (a backfill): its end is known, and the simulated
    # executions are spread evenly enough over days for position and share listed to agree.
    end = SIM_NOW_MS - SIM_NOW_MS % DAY_MS
    report, pages = _run(
        inprocess_config,
        tmp_path / "wh",
        transport,
        window_start_ms=end - 6 * DAY_MS,
        window_end_ms=end,
        page_size=25,
    )
    for listed, position in pages[len(pages) // 4 :]:
        assert abs(position - listed / report.listed) < 0.2, (position, listed, report.listed)
