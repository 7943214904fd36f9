"""What the API shows of the office's calendar: a year's days off with where each comes from,
the working days a decree put back, and the office hours, with who changed what and when."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Literal

from pydantic import BaseModel, Field

from services.disposition.domain.office_calendar import HoursSetting, LocalChange, OfficeCalendar
from shared.calendar import DAYS, DayOffSource, WorkingCalendar, national_days_off
from shared.events import Actor


class DayOffView(BaseModel):
    """A holiday or cuti bersama of the year (weekends aside)."""

    day: date
    name: str
    source: DayOffSource = Field(
        description="nasional: a public holiday; cuti bersama: joint leave (both from the "
        "national list of that year); lokal: declared by the office's administrator"
    )
    decree: str | None = Field(default=None, description="the decree of a local holiday")
    declared_by: Actor | None = None
    declared_at: datetime | None = None


class WorkingDayView(BaseModel):
    """A national holiday or cuti bersama the office works on, by a later decree."""

    day: date
    replaces: str = Field(description="the name of the national day off it replaces")
    reason: str
    declared_by: Actor
    declared_at: datetime


class OpeningView(BaseModel):
    weekday: int = Field(ge=0, le=6, description="0 is Monday")
    name: str = Field(description="the weekday in Indonesian")
    opens: time | None = Field(description="local time; null: closed all day")
    closes: time | None


class OfficeHoursView(BaseModel):
    week: list[OpeningView]
    set_by: Actor | None = Field(description="null: the default hours, never set")
    set_at: datetime | None

    @classmethod
    def of(cls, setting: HoursSetting) -> OfficeHoursView:
        week = [
            OpeningView(
                weekday=i,
                name=DAYS[i],
                opens=o.opens if o else None,
                closes=o.closes if o else None,
            )
            for i, o in enumerate(setting.hours.week)
        ]
        return cls(week=week, set_by=setting.actor, set_at=setting.at)


class LocalChangeView(BaseModel):
    """One change the administrator made to the national calendar."""

    day: date
    kind: Literal["holiday", "working_day"]
    name: str = Field(description="a local holiday's name; empty for a working day")
    basis: str = Field(description="the decree or reason it rests on")
    by: Actor
    at: datetime

    @classmethod
    def of(cls, change: LocalChange) -> LocalChangeView:
        return cls(
            day=change.day,
            kind=change.kind,
            name=change.name,
            basis=change.basis,
            by=change.actor,
            at=change.at,
        )


class CalendarYearView(BaseModel):
    """The office's calendar of one year, as the SLA of step 8 counts working days."""

    year: int
    timezone: str
    days_off: list[DayOffView]
    working_days: list[WorkingDayView]
    office_hours: OfficeHoursView

    @classmethod
    def of(
        cls, year: int, office: OfficeCalendar | None, calendar: WorkingCalendar
    ) -> CalendarYearView:
        changes = office.changes if office is not None else {}
        days_off = []
        for day, off in calendar.days_off(year).items():
            change = changes.get(day)
            days_off.append(
                DayOffView(
                    day=day,
                    name=off.name,
                    source=off.source,
                    decree=change.basis if change else None,
                    declared_by=change.actor if change else None,
                    declared_at=change.at if change else None,
                )
            )
        national = national_days_off(year)
        working_days = [
            WorkingDayView(
                day=c.day,
                replaces=national[c.day].name if c.day in national else "",
                reason=c.basis,
                declared_by=c.actor,
                declared_at=c.at,
            )
            for c in sorted(changes.values(), key=lambda c: c.day)
            if c.kind == "working_day" and c.day.year == year
        ]
        hours = office.hours if office is not None else HoursSetting(calendar.hours, None, None)
        return cls(
            year=year,
            timezone=calendar.timezone,
            days_off=days_off,
            working_days=working_days,
            office_hours=OfficeHoursView.of(hours),
        )
