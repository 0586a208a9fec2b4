"""Expected fire times from cron in a time zone, worked out by hand across DST changes.

Europe/Oslo is UTC+1 (CET) in winter and UTC+2 (CEST) in summer; in 2025 the clocks go
forward on Sunday 30 March at 02:00 local (01:00 UTC) and back on Sunday 26 October at 03:00
local (01:00 UTC).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ingest.trigger_ingest import TriggerReport, _expected_for
from warehouse.trigger_tables import CronError, expected_fire_times, expected_fires_frame


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_daily_fire_moves_an_hour_earlier_in_utc_when_summer_time_starts() -> None:
    fires = expected_fire_times(
        "0 6 * * *", "Europe/Oslo", utc("2025-03-28T00:00"), utc("2025-04-01T00:00")
    )
    # 06:00 CET = 05:00 UTC on Friday and Saturday; 06:00 CEST = 04:00 UTC from Sunday on.
    assert fires == [
        utc("2025-03-28T05:00"),
        utc("2025-03-29T05:00"),
        utc("2025-03-30T04:00"),
        utc("2025-03-31T04:00"),
    ]


def test_daily_fire_moves_back_in_october_and_fixed_hours_fire_once_in_the_repeated_hour() -> None:
    six = expected_fire_times(
        "0 6 * * *", "Europe/Oslo", utc("2025-10-25T00:00"), utc("2025-10-28T00:00")
    )
    assert six == [utc("2025-10-25T04:00"), utc("2025-10-26T05:00"), utc("2025-10-27T05:00")]
    # 02:30 happens twice on 26 October (00:30 UTC in CEST, 01:30 UTC in CET): counted once.
    half_past_two = expected_fire_times(
        "30 2 * * *", "Europe/Oslo", utc("2025-10-25T00:00"), utc("2025-10-28T00:00")
    )
    assert half_past_two == [
        utc("2025-10-25T00:30"),
        utc("2025-10-26T00:30"),
        utc("2025-10-27T01:30"),
    ]


def test_a_time_in_the_skipped_hour_fires_when_the_clocks_jump() -> None:
    # 02:30 does not exist on 30 March: the fire comes at 03:00 CEST (01:00 UTC).
    fires = expected_fire_times(
        "30 2 * * *", "Europe/Oslo", utc("2025-03-29T00:00"), utc("2025-04-01T00:00")
    )
    assert fires == [utc("2025-03-29T01:30"), utc("2025-03-30T01:00"), utc("2025-03-31T00:30")]


def test_hourly_schedule_follows_real_time_through_both_changes() -> None:
    # The local day of 30 March is 23 hours long, that of 26 October 25 hours long.
    spring = expected_fire_times(
        "0 * * * *", "Europe/Oslo", utc("2025-03-29T23:00"), utc("2025-03-30T22:00")
    )
    assert len(spring) == 23
    autumn = expected_fire_times(
        "0 * * * *", "Europe/Oslo", utc("2025-10-25T22:00"), utc("2025-10-26T23:00")
    )
    assert len(autumn) == 25
    # Both 02:00s of 26 October fire: 00:00 UTC (CEST) and 01:00 UTC (CET).
    assert {utc("2025-10-26T00:00"), utc("2025-10-26T01:00")} <= set(autumn)


def test_bounds_are_start_inclusive_end_exclusive_and_utc_is_the_default() -> None:
    fires = expected_fire_times(
        "15 */6 * * *", None, utc("2025-01-01T00:15"), utc("2025-01-01T18:15")
    )
    assert fires == [utc("2025-01-01T00:15"), utc("2025-01-01T06:15"), utc("2025-01-01T12:15")]


def test_frame_keeps_the_wall_clock_time_and_the_zone() -> None:
    frame = expected_fires_frame(
        "t",
        "0 6 * * *",
        "Europe/Oslo",
        utc("2025-03-29T00:00"),
        utc("2025-03-31T00:00"),
        computed_at=utc("2025-04-01T00:00"),
    )
    assert frame["local_time"].to_list() == [datetime(2025, 3, 29, 6), datetime(2025, 3, 30, 6)]
    assert frame["scheduled_time"].to_list() == [utc("2025-03-29T05:00"), utc("2025-03-30T04:00")]
    assert frame["timezone"].to_list() == ["Europe/Oslo", "Europe/Oslo"]


@pytest.mark.parametrize(
    ("cron", "zone"), [("61 * * * *", "UTC"), ("0 6 * *", "UTC"), ("0 6 * * *", "Mars/Olympus")]
)
def test_bad_expressions_and_zones_are_refused(cron: str, zone: str) -> None:
    with pytest.raises(CronError):
        expected_fire_times(cron, zone, utc("2025-01-01T00:00"), utc("2025-01-02T00:00"))


def test_a_schedule_changed_to_one_that_cannot_be_expanded_still_resets_the_old_fires() -> None:
    changed = datetime(2026, 5, 20, tzinfo=UTC)
    now = datetime(2026, 6, 1, tzinfo=UTC)
    row = {
        "trigger_external_id": "t",
        "cron_expression": "every tuesday",
        "timezone": None,
        "created_time": datetime(2026, 1, 1, tzinfo=UTC),
        "last_updated_time": changed,
    }
    # Expected fires of the old hourly schedule were computed up to 25 May.
    until = int(datetime(2026, 5, 25, tzinfo=UTC).timestamp() * 1000)
    state = {"t": {"expected_until_ms": until, "cron": "0 * * * *", "timezone": None}}
    report = TriggerReport()
    as_of = int(now.timestamp() * 1000)
    frame, reset = _expected_for(row, state, 0, as_of, now, report)
    assert frame is None
    assert report.unexpandable == ["t"]
    # The old schedule's fires after the change are removed all the same.
    assert reset == ("t", changed)
