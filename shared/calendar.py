"""The office's working calendar: which days are working days, when the office is open on them,
and when a time limit counted in working days falls due.

A year's days off are Indonesia's public holidays (*hari libur nasional*) and joint leave days
(*cuti bersama*) as the ``holidays`` package lists them for that year (the joint decree of three
ministers, SKB 3 Menteri, once it is out; Islamic and lunar dates are estimated, "perkiraan",
until then), plus the office's local holidays, minus the days a later decree made working days
again. Those local changes and the office hours are the administrator's: the disposition service
keeps them (its ``OfficeCalendar`` aggregate) and builds a :class:`WorkingCalendar` from them.
A weekday without office hours (Saturday and Sunday by default) is not a working day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Literal
from zoneinfo import ZoneInfo

import holidays

# The years a calendar can be asked for (the package knows 1946 to 2100) are those a date may have.
from shared.validation import FIRST_YEAR as FIRST_YEAR
from shared.validation import LAST_YEAR as LAST_YEAR

OFFICE_TIMEZONE = "Asia/Makassar"

DayOffSource = Literal["nasional", "cuti bersama", "lokal"]


@dataclass(frozen=True)
class DayOff:
    """A day the office is closed although it is a weekday with office hours (or would be)."""

    day: date
    name: str
    source: DayOffSource


@lru_cache(maxsize=64)
def national_days_off(year: int) -> Mapping[date, DayOff]:
    """Indonesia's public holidays and cuti bersama of ``year``, by date, named in Indonesian."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return MappingProxyType({})

    def listed(category: str) -> holidays.HolidayBase:
        return holidays.country_holidays("ID", years=year, categories=(category,), language="id")

    days = {d: DayOff(d, str(name), "cuti bersama") for d, name in listed("government").items()}
    days.update({d: DayOff(d, str(name), "nasional") for d, name in listed("public").items()})
    return MappingProxyType(dict(sorted(days.items())))


@dataclass(frozen=True)
class Opening:
    """The office's hours on one weekday, local time: open from ``opens`` until ``closes``."""

    opens: time
    closes: time

    def __post_init__(self) -> None:
        if not self.opens < self.closes:
            raise ValueError("the office must open before it closes")

    def covers(self, clock: time) -> bool:
        return self.opens <= clock < self.closes


@dataclass(frozen=True)
class OfficeHours:
    """The office hours of each weekday, Monday first; ``None``: closed all day."""

    week: tuple[Opening | None, ...]

    def __post_init__(self) -> None:
        if len(self.week) != 7:
            raise ValueError("office hours are given for the seven weekdays")
        if all(opening is None for opening in self.week):
            raise ValueError("the office must be open on at least one weekday")

    def on(self, weekday: int) -> Opening | None:
        return self.week[weekday]


_MON_THU = Opening(time(7, 30), time(16, 0))
DEFAULT_OFFICE_HOURS = OfficeHours(
    (_MON_THU,) * 4 + (Opening(time(7, 30), time(11, 0)), None, None)
)
"""Until the administrator sets others: Monday to Thursday 07.30-16.00, Friday 07.30-11.00, as
the city government of Tarakan works a five-day week (WITA)."""

_SEARCH_LIMIT = 3660  # days: no office closes for ten years; beyond that the data is wrong


@dataclass(frozen=True)
class WorkingCalendar:
    """The office's time zone, days off and hours, as the SLA of step 8 needs them.

    A value: built from the national list and the administrator's changes, never changed; a new
    change builds a new calendar. Each year's days off are worked out when first needed.
    """

    timezone: str = OFFICE_TIMEZONE
    hours: OfficeHours = DEFAULT_OFFICE_HOURS
    local_holidays: frozenset[DayOff] = frozenset()
    working_days: frozenset[date] = frozenset()
    """Days a decree made working days although the national list has them off."""
    _years: dict[int, Mapping[date, DayOff]] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def days_off(self, year: int) -> Mapping[date, DayOff]:
        """The year's holidays and cuti bersama, national and local, by date (weekends aside)."""
        if year not in self._years:
            days = {
                d: off for d, off in national_days_off(year).items() if d not in self.working_days
            }
            days.update({off.day: off for off in self.local_holidays if off.day.year == year})
            self._years[year] = MappingProxyType(dict(sorted(days.items())))
        return self._years[year]

    def opening(self, day: date) -> Opening | None:
        """The office hours of ``day``; ``None`` when it is not a working day."""
        if day in self.days_off(day.year):
            return None
        return self.hours.on(day.weekday())

    def is_working_day(self, day: date) -> bool:
        return self.opening(day) is not None

    def add_working_days(self, start: datetime, n: int) -> datetime:
        """The moment ``n`` working days after ``start``, in UTC.

        Counted in the office's local time. A start within office hours keeps its time of day:
        the same local time on the n-th following working day (Thursday 10.00 + 1 = Friday
        10.00; Friday 10.00 + 1 = Monday 10.00), even where that day closes earlier. A start
        outside office hours (before opening, after closing, on a weekend or a day off) counts
        from the next opening of the office: the same day's opening if it is a working day not
        yet open, else the opening of the next working day (Monday 17.00 + 1 = Wednesday 07.30;
        Saturday 10.00 + 1 = Tuesday 07.30), so that a whole working day is always given.
        """
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        if n < 0:
            raise ValueError("n must not be negative")
        zone = ZoneInfo(self.timezone)
        local = start.astimezone(zone)
        day, clock = local.date(), local.time().replace(tzinfo=None)
        opening = self.opening(day)
        if opening is None or not opening.covers(clock):
            if opening is None or clock >= opening.closes:
                day = self._next_working_day(day)
                opening = self.opening(day)
            assert opening is not None
            clock = opening.opens
        for _ in range(n):
            day = self._next_working_day(day)
        return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)

    def _next_working_day(self, day: date) -> date:
        for _ in range(_SEARCH_LIMIT):
            day += timedelta(days=1)
            if self.is_working_day(day):
                return day
        raise ValueError(f"no working day within {_SEARCH_LIMIT} days of {day}")


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


def indonesian_day_date(moment: datetime | date) -> str:
    """``Senin, 30 November 2026``."""
    day = moment.date() if isinstance(moment, datetime) else moment
    return f"{DAYS[day.weekday()]}, {indonesian_date(day)}"
