"""Working days of the office: Monday to Friday in the office's time zone, minus holidays.

The holiday list below is Indonesia's 2026 national holidays (hari libur nasional) and joint leave
days (cuti bersama), from the joint decree of three ministers (SKB 3 Menteri: Menteri Agama
1497/2025, Menteri Ketenagakerjaan 2/2025, Menteri PANRB 5/2025). It is a seed only: the full
calendar (other years, regional holidays, changes by later decrees) is to be managed by the
``admin`` role later, and passed in where :func:`add_working_days` is called.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

OFFICE_TIMEZONE = "Asia/Makassar"

HOLIDAYS_2026: dict[date, str] = {
    date(2026, 1, 1): "Tahun Baru 2026 Masehi",
    date(2026, 1, 16): "Isra Mikraj Nabi Muhammad SAW",
    date(2026, 2, 16): "Cuti bersama Tahun Baru Imlek",
    date(2026, 2, 17): "Tahun Baru Imlek 2577 Kongzili",
    date(2026, 3, 18): "Cuti bersama Hari Suci Nyepi",
    date(2026, 3, 19): "Hari Suci Nyepi (Tahun Baru Saka 1948)",
    date(2026, 3, 20): "Cuti bersama Idul Fitri 1447 H",
    date(2026, 3, 21): "Idul Fitri 1447 H",
    date(2026, 3, 22): "Idul Fitri 1447 H",
    date(2026, 3, 23): "Cuti bersama Idul Fitri 1447 H",
    date(2026, 3, 24): "Cuti bersama Idul Fitri 1447 H",
    date(2026, 4, 3): "Wafat Yesus Kristus",
    date(2026, 4, 5): "Kebangkitan Yesus Kristus (Paskah)",
    date(2026, 5, 1): "Hari Buruh Internasional",
    date(2026, 5, 14): "Kenaikan Yesus Kristus",
    date(2026, 5, 15): "Cuti bersama Kenaikan Yesus Kristus",
    date(2026, 5, 27): "Idul Adha 1447 H",
    date(2026, 5, 28): "Cuti bersama Idul Adha 1447 H",
    date(2026, 5, 31): "Hari Raya Waisak 2570 BE",
    date(2026, 6, 1): "Hari Lahir Pancasila",
    date(2026, 6, 16): "Tahun Baru Islam 1448 H",
    date(2026, 8, 17): "Proklamasi Kemerdekaan Republik Indonesia",
    date(2026, 8, 25): "Maulid Nabi Muhammad SAW",
    date(2026, 12, 24): "Cuti bersama Hari Raya Natal",
    date(2026, 12, 25): "Hari Raya Natal",
}


def is_working_day(day: date, holidays: frozenset[date] | set[date]) -> bool:
    return day.weekday() < 5 and day not in holidays


def add_working_days(
    start: datetime, n: int, tz: str | ZoneInfo, holidays: frozenset[date] | set[date]
) -> datetime:
    """The moment ``n`` working days after ``start``, in UTC.

    Counted in the office's local time: from a working day, the same local time on the n-th
    following working day (Friday 10:00 + 1 = Monday 10:00). A start on a weekend or holiday
    counts from the beginning (00:00) of the next working day, so that the whole of that day is
    given (Saturday 10:00 + 1 = Tuesday 00:00).
    """
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    if n < 0:
        raise ValueError("n must not be negative")
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    local = start.astimezone(zone)
    day, clock = local.date(), local.time().replace(tzinfo=None)
    if not is_working_day(day, holidays):
        while not is_working_day(day, holidays):
            day += timedelta(days=1)
        clock = time(0, 0)
    for _ in range(n):
        day += timedelta(days=1)
        while not is_working_day(day, holidays):
            day += timedelta(days=1)
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True)
class WorkingCalendar:
    """The office's time zone and holidays, as the SLA of step 8 needs them."""

    timezone: str = OFFICE_TIMEZONE
    holidays: frozenset[date] = field(default_factory=lambda: frozenset(HOLIDAYS_2026))

    def add_working_days(self, start: datetime, n: int) -> datetime:
        return add_working_days(start, n, self.timezone, self.holidays)


MONTHS = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)  # fmt: skip
DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
ZONE_LABELS = {"Asia/Makassar": "WITA", "Asia/Jakarta": "WIB", "Asia/Jayapura": "WIT"}
"""Indonesia's time zones as people name them."""


def indonesian_date(day: date) -> str:
    """``30 November 2026``."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def indonesian_day_date(moment: datetime) -> str:
    """``Senin, 30 November 2026``."""
    return f"{DAYS[moment.weekday()]}, {indonesian_date(moment.date())}"
