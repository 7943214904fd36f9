"""HTTP API of the office's working calendar: a year's days off and the office hours for anyone
signed in; local holidays, working days in place of national days off, their withdrawal and the
office hours for the administrator."""

from __future__ import annotations

from datetime import date, time
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from services.disposition.application import DispositionApplication
from services.disposition.calendar_views import CalendarYearView, LocalChangeView, OfficeHoursView
from services.disposition.domain.office_calendar import MAX_BASIS, MAX_NAME
from shared.auth import require_role
from shared.httpapi import CurrentActor, the_application

router = APIRouter(prefix="/api/v1/calendar", tags=["calendar"])

AppDep = Annotated[DispositionApplication, Depends(the_application)]


class HolidayIn(BaseModel):
    """A working day made a local holiday, with the decree it rests on."""

    model_config = ConfigDict(extra="forbid")

    day: date
    name: str = Field(min_length=1, max_length=MAX_NAME)
    decree: str = Field(min_length=1, max_length=MAX_BASIS)


class WorkingDayIn(BaseModel):
    """A national holiday or cuti bersama the office works on, with the decree that moved it."""

    model_config = ConfigDict(extra="forbid")

    day: date
    reason: str = Field(min_length=1, max_length=MAX_BASIS)


class OpeningIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    opens: time
    closes: time


class OfficeHoursIn(BaseModel):
    """The hours of the seven weekdays, Monday first, in the office's local time; ``null``:
    closed all day."""

    model_config = ConfigDict(extra="forbid")

    week: list[OpeningIn | None] = Field(min_length=7, max_length=7)


@router.get("/{year}")
def get_year(year: int, actor: CurrentActor, app: AppDep) -> CalendarYearView:
    """Every day off of the year (national, cuti bersama, local), the working days declared in
    place of national ones, and the office hours."""
    return app.office_calendar.year(year)


@router.post("/holidays", status_code=201)
def declare_holiday(body: HolidayIn, actor: CurrentActor, app: AppDep) -> LocalChangeView:
    """Declare a local holiday (admin)."""
    require_role(actor, "admin")
    return app.office_calendar.declare_holiday(body.day, body.name, body.decree, actor)


@router.post("/working-days", status_code=201)
def declare_working_day(body: WorkingDayIn, actor: CurrentActor, app: AppDep) -> LocalChangeView:
    """Declare a national holiday or cuti bersama a working day (admin)."""
    require_role(actor, "admin")
    return app.office_calendar.declare_working_day(body.day, body.reason, actor)


@router.delete("/changes/{day}")
def withdraw_change(
    day: date,
    actor: CurrentActor,
    app: AppDep,
    reason: Annotated[str, Query(max_length=MAX_BASIS)] = "",
) -> LocalChangeView:
    """Withdraw the local change of a day: it is again as the national list has it (admin)."""
    require_role(actor, "admin")
    return app.office_calendar.withdraw_change(day, reason, actor)


@router.put("/office-hours")
def set_office_hours(body: OfficeHoursIn, actor: CurrentActor, app: AppDep) -> OfficeHoursView:
    """Set the office hours of each weekday, from now on (admin)."""
    require_role(actor, "admin")
    week = [None if o is None else (o.opens, o.closes) for o in body.week]
    return app.office_calendar.set_office_hours(week, actor)
