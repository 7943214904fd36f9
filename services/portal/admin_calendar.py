"""The administrator's page for the office's working calendar (Kalender kerja): a year's days off
(national holidays, cuti bersama, local holidays) with their names and source, the working days a
decree put back, and the office hours; adding a local holiday, declaring a working day,
withdrawing a local change and setting the office hours.

The calendar is the disposition service's (it counts the SLA of step 8 with it): the page checks
each form here with messages in Indonesian, then calls the service as the signed-in administrator,
which still decides (a day already off, a day changed already) and whose refusal is shown beside
the field it names.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.portal.admin_common import AdminDep, AdminPostDep, form_page, form_values, send
from services.portal.admin_rules import Errors
from services.portal.backend import Refusal
from services.portal.sessions import Session
from services.portal.state import PagesDep, backend_of
from services.portal.templating import Pages
from shared.calendar import DAYS, FIRST_YEAR, LAST_YEAR, indonesian_day_date

router = APIRouter(include_in_schema=False)

PATH = "/admin/kalender"
MAX_NAME, MAX_BASIS = 200, 300  # the disposition service's limits
CLOCK = re.compile(r"^([01]\d|2[0-3])[.:]([0-5]\d)$")
SOURCES = {"nasional": "Libur nasional", "cuti bersama": "Cuti bersama", "lokal": "Libur lokal"}
HOLIDAY_FIELDS = ("libur_tanggal", "libur_nama", "libur_dasar")
WORKING_FIELDS = ("kerja_tanggal", "kerja_dasar")
HOURS_FIELDS = tuple(f"jam_{i}_{end}" for i in range(7) for end in ("buka", "tutup"))

# The service's field names (its details), as the fields of each form on the page.
SERVICE_FIELDS = {
    "holiday": {"date": "libur_tanggal", "day": "libur_tanggal", "name": "libur_nama"}
    | {"decree": "libur_dasar"},
    "working_day": {"date": "kerja_tanggal", "day": "kerja_tanggal", "reason": "kerja_dasar"},
    "hours": {f"week.{i}": f"jam_{i}_buka" for i in range(7)},
}


def chosen_year(text: str | None, this_year: int) -> int:
    year = int(text) if text and text.isdigit() else this_year
    return year if FIRST_YEAR <= year <= LAST_YEAR else this_year


def day_of(text: str, field: str, errors: Errors) -> date | None:
    """The date typed in ``field``, or ``None`` with the error beside it."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        errors[field] = "isi tanggal yang benar, mis. 2 Desember 2026"
        return None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        errors[field] = f"tanggal harus dalam tahun {FIRST_YEAR} sampai {LAST_YEAR}"
        return None
    return day


def check_text(values: dict[str, str], field: str, label: str, limit: int, errors: Errors) -> None:
    if not values[field]:
        errors[field] = f"{label} wajib diisi"
    elif len(values[field]) > limit:
        errors[field] = f"{label} paling panjang {limit} karakter"


def check_hours(values: dict[str, str]) -> tuple[list[dict[str, str] | None], Errors]:
    """The week of office hours from the form (both times empty: closed that day)."""
    errors: Errors = {}
    week: list[dict[str, str] | None] = []
    for i, name in enumerate(DAYS):
        opens, closes = values[f"jam_{i}_buka"].strip(), values[f"jam_{i}_tutup"].strip()
        if not opens and not closes:
            week.append(None)
            continue
        times = [CLOCK.match(opens), CLOCK.match(closes)]
        if times[0] is None or times[1] is None:
            errors[f"jam_{i}_buka"] = (
                f"hari {name}: isi jam buka dan jam tutup (mis. 07.30 dan 16.00), "
                "atau kosongkan keduanya bila kantor tutup"
            )
            week.append(None)
            continue
        opening, closing = (f"{m.group(1)}:{m.group(2)}" for m in times if m is not None)
        if opening >= closing:
            errors[f"jam_{i}_buka"] = f"hari {name}: jam buka harus sebelum jam tutup"
        week.append({"opens": opening, "closes": closing})
    if not errors and all(day is None for day in week):
        errors["jam_0_buka"] = "kantor harus buka sekurang-kurangnya satu hari dalam seminggu"
    return week, errors


