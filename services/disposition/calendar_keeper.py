"""The office calendar's commands (the administrator's), and the working calendar the disposition
application counts deadlines with, read from the ``OfficeCalendar`` aggregate and kept as long as
it does not change.

Whether it changed is asked of the store at most once a second (every row of the case index asks
for the calendar): the repository's cache fast-forwards the aggregate with the events stored
since it last looked, one small query, so a change made by another replica of the service is
seen within a second, and one made here at once. When it changed, ``on_change`` is called: the
application's index of cases then builds its rows again, since the deadlines they show were
counted with the old calendar. Deadlines already recorded in events stay as they were.
"""

from __future__ import annotations

import threading
import time as clock
from collections.abc import Callable
from datetime import date, time
from typing import TypeVar

from eventsourcing.persistence import IntegrityError

from services.disposition.calendar_views import CalendarYearView, LocalChangeView, OfficeHoursView
from services.disposition.domain.office_calendar import (
    OFFICE_CALENDAR_ID,
    HoursSetting,
    OfficeCalendar,
    check_year,
    office_hours,
)
from shared.calendar import WorkingCalendar
from shared.errors import OutOfOrder
from shared.events import Actor
from shared.eventstore import ServiceApplication

T = TypeVar("T")

COMMAND_ATTEMPTS = 3
RECHECK_SECONDS = 1.0

Week = list[tuple[time, time] | None]


class CalendarKeeper:
    def __init__(
        self, app: ServiceApplication, timezone: str, on_change: Callable[[], None]
    ) -> None:
        self._app = app
        self.timezone = timezone
        self._on_change = on_change
        self._lock = threading.Lock()
        self._version: int | None = None  # of the aggregate the calendar was built from
        self._calendar = WorkingCalendar(timezone=timezone)
        self._checked_at = float("-inf")

    # ------------------------------------------------------------------ the current calendar

    def current(self, *, recheck: bool = False) -> WorkingCalendar:
        """The working calendar as the administrator last changed it."""
        now = clock.monotonic()
        if not recheck and now - self._checked_at < RECHECK_SECONDS:
            return self._calendar
        self._checked_at = now
        office = self._office()
        version = office.version if office is not None else 0
        changed = False
        with self._lock:
            if self._version is None or version > self._version:
                changed = self._version is not None
                if office is not None:
                    self._calendar = office.working_calendar(self.timezone)
                self._version = version
            calendar = self._calendar
        if changed:
            self._on_change()
        return calendar

    def year(self, year: int) -> CalendarYearView:
        """Every day off of ``year`` with its source, the declared working days, the hours."""
        check_year(year)
        return CalendarYearView.of(year, self._office(), self.current(recheck=True))

    # ------------------------------------------------------------------ commands (admin)

    def declare_holiday(self, day: date, name: str, decree: str, actor: Actor) -> LocalChangeView:
        change = self._change(lambda office: office.declare_holiday(day, name, decree, actor))
        return LocalChangeView.of(change)

    def declare_working_day(self, day: date, reason: str, actor: Actor) -> LocalChangeView:
        change = self._change(lambda office: office.declare_working_day(day, reason, actor))
        return LocalChangeView.of(change)

    def withdraw_change(self, day: date, reason: str, actor: Actor) -> LocalChangeView:
        change = self._change(lambda office: office.withdraw_change(day, reason, actor))
        return LocalChangeView.of(change)

    def set_office_hours(self, week: Week, actor: Actor) -> OfficeHoursView:
        hours = office_hours(week)

        def set_hours(office: OfficeCalendar) -> HoursSetting:
            office.set_office_hours(hours, actor)
            return office.hours

        return OfficeHoursView.of(self._change(set_hours))

    # ------------------------------------------------------------------ internals

    def _change(self, command: Callable[[OfficeCalendar], T]) -> T:
        """Run ``command`` on the office's calendar (started on first use) and save it; a
        change saved meanwhile by someone else is read and the command decided again."""
        for attempt in range(COMMAND_ATTEMPTS):
            office = self._office() or OfficeCalendar()
            result = command(office)
            try:
                self._app.save(office)
            except IntegrityError:
                if attempt == COMMAND_ATTEMPTS - 1:
                    raise OutOfOrder(
                        "the calendar changed meanwhile; please try again",
                        "kalender baru saja berubah; silakan coba lagi",
                    ) from None
                continue
            self.current(recheck=True)
            return result
        raise AssertionError("unreachable")

    def _office(self) -> OfficeCalendar | None:
        office = self._app.get_or_none(OFFICE_CALENDAR_ID)
        return office if isinstance(office, OfficeCalendar) else None
