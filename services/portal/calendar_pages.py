"""The calendar: one week of bookings per licensed Zoom host account, holds and meetings, for the
Sub-coordinator and Staf (and whoever else the scheduler lets read its schedule).

Every figure comes from the scheduler as this user may read it: the host accounts and the
schedule of each day of the week, fetched at once. An OPD is refused by the scheduler, and the
page says so. The week is the office's (Monday to Sunday, office time zone); Saturday and Sunday
are shown only when something is booked on them, and holidays are marked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from services.portal.backend import Backend, Refusal
from services.portal.signin import PageRefused, SessionDep
from services.portal.state import PagesDep
from services.portal.templating import Pages
from shared.calendar import DAYS, MONTHS, indonesian_date, national_days_off

router = APIRouter(include_in_schema=False)


def holiday_of(day: date) -> str | None:
    """The national holiday or cuti bersama of ``day`` by name (the office's local changes are
    the disposition service's, on the administrator's Kalender kerja page)."""
    off = national_days_off(day.year).get(day)
    return off.name if off else None


FIRST_YEAR, LAST_YEAR = 2000, 2099  # beyond these a date is a typing error, not a week to show
WORKING_DAYS = 5  # Monday to Friday; the weekend is shown only when something is booked


@dataclass(frozen=True)
class Account:
    id: str
    name: str
    capacity: int | None
    active: bool


@dataclass(frozen=True)
class Booking:
    request_id: str
    kind: str  # "hold" or "meeting"
    start: str
    end: str
    topic: str
    opd_code: str
    opd_name: str
    meeting_id: str | None
    agenda_number: str | None
    within_day: bool  # starts and ends on the day shown: the times alone say when


@dataclass(frozen=True)
class Cell:
    account: Account
    bookings: list[Booking]


@dataclass(frozen=True)
class Day:
    day: date
    name: str  # "Senin, 7 Desember 2026"
    holiday: str | None
    weekend: bool
    today: bool
    cells: list[Cell] = field(default_factory=list)


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def chosen_week(minggu: str | None, today: date) -> tuple[date, str | None]:
    """The Monday of the asked week (any day of it will do), or of this week with a warning."""
    if not minggu:
        return monday_of(today), None
    try:
        asked = date.fromisoformat(minggu.strip())
        if FIRST_YEAR <= asked.year <= LAST_YEAR:
            return monday_of(asked), None
    except ValueError:
        pass
    return (
        monday_of(today),
        f"Tanggal “{minggu[:20]}” tidak dikenali (gunakan format TTTT-BB-HH); "
        "ditampilkan minggu ini.",
    )


def week_label(monday: date) -> str:
    """``7–13 Desember 2026``, ``28 Desember 2026 – 3 Januari 2027``."""
    sunday = monday + timedelta(days=6)
    if monday.year != sunday.year:
        return f"{indonesian_date(monday)} – {indonesian_date(sunday)}"
    if monday.month != sunday.month:
        return f"{monday.day} {MONTHS[monday.month - 1]} – {indonesian_date(sunday)}"
    return f"{monday.day}–{indonesian_date(sunday)}"


def backend_of(request: Request) -> Backend:
    backend: Backend = request.app.state.backend
    return backend


@router.get("/kalender")
async def week_page(
    request: Request,
    session: SessionDep,
    pages: PagesDep,
    minggu: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """A week of holds and meetings, one row per host account, one column per day."""
    today = datetime.now(pages.zone).date()
    monday, warning = chosen_week(minggu, today)
    week = [monday + timedelta(days=i) for i in range(7)]
    backend = backend_of(request)
    try:
        hosts, *schedules = await asyncio.gather(
            backend.get(session, "scheduler", "/api/v1/host-accounts"),
            *(
                backend.get(session, "scheduler", "/api/v1/schedule", date=day.isoformat())
                for day in week
            ),
        )
    except Refusal as refusal:
        raise PageRefused(
            refusal.status, refusal.pesan or "Kalender tidak dapat ditampilkan."
        ) from None
    booked = {
        day: list(schedule["bookings"]) for day, schedule in zip(week, schedules, strict=True)
    }
    accounts = rows_of(hosts, booked)
    days = [
        day_of(pages, day, today, accounts, booked[day])
        for i, day in enumerate(week)
        if i < WORKING_DAYS or booked[day]
    ]
    buffers = [int(s.get("buffer_minutes") or 0) for s in schedules]
    return pages.render(
        request,
        "kalender/minggu.html",
        session,
        label=week_label(monday),
        monday=monday.isoformat(),
        previous=(monday - timedelta(days=7)).isoformat(),
        next=(monday + timedelta(days=7)).isoformat(),
        this_week=monday_of(today).isoformat(),
        is_this_week=monday == monday_of(today),
        accounts=accounts,
        days=days,
        buffer_minutes=max(buffers, default=0),
        warning=warning,
    )


def rows_of(
    hosts: list[dict[str, Any]], booked: Mapping[date, list[dict[str, Any]]]
) -> list[Account]:
    """The active host accounts, and any other that holds a booking this week."""
    used = {b["host_account_id"] for bookings in booked.values() for b in bookings}
    rows = [
        Account(h["id"], h["name"], h.get("capacity"), bool(h.get("active", True)))
        for h in hosts
        if h.get("active", True) or h["id"] in used
    ]
    known = {h["id"] for h in hosts}
    rows += [Account(slug, slug, None, False) for slug in sorted(used - known)]
    return rows


def day_of(
    pages: Pages,
    day: date,
    today: date,
    accounts: list[Account],
    bookings: list[dict[str, Any]],
) -> Day:
    shown = Day(
        day=day,
        name=f"{DAYS[day.weekday()]}, {indonesian_date(day)}",
        holiday=holiday_of(day),
        weekend=day.weekday() >= WORKING_DAYS,
        today=day == today,
    )
    for account in accounts:
        mine = sorted(
            (b for b in bookings if b["host_account_id"] == account.id), key=lambda b: b["start"]
        )
        shown.cells.append(Cell(account, [booking_of(pages, day, b) for b in mine]))
    return shown


def booking_of(pages: Pages, day: date, booking: dict[str, Any]) -> Booking:
    start, end = booking["start"], booking["end"]
    local_start = datetime.fromisoformat(start).astimezone(pages.zone)
    local_end = datetime.fromisoformat(end).astimezone(pages.zone)
    # A meeting ending at midnight still lies within its day.
    within = local_start.date() == day and (local_end - timedelta(microseconds=1)).date() == day
    return Booking(
        request_id=booking["request_id"],
        kind="meeting" if booking["kind"] == "meeting" else "hold",
        start=start,
        end=end,
        topic=booking.get("topic") or "",
        opd_code=booking.get("opd_code") or "",
        opd_name=booking.get("opd_name") or "",
        meeting_id=booking.get("meeting_id"),
        agenda_number=booking.get("agenda_number"),
        within_day=within,
    )