def hours_values(calendar: dict[str, Any] | None) -> dict[str, str]:
    """The office hours as the form shows them (``07.30``)."""
    values = dict.fromkeys(HOURS_FIELDS, "")
    for day in (calendar or {}).get("office_hours", {}).get("week", []):
        if day["opens"] and day["closes"]:
            values[f"jam_{day['weekday']}_buka"] = day["opens"][:5].replace(":", ".")
            values[f"jam_{day['weekday']}_tutup"] = day["closes"][:5].replace(":", ".")
    return values


def shown(calendar: dict[str, Any]) -> dict[str, Any]:
    """The year as the template lists it: each date in Indonesian, each source in words."""

    def long(day: str) -> str:
        return indonesian_day_date(date.fromisoformat(day))

    days_off = [
        {**d, "tanggal": long(d["day"]), "sumber": SOURCES.get(d["source"], d["source"])}
        for d in calendar["days_off"]
    ]
    working = [{**w, "tanggal": long(w["day"])} for w in calendar["working_days"]]
    open_days = {d["weekday"] for d in calendar["office_hours"]["week"] if d["opens"]}
    # What may become a working day: a national day off on a weekday the office opens.
    nationals = [
        d
        for d in days_off
        if d["source"] != "lokal" and date.fromisoformat(d["day"]).weekday() in open_days
    ]
    return {"days_off": days_off, "working_days": working, "nationals": nationals}


async def _calendar_page(
    request: Request,
    pages: Pages,
    session: Session,
    year: int,
    *,
    values: dict[str, str] | None = None,
    errors: Errors | None = None,
    refusal: Refusal | None = None,
) -> Response:
    calendar: dict[str, Any] | None = None
    load_error = ""
    try:
        calendar = await backend_of(request).get(session, "disposition", f"/api/v1/calendar/{year}")
    except Refusal as unread:
        load_error = unread.pesan
    this_year = datetime.now(pages.zone).year
    return form_page(
        request,
        pages,
        session,
        "admin/kalender.html",
        values={**dict.fromkeys(HOLIDAY_FIELDS + WORKING_FIELDS, ""), **hours_values(calendar)}
        | (values or {}),
        errors=errors,
        refusal=refusal,
        year=year,
        this_year=this_year,
        years=range(max(FIRST_YEAR, this_year - 2), min(LAST_YEAR, this_year + 3) + 1),
        calendar=shown(calendar) if calendar else None,
        hours_set=calendar["office_hours"] if calendar else None,
        load_error=load_error,
        weekdays=DAYS,
    )


def _done(year: int, notice: str) -> Response:
    return RedirectResponse(f"{PATH}?tahun={year}&ok={notice}", status_code=303)


def _beside_fields(refusal: Refusal, form: str) -> Errors:
    names = SERVICE_FIELDS[form]
    return {names[f]: message for f, message in refusal.fields.items() if f in names}


async def _year_of(request: Request, pages: Pages) -> int:
    """The year the page showed when the form was sent."""
    this_year = datetime.now(pages.zone).year
    return chosen_year((await form_values(request, "tahun"))["tahun"], this_year)


@router.get(PATH)
async def calendar_page(
    request: Request, session: AdminDep, pages: PagesDep, tahun: str | None = None
) -> Response:
    year = chosen_year(tahun, datetime.now(pages.zone).year)
    return await _calendar_page(request, pages, session, year)


