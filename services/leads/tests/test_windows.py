"""Calling windows in the lead's local time, across time zones and DST changes."""

from datetime import UTC, datetime, time

import pytest
from listflow.leads.domain.windows import CallingHours, window

HOURS = CallingHours()  # 08:00 to 21:00, every day


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_open_inside_the_hours_until_their_end() -> None:
    w = window(utc(2026, 6, 1, 15, 0), HOURS, "America/New_York")  # 11:00 EDT
    assert w.open
    assert w.closes_at == utc(2026, 6, 2, 1, 0)  # 21:00 EDT


def test_before_the_hours_it_opens_the_same_local_day() -> None:
    w = window(utc(2026, 6, 1, 10, 0), HOURS, "America/New_York")  # 06:00 EDT
    assert not w.open
    assert w.opens_at == utc(2026, 6, 1, 12, 0)


def test_after_the_hours_it_opens_the_next_local_day() -> None:
    w = window(utc(2026, 6, 2, 1, 30), HOURS, "America/New_York")  # 21:30 EDT
    assert not w.open
    assert w.opens_at == utc(2026, 6, 2, 12, 0)


def test_the_same_instant_differs_by_zone() -> None:
    now = utc(2026, 1, 15, 7, 30)
    assert window(now, HOURS, "Europe/Madrid").open  # 08:30 CET
    assert not window(now, HOURS, "America/Los_Angeles").open  # 23:30 PST
    assert window(now, HOURS, "Asia/Tokyo").open  # 16:30 JST


def test_spring_forward_keeps_local_hours() -> None:
    # US clocks jump 02:00 -> 03:00 on 2026-03-08: 08:00 local is 12:00 UTC that day, 13:00 before.
    assert window(utc(2026, 3, 7, 5, 0), HOURS, "America/New_York").opens_at == utc(2026, 3, 7, 13)
    assert window(utc(2026, 3, 8, 5, 0), HOURS, "America/New_York").opens_at == utc(2026, 3, 8, 12)


def test_fall_back_keeps_local_hours() -> None:
    # 2026-10-25 Europe leaves summer time: 08:00 CET is 07:00 UTC, the day before 06:00 UTC.
    assert window(utc(2026, 10, 24, 3), HOURS, "Europe/Madrid").opens_at == utc(2026, 10, 24, 6)
    assert window(utc(2026, 10, 25, 3), HOURS, "Europe/Madrid").opens_at == utc(2026, 10, 25, 7)


def test_a_start_inside_the_skipped_hour_opens_after_the_jump() -> None:
    hours = CallingHours(start=time(2, 30), end=time(21, 0))
    w = window(utc(2026, 3, 8, 5, 0), hours, "America/New_York")  # 00:00 EST
    assert w.opens_at == utc(2026, 3, 8, 7, 30)  # 03:30 EDT, never 01:30


def test_only_the_campaign_days() -> None:
    weekdays = CallingHours(days=("mon", "tue", "wed", "thu", "fri"))
    saturday = utc(2026, 6, 6, 15, 0)  # Saturday 11:00 EDT
    w = window(saturday, weekdays, "America/New_York")
    assert not w.open
    assert w.opens_at == utc(2026, 6, 8, 12, 0)  # Monday 08:00 EDT


def test_unknown_or_missing_zone_falls_back_to_utc() -> None:
    now = utc(2026, 6, 1, 9, 0)
    assert window(now, HOURS, None).open
    assert window(now, HOURS, "Mars/Olympus").open


def test_no_days_never_opens_and_naive_times_are_refused() -> None:
    assert not window(utc(2026, 6, 1, 12), CallingHours(days=()), "UTC").open
    with pytest.raises(ValueError, match="timezone-aware"):
        window(datetime(2026, 6, 1, 12), HOURS, "UTC")
