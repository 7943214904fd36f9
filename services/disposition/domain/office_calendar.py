"""The office's own calendar, as its administrator keeps it: the local holidays (a day the mayor
or a regional decree gives), the working days a later decree put back in place of a national
holiday or cuti bersama, and the office hours of each weekday.

One per office, under a fixed ID. The national days off are not stored: they come from the
``holidays`` package (:func:`shared.calendar.national_days_off`); only what differs from them is.
Every change records who made it and when, and nothing is edited in place: a local change is
withdrawn (an event of its own) and declared again, office hours are set anew. The calendar the
SLA of step 8 counts with is :meth:`OfficeCalendar.working_calendar`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any, Literal
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.disposition.domain.values import actor_of, stored_actor
from shared.calendar import (
    DAYS,
    DEFAULT_OFFICE_HOURS,
    FIRST_YEAR,
    LAST_YEAR,
    DayOff,
    OfficeHours,
    Opening,
    WorkingCalendar,
    indonesian_date,
    national_days_off,
)
from shared.errors import InvalidInput, NotFound
from shared.events import Actor

OFFICE_CALENDAR_ID = uuid5(NAMESPACE_URL, "https://sivicon/disposition/office-calendar")

MAX_NAME = 200
MAX_BASIS = 300

StoredWeek = list[list[str] | None]
"""Office hours as stored: for each weekday, Monday first, ``["07:30", "16:00"]`` or ``None``."""


@dataclass(frozen=True)
class LocalChange:
    """A day the office's calendar differs from the national one: a local holiday (``name`` and
    the decree it rests on) or a working day in place of a national day off (the decree or
    reason)."""

    day: date
    kind: Literal["holiday", "working_day"]
    name: str
    basis: str
    actor: Actor
    at: datetime


@dataclass(frozen=True)
class HoursSetting:
    hours: OfficeHours
    actor: Actor | None
    at: datetime | None


def stored_week(hours: OfficeHours) -> StoredWeek:
    return [
        None if o is None else [o.opens.strftime("%H:%M"), o.closes.strftime("%H:%M")]
        for o in hours.week
    ]


def week_of(stored: StoredWeek) -> OfficeHours:
    return OfficeHours(
        tuple(
            None if o is None else Opening(time.fromisoformat(o[0]), time.fromisoformat(o[1]))
            for o in stored
        )
    )


class OfficeCalendar(Aggregate):
    if TYPE_CHECKING:  # set by __init__; class annotations would become event fields
        changes: dict[date, LocalChange]
        hours: HoursSetting

    @staticmethod
    def create_id() -> UUID:
        return OFFICE_CALENDAR_ID

    @event("Started")
    def __init__(self) -> None:
        """The office's calendar before any change: the national days off, default hours."""
        self.changes = {}
        self.hours = HoursSetting(DEFAULT_OFFICE_HOURS, None, None)

    class HolidayDeclared(Aggregate.Event):
        """A working day made a local holiday: ``day`` (ISO date), its name, the decree, who."""

        day: str
        name: str
        decree: str
        actor: dict[str, Any]

        def apply(self, aggregate: OfficeCalendar) -> None:
            day = date.fromisoformat(self.day)
            aggregate.changes[day] = LocalChange(
                day, "holiday", self.name, self.decree, actor_of(self.actor), self.timestamp
            )

    class WorkingDayDeclared(Aggregate.Event):
        """A national day off worked: ``day`` (ISO date), the decree or reason, who."""

        day: str
        reason: str
        actor: dict[str, Any]

        def apply(self, aggregate: OfficeCalendar) -> None:
            day = date.fromisoformat(self.day)
            aggregate.changes[day] = LocalChange(
                day, "working_day", "", self.reason, actor_of(self.actor), self.timestamp
            )

    class ChangeWithdrawn(Aggregate.Event):
        """The local change of ``day`` (ISO date) withdrawn, why (may be empty), by whom."""

        day: str
        reason: str
        actor: dict[str, Any]

        def apply(self, aggregate: OfficeCalendar) -> None:
            aggregate.changes.pop(date.fromisoformat(self.day), None)

    class OfficeHoursSet(Aggregate.Event):
        """The office hours from now on, as :data:`StoredWeek`, and who set them."""

        week: StoredWeek
        actor: dict[str, Any]

        def apply(self, aggregate: OfficeCalendar) -> None:
            aggregate.hours = HoursSetting(week_of(self.week), actor_of(self.actor), self.timestamp)

    # ------------------------------------------------------------------ read

    def working_calendar(self, timezone: str) -> WorkingCalendar:
        """The calendar deadlines are counted with, as the changes stand now."""
        return WorkingCalendar(
            timezone=timezone,
            hours=self.hours.hours,
            local_holidays=frozenset(
                DayOff(c.day, c.name, "lokal") for c in self.changes.values() if c.kind == "holiday"
            ),
            working_days=frozenset(c.day for c in self.changes.values() if c.kind == "working_day"),
        )

    # ------------------------------------------------------------------ commands

    def declare_holiday(self, day: date, name: str, decree: str, actor: Actor) -> LocalChange:
        """A working day made a local holiday, on the decree named."""
        name, decree = name.strip(), decree.strip()
        _check_text("name", name, MAX_NAME, "nama hari libur")
        _check_text("decree", decree, MAX_BASIS, "dasar penetapan")
        self._check_unchanged(day)
        national = national_days_off(day.year).get(day)
        if national is not None:
            raise _date_refused(
                f"{day} is already a day off ({national.name})",
                f"{indonesian_date(day)} sudah hari libur: {national.name}",
            )
        self._check_office_open(day)
        self.trigger_event(
            self.HolidayDeclared,
            day=day.isoformat(),
            name=name,
            decree=decree,
            actor=stored_actor(actor),
        )
        return self.changes[day]

    def declare_working_day(self, day: date, reason: str, actor: Actor) -> LocalChange:
        """A national holiday or cuti bersama made a working day, for the reason given (the
        decree that moved it)."""
        reason = reason.strip()
        _check_text("reason", reason, MAX_BASIS, "dasar penetapan")
        self._check_unchanged(day)
        if day not in national_days_off(day.year):
            raise _date_refused(
                f"{day} is not a national holiday or cuti bersama",
                f"{indonesian_date(day)} bukan hari libur nasional atau cuti bersama",
            )
        self._check_office_open(day)
        self.trigger_event(
            self.WorkingDayDeclared, day=day.isoformat(), reason=reason, actor=stored_actor(actor)
        )
        return self.changes[day]

    def withdraw_change(self, day: date, reason: str, actor: Actor) -> LocalChange:
        """The local change of ``day`` withdrawn: the day is as the national list has it."""
        reason = reason.strip()
        if len(reason) > MAX_BASIS:
            raise _too_long("reason", MAX_BASIS, "alasan")
        change = self.changes.get(day)
        if change is None:
            raise NotFound(
                f"no local change on {day}",
                f"tidak ada perubahan lokal pada {indonesian_date(day)}",
                code="no_local_change",
            )
        self.trigger_event(
            self.ChangeWithdrawn, day=day.isoformat(), reason=reason, actor=stored_actor(actor)
        )
        return change

    def set_office_hours(self, hours: OfficeHours, actor: Actor) -> bool:
        """New office hours, from now on; the same hours again change nothing (``False``)."""
        if hours == self.hours.hours:
            return False
        self.trigger_event(self.OfficeHoursSet, week=stored_week(hours), actor=stored_actor(actor))
        return True

    # ------------------------------------------------------------------ guards

    def _check_unchanged(self, day: date) -> None:
        check_year(day.year)
        if day in self.changes:
            raise _date_refused(
                f"{day} has a local change already; withdraw it first",
                f"{indonesian_date(day)} sudah diubah; cabut perubahan itu dahulu",
                code="already_changed",
            )

    def _check_office_open(self, day: date) -> None:
        if self.hours.hours.on(day.weekday()) is None:
            raise _date_refused(
                f"the office is closed on {DAYS[day.weekday()]}s",
                f"kantor tidak buka pada hari {DAYS[day.weekday()]}",
            )


