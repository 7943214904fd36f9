"""Working days in Tarakan (WITA): weekends, national holidays and cuti bersama are skipped, and a
limit counted from outside office hours starts at the next opening of the office."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from shared.calendar import (
    DEFAULT_OFFICE_HOURS,
    DayOff,
    OfficeHours,
    Opening,
    WorkingCalendar,
    national_days_off,
)

CALENDAR = WorkingCalendar()

# SKB 3 Menteri for 2026 (Menteri Agama 1497/2025, Menteri Ketenagakerjaan 2/2025, Menteri PANRB
# 5/2025): the national holidays and the cuti bersama, as the decree lists them.
SKB_2026_NATIONAL = {
    date(2026, 1, 1), date(2026, 1, 16), date(2026, 2, 17), date(2026, 3, 19),
    date(2026, 3, 21), date(2026, 3, 22), date(2026, 4, 3), date(2026, 4, 5),
    date(2026, 5, 1), date(2026, 5, 14), date(2026, 5, 27), date(2026, 5, 31),
    date(2026, 6, 1), date(2026, 6, 16), date(2026, 8, 17), date(2026, 8, 25),
    date(2026, 12, 25),
}  # fmt: skip
SKB_2026_CUTI_BERSAMA = {
    date(2026, 2, 16), date(2026, 3, 18), date(2026, 3, 20), date(2026, 3, 23),
    date(2026, 3, 24), date(2026, 5, 15), date(2026, 5, 28), date(2026, 12, 24),
}  # fmt: skip


def wita(month: int, day: int, hour: int = 10, minute: int = 0, year: int = 2026) -> datetime:
    """A WITA wall-clock time, as the UTC instant it is."""
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo("Asia/Makassar")).astimezone(
        UTC
    )


@pytest.mark.parametrize(
    ("start", "expected", "why"),
    [
        (wita(12, 1), wita(12, 2), "Tuesday to Wednesday, same time"),
        (wita(12, 4), wita(12, 7), "Friday 10.00 to Monday 10.00, over the weekend"),
        (wita(12, 3, 14), wita(12, 4, 14), "Thursday 14.00 to Friday 14.00, though it closes"),
        (wita(8, 14), wita(8, 18), "Friday to Tuesday: Monday 17 August is Independence Day"),
        (wita(3, 17), wita(3, 25), "Tuesday 17 March: Nyepi, Idul Fitri and cuti bersama"),
        (wita(12, 23), wita(12, 28), "Wednesday 23 December: 24 (cuti) and 25 (Natal) are off"),
        (wita(12, 5), wita(12, 8, 7, 30), "Saturday: counted from Monday's opening"),
        (wita(12, 1, 17), wita(12, 3, 7, 30), "after closing: from Wednesday's opening"),
        (wita(12, 4, 11), wita(12, 8, 7, 30), "Friday at closing time (11.00): from Monday"),
        (wita(12, 1, 7), wita(12, 2, 7, 30), "before opening: from that day's opening"),
        (wita(12, 25, 9), wita(12, 29, 7, 30), "on Christmas: from Monday 28's opening"),
        (wita(12, 31, 15), wita(1, 4, 15, year=2027), "New Year 2027 comes from the package"),
    ],
)
def test_one_working_day_later(start: datetime, expected: datetime, why: str) -> None:
    assert CALENDAR.add_working_days(start, 1) == expected, why


def test_zero_days_is_the_moment_itself_within_hours_and_the_next_opening_outside() -> None:
    assert CALENDAR.add_working_days(wita(12, 1), 0) == wita(12, 1)
    assert CALENDAR.add_working_days(wita(12, 5), 0) == wita(12, 7, 7, 30)


def test_a_local_holiday_and_a_declared_working_day_move_the_deadline() -> None:
    tarakan_day = DayOff(date(2026, 12, 2), "Hari Jadi Kota Tarakan", "lokal")
    with_local = WorkingCalendar(local_holidays=frozenset({tarakan_day}))
    assert with_local.add_working_days(wita(12, 1), 1) == wita(12, 3)
    assert with_local.days_off(2026)[date(2026, 12, 2)].source == "lokal"

    # A decree moved the cuti bersama of 24 December: the office works that day.
    moved = WorkingCalendar(working_days=frozenset({date(2026, 12, 24)}))
    assert moved.add_working_days(wita(12, 23), 1) == wita(12, 24)
    assert date(2026, 12, 24) not in moved.days_off(2026)
    assert date(2026, 12, 24) in CALENDAR.days_off(2026)


def test_office_hours_decide_the_opening_and_which_weekdays_work() -> None:
    eight = Opening(time(8, 0), time(15, 0))
    six_days = OfficeHours((eight,) * 6 + (None,))
    calendar = WorkingCalendar(hours=six_days)
    assert calendar.add_working_days(wita(12, 4, 10), 1) == wita(12, 5, 10), "Saturday works"
    assert calendar.add_working_days(wita(12, 1, 7, 45), 1) == wita(12, 2, 8)
    assert calendar.opening(date(2026, 12, 6)) is None


def test_the_default_hours_are_tarakans_five_day_week() -> None:
    mon, fri = DEFAULT_OFFICE_HOURS.on(0), DEFAULT_OFFICE_HOURS.on(4)
    assert mon == Opening(time(7, 30), time(16, 0))
    assert fri == Opening(time(7, 30), time(11, 0))
    assert DEFAULT_OFFICE_HOURS.on(5) is None
    assert DEFAULT_OFFICE_HOURS.on(6) is None


def test_hours_that_close_before_they_open_or_never_open_are_refused() -> None:
    with pytest.raises(ValueError, match="open before it closes"):
        Opening(time(16, 0), time(7, 30))
    with pytest.raises(ValueError, match="at least one weekday"):
        OfficeHours((None,) * 7)


def test_naive_times_and_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        CALENDAR.add_working_days(datetime(2026, 12, 1, 10), 1)
    with pytest.raises(ValueError, match="negative"):
        CALENDAR.add_working_days(wita(12, 1), -1)


def test_2026_from_the_package_is_the_skb_list_of_17_holidays_and_8_days_of_cuti_bersama() -> None:
    days = national_days_off(2026)
    assert {d for d, off in days.items() if off.source == "nasional"} == SKB_2026_NATIONAL
    assert {d for d, off in days.items() if off.source == "cuti bersama"} == SKB_2026_CUTI_BERSAMA
    assert days[date(2026, 8, 17)].name == "Hari Kemerdekaan Republik Indonesia"


def test_every_year_has_its_national_holidays() -> None:
    for year in (2025, 2027, 2030):
        days = national_days_off(year)
        assert date(year, 8, 17) in days
        assert date(year, 1, 1) in days
        assert date(year, 12, 25) in days
    assert national_days_off(1800) == {}
