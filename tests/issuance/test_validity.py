"""Expiry dates: calendar months, clamped to the end of shorter months, time zone kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from microcred.issuance.validity import add_months

BERLIN = ZoneInfo("Europe/Berlin")


def at(year: int, month: int, day: int, hour: int = 9, tz: ZoneInfo | None = None) -> datetime:
    return datetime(year, month, day, hour, 30, 15, 123456, tzinfo=tz or UTC)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (at(2025, 1, 31), 1, at(2025, 2, 28)),
        (at(2024, 1, 31), 1, at(2024, 2, 29)),  # leap year
        (at(2025, 3, 31), 1, at(2025, 4, 30)),
        (at(2025, 1, 30), 1, at(2025, 2, 28)),
        (at(2025, 1, 31), 2, at(2025, 3, 31)),  # the day is clamped only where it must be
        (at(2025, 1, 15), 1, at(2025, 2, 15)),
        (at(2024, 2, 29), 12, at(2025, 2, 28)),
        (at(2024, 2, 29), 48, at(2028, 2, 29)),
    ],
)
def test_days_are_clamped_to_the_end_of_shorter_months(
    start: datetime, months: int, expected: datetime
) -> None:
    assert add_months(start, months) == expected


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (at(2025, 12, 31), 1, at(2026, 1, 31)),
        (at(2025, 11, 15), 3, at(2026, 2, 15)),
        (at(2025, 12, 1), 12, at(2026, 12, 1)),
        (at(2025, 12, 1), 13, at(2027, 1, 1)),
        (at(2025, 1, 1), 24, at(2027, 1, 1)),
        (at(2025, 8, 31), 18, at(2027, 2, 28)),
        (at(2025, 6, 15), 1200, at(2125, 6, 15)),  # the longest validity a version allows
    ],
)
def test_months_roll_over_into_later_years(
    start: datetime, months: int, expected: datetime
) -> None:
    assert add_months(start, months) == expected


def test_zero_months_is_the_same_moment() -> None:
    start = at(2025, 5, 31)
    assert add_months(start, 0) == start


def test_aware_datetimes_keep_their_zone_and_wall_clock_time() -> None:
    start = at(2025, 1, 31, hour=23, tz=BERLIN)  # CET, UTC+1

    result = add_months(start, 6)  # into summer time

    assert result.tzinfo is BERLIN
    assert (result.year, result.month, result.day) == (2025, 7, 31)
    assert (result.hour, result.minute, result.second, result.microsecond) == (23, 30, 15, 123456)
    assert result.utcoffset() == timedelta(hours=2)  # CEST: the same local time, not the same UTC


def test_utc_results_stay_aware_in_utc() -> None:
    result = add_months(at(2025, 1, 31), 1)
    assert result.tzinfo is UTC
    assert result.utcoffset() == timedelta(0)