def check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput(
            f"the calendar covers the years {FIRST_YEAR} to {LAST_YEAR}",
            f"kalender mencakup tahun {FIRST_YEAR} sampai {LAST_YEAR}",
            details=[{"field": "date", "message": f"tahun {FIRST_YEAR}-{LAST_YEAR}"}],
        )


def _date_refused(message: str, pesan: str, code: str = "invalid_input") -> InvalidInput:
    return InvalidInput(message, pesan, code=code, details=[{"field": "date", "message": pesan}])


def _check_text(field: str, value: str, limit: int, label: str) -> None:
    if not value:
        raise InvalidInput(
            f"{field} is required",
            f"{label} wajib diisi",
            details=[{"field": field, "message": f"{label} wajib diisi"}],
        )
    if len(value) > limit:
        raise _too_long(field, limit, label)


def _too_long(field: str, limit: int, label: str) -> InvalidInput:
    pesan = f"{label} paling panjang {limit} karakter"
    return InvalidInput(
        f"{field} is longer than {limit} characters",
        pesan,
        details=[{"field": field, "message": pesan}],
    )


def office_hours(week: list[tuple[time, time] | None]) -> OfficeHours:
    """Office hours from the seven weekdays' opening and closing times, checked, in English and
    Indonesian."""
    if len(week) != 7:
        raise InvalidInput("give the hours of all seven weekdays", "isi jam kerja ketujuh hari")
    details = [
        {"field": f"week.{i}", "message": f"jam buka hari {DAYS[i]} harus sebelum jam tutup"}
        for i, o in enumerate(week)
        if o is not None and not o[0] < o[1]
    ]
    if details:
        raise InvalidInput(
            "each day's opening time must come before its closing time",
            "; ".join(d["message"] for d in details),
            details=details,
        )
    if all(o is None for o in week):
        raise InvalidInput(
            "the office must be open on at least one weekday",
            "kantor harus buka sekurang-kurangnya satu hari dalam seminggu",
        )
    return OfficeHours(tuple(None if o is None else Opening(*o) for o in week))