@router.post(f"{PATH}/libur")
async def add_holiday(request: Request, session: AdminPostDep, pages: PagesDep) -> Response:
    """Declare a local holiday with the disposition service."""
    values = {k: v.strip() for k, v in (await form_values(request, *HOLIDAY_FIELDS)).items()}
    errors: Errors = {}
    day = day_of(values["libur_tanggal"], "libur_tanggal", errors)
    check_text(values, "libur_nama", "nama hari libur", MAX_NAME, errors)
    check_text(values, "libur_dasar", "dasar penetapan", MAX_BASIS, errors)
    year = day.year if day else await _year_of(request, pages)
    if errors or day is None:
        return await _calendar_page(request, pages, session, year, values=values, errors=errors)
    body = {"day": day.isoformat(), "name": values["libur_nama"], "decree": values["libur_dasar"]}
    path = "/api/v1/calendar/holidays"
    if refusal := await send(request, session, "POST", "disposition", path, body):
        return await _calendar_page(
            request,
            pages,
            session,
            year,
            values=values,
            errors=_beside_fields(refusal, "holiday"),
            refusal=refusal,
        )
    return _done(year, "libur-ditambah")


@router.post(f"{PATH}/hari-kerja")
async def add_working_day(request: Request, session: AdminPostDep, pages: PagesDep) -> Response:
    """Declare a national holiday or cuti bersama a working day with the disposition service."""
    values = {k: v.strip() for k, v in (await form_values(request, *WORKING_FIELDS)).items()}
    errors: Errors = {}
    if not values["kerja_tanggal"]:
        errors["kerja_tanggal"] = "pilih hari libur yang menjadi hari kerja"
        day = None
    else:
        day = day_of(values["kerja_tanggal"], "kerja_tanggal", errors)
    check_text(values, "kerja_dasar", "dasar penetapan", MAX_BASIS, errors)
    year = day.year if day else await _year_of(request, pages)
    if errors or day is None:
        return await _calendar_page(request, pages, session, year, values=values, errors=errors)
    body = {"day": day.isoformat(), "reason": values["kerja_dasar"]}
    path = "/api/v1/calendar/working-days"
    if refusal := await send(request, session, "POST", "disposition", path, body):
        return await _calendar_page(
            request,
            pages,
            session,
            year,
            values=values,
            errors=_beside_fields(refusal, "working_day"),
            refusal=refusal,
        )
    return _done(year, "hari-kerja")


@router.post(f"{PATH}/cabut")
async def withdraw_change(request: Request, session: AdminPostDep, pages: PagesDep) -> Response:
    """Withdraw a local change: the day is again as the national calendar has it."""
    form = await form_values(request, "tanggal", "tahun")
    errors: Errors = {}
    day = day_of(form["tanggal"], "tanggal", errors)
    year = day.year if day else await _year_of(request, pages)
    if day is None:
        refused = Refusal(422, "invalid_input", "tanggal perubahan yang dicabut tidak dikenal")
        return await _calendar_page(request, pages, session, year, refusal=refused)
    path = f"/api/v1/calendar/changes/{day.isoformat()}"
    try:
        await backend_of(request).call(session, "DELETE", "disposition", path)
    except Refusal as refusal:
        return await _calendar_page(request, pages, session, year, refusal=refusal)
    return _done(year, "perubahan-dicabut")


@router.post(f"{PATH}/jam-kerja")
async def set_office_hours(request: Request, session: AdminPostDep, pages: PagesDep) -> Response:
    """Set the office hours of each weekday with the disposition service."""
    values = await form_values(request, *HOURS_FIELDS)
    year = await _year_of(request, pages)
    week, errors = check_hours(values)
    if errors:
        return await _calendar_page(request, pages, session, year, values=values, errors=errors)
    path = "/api/v1/calendar/office-hours"
    if refusal := await send(request, session, "PUT", "disposition", path, {"week": week}):
        return await _calendar_page(
            request,
            pages,
            session,
            year,
            values=values,
            errors=_beside_fields(refusal, "hours"),
            refusal=refusal,
        )
    return _done(year, "jam-kerja")
