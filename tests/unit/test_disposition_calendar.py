"""Working days in Tarakan (WITA): weekends, national holidays and cuti bersama are skipped."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from shared.calendar import HOLIDAYS_2026, WorkingCalendar, add_working_days

HOLIDAYS = frozenset(HOLIDAYS_2026)


def wita(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """A WITA wall-clock time, as the UTC instant it is."""
    return datetime(2026, month, day, hour, minute, tzinfo=ZoneInfo("Asia/Makassar")).astimezone(
        UTC
    )


@pytest.mark.parametrize(
    ("start", "expected", "why"),
    [
        (wita(12, 1), wita(12, 2), "Tuesday to Wednesday"),
        (wita(12, 4), wita(12, 7), "Friday to Monday, over the weekend"),
        (wita(8, 14), wita(8, 18), "Friday to Tuesday: Monday 17 August is Independence Day"),
        (wita(3, 17), wita(3, 25), "Tuesday 17 March: Nyepi, Idul Fitri and cuti bersama"),
        (wita(12, 23), wita(12, 28), "Wednesday 23 December: 24 (cuti) and 25 (Natal) are off"),
        (wita(12, 5), wita(12, 8, 0), "Saturday: all of Monday is given, due Tuesday 00:00"),
        (wita(12, 1, 7), wita(12, 2, 7), "07:00 WITA is still the previous day in UTC"),
    ],
)
def test_one_working_day_later(start: datetime, expected: datetime, why: str) -> None:
    assert add_working_days(start, 1, "Asia/Makassar", HOLIDAYS) == expected, why


def test_zero_days_from_a_working_day_is_the_same_moment() -> None:
    assert add_working_days(wita(12, 1), 0, "Asia/Makassar", HOLIDAYS) == wita(12, 1)


def test_the_holiday_list_is_passed_in_not_built_in() -> None:
    assert add_working_days(wita(8, 14), 1, "Asia/Makassar", frozenset()) == wita(8, 17)
    extra = HOLIDAYS | {date(2026, 12, 2)}
    assert WorkingCalendar(holidays=extra).add_working_days(wita(12, 1), 1) == wita(12, 3)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        add_working_days(datetime(2026, 12, 1, 10), 1, "Asia/Makassar", HOLIDAYS)


def test_the_2026_list_has_17_national_holidays_and_8_days_of_cuti_bersama() -> None:
    cuti = [d for d, name in HOLIDAYS_2026.items() if name.startswith("Cuti bersama")]
    assert len(cuti) == 8
    assert len(HOLIDAYS_2026) - len(cuti) == 17
