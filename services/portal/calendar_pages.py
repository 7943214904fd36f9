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
from services.portal.sessions import Session
from services.portal.signin import PageRefused, SessionDep
from services.portal.state import PagesDep
from services.portal.templating import Pages
from shared.calendar import DAYS, HOLIDAYS_2026, MONTHS, indonesian_date

router = APIRouter(include_in_schema=False)

# The office's holidays by name. The admin's holiday calendar is to replace this seed.
HOLIDAYS: Mapping[date, str] = HOLIDAYS_2026

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
    agendas = await agenda_numbers(backend, session, booked)
    accounts = rows_of(hosts, booked)
    days = [
        day_of(pages, day, today, accounts, booked[day], agendas)
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


async def agenda_numbers(
    backend: Backend, session: Session, booked: Mapping[date, list[dict[str, Any]]]
) -> dict[str, str]:
    """The agenda number of each booked request, as far as the scheduler tells this user."""
    ids = sorted({b["request_id"] for bookings in booked.values() for b in bookings})
    answers = await asyncio.gather(
        *(backend.get_or_none(session, "scheduler", f"/api/v1/meetings/{i}") for i in ids),
        return_exceptions=True,
    )
    return {
        request_id: str(answer["agenda_number"])
        for request_id, answer in zip(ids, answers, strict=True)
        if isinstance(answer, dict) and answer.get("agenda_number")
    }


def day_of(
    pages: Pages,
    day: date,
    today: date,
    accounts: list[Account],
    bookings: list[dict[str, Any]],
    agendas: Mapping[str, str],
) -> Day:
    shown = Day(
        day=day,
        name=f"{DAYS[day.weekday()]}, {indonesian_date(day)}",
        holiday=HOLIDAYS.get(day),
        weekend=day.weekday() >= WORKING_DAYS,
        today=day == today,
    )
    for account in accounts:
        mine = sorted(
            (b for b in bookings if b["host_account_id"] == account.id), key=lambda b: b["start"]
        )
        shown.cells.append(Cell(account, [booking_of(pages, day, b, agendas) for b in mine]))
    return shown


def booking_of(
    pages: Pages, day: date, booking: dict[str, Any], agendas: Mapping[str, str]
) -> Booking:
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
        meeting_id=booking.get("meeting_id"),
        agenda_number=agendas.get(booking["request_id"]),
        within_day=within,
    )
