"""The slot check and the hold (SOP step 4), the dry-run check, and the day's schedule: the
scheduler's reading and booking of its day schedules."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from services.scheduler.domain import (
    Booking,
    Conflict,
    DaySchedule,
    HeldAccount,
    HostInfo,
    MeetingRequest,
    SlotCheck,
    check_slot,
    day_schedule_uuid,
    days_touched,
    find_alternatives,
)
from shared.errors import InvalidInput
from shared.eventstore import ServiceApplication


@dataclass(frozen=True)
class ScheduleOfDay:
    """The bookings (holds and meetings) taking place on one day, office time."""

    day: date
    timezone: str
    buffer_minutes: int
    host_accounts: list[HostInfo]
    bookings: list[Booking]
    requests: Mapping[str, MeetingRequest]
    """What the scheduler remembers of each booked request (its agenda number, its agency), by
    request ID: read with the bookings, so that one answer names every booking."""


class SlotBook:
    """Checks slots against the host accounts and the day schedules, and holds them.

    A hold is written into every day schedule the buffered window touches, in the same save as
    the check, so that two checks that could collide write the same aggregate: the store refuses
    the second, which is checked again (by the consumer's retry) against the first's hold.
    """

    def __init__(
        self,
        app: ServiceApplication,
        host_accounts: Callable[[], list[HostInfo]],
        listed_host_accounts: Callable[[], list[HostInfo]],
        *,
        buffer: timedelta,
        tz: ZoneInfo,
        non_working_days: frozenset[date],
        now: Callable[[], datetime],
    ) -> None:
        self._app = app
        self._host_accounts = host_accounts
        self._listed_host_accounts = listed_host_accounts
        self.buffer = buffer
        self.tz = tz
        self.non_working_days = non_working_days
        self.now = now

    @property
    def buffer_minutes(self) -> int:
        return int(self.buffer.total_seconds() // 60)

    def hold(self, request: MeetingRequest, caused_by: str | None) -> list[DaySchedule]:
        """Check the request's slot and record the check on it; when a licence is free, book it
        on the days touched and return those schedules (to be saved with the request)."""
        days = self._days(request.start, request.end)
        schedules = self.schedules(days)
        check = self._check(request.start, request.end, request.participants, schedules)
        touched: list[DaySchedule] = []
        if check.host is not None:
            for day in days:
                schedule = schedules[day] or DaySchedule(day=day)
                schedule.book(
                    str(request.id),
                    check.host.host_account_id,
                    request.start,
                    request.end,
                    request.topic,
                    request.opd_code,
                )
                touched.append(schedule)
        request.record_check(check, days if check.host is not None else [], caused_by)
        return touched

    def dry_run(self, start: datetime, end: datetime, participants: int) -> SlotCheck:
        """The answer a check would give now, without holding anything."""
        if start.tzinfo is None or end.tzinfo is None:
            raise InvalidInput(
                "start and end need a UTC offset, e.g. 2026-12-03T09:00:00+08:00",
                "waktu mulai dan selesai harus memiliki zona waktu, mis. 2026-12-03T09:00:00+08:00",
            )
        return self._check(start, end, participants, self.schedules(self._days(start, end)))

    def schedule_of(self, day: date) -> ScheduleOfDay:
        start = datetime.combine(day, datetime.min.time(), self.tz)
        bookings = self._bookings_between(start, start + timedelta(days=1))
        return ScheduleOfDay(
            day=day,
            timezone=str(self.tz),
            buffer_minutes=self.buffer_minutes,
            host_accounts=self._listed_host_accounts(),
            bookings=bookings,
            requests=self._requests_of(bookings),
        )

    def _requests_of(self, bookings: Sequence[Booking]) -> dict[str, MeetingRequest]:
        found = {b.request_id: self._app.get_or_none(UUID(b.request_id)) for b in bookings}
        return {i: r for i, r in found.items() if isinstance(r, MeetingRequest)}

    def schedules(self, days: Sequence[str]) -> dict[str, DaySchedule | None]:
        return {day: self._app.get_or_none(day_schedule_uuid(day)) for day in days}

    def holding(self, request_id: UUID, days: Sequence[str]) -> list[DaySchedule]:
        """The day schedules among ``days`` that book the request."""
        return [
            schedule
            for schedule in self.schedules(days).values()
            if schedule is not None and str(request_id) in schedule.bookings
        ]

    def _days(self, start: datetime, end: datetime) -> list[str]:
        return days_touched(start - self.buffer, end + self.buffer, self.tz)

    def _bookings_between(self, start: datetime, end: datetime) -> list[Booking]:
        found: dict[str, Booking] = {}
        for schedule in self.schedules(days_touched(start, end, self.tz)).values():
            if schedule is None:
                continue
            for booking in schedule.bookings.values():
                if booking.overlaps(start, end):
                    found[booking.request_id] = booking
        return sorted(found.values(), key=lambda b: (b.start, b.host_account_id))

    def _check(
        self,
        start: datetime,
        end: datetime,
        participants: int,
        schedules: Mapping[str, DaySchedule | None],
    ) -> SlotCheck:
        accounts = self._host_accounts()
        bookings = {
            b.request_id: b
            for schedule in schedules.values()
            if schedule is not None
            for b in schedule.bookings.values()
        }
        decision = check_slot(accounts, bookings.values(), start, end, participants, self.buffer)
        alternatives = []
        if not decision.available:
            alternatives = find_alternatives(
                accounts,
                self._bookings_between,
                start,
                end,
                participants,
                self.buffer,
                tz=self.tz,
                now=self.now(),
                non_working=self.non_working_days,
            )
        return SlotCheck(
            start=start,
            end=end,
            participants=participants,
            available=decision.available,
            host=None if decision.host is None else HeldAccount.of(decision.host),
            buffer_minutes=self.buffer_minutes,
            conflicts=tuple(Conflict.of(b) for b in decision.conflicts),
            alternatives=tuple(alternatives),
            checked_at=self.now(),
        )
