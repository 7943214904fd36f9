"""The office's own calendar: local holidays, working days in place of national days off, their
withdrawal and the office hours, each recorded with who made it, and the calendar they make."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from services.disposition.domain.office_calendar import (
    OFFICE_CALENDAR_ID,
    OfficeCalendar,
    office_hours,
)
from shared.calendar import DEFAULT_OFFICE_HOURS
from shared.errors import InvalidInput, NotFound
from shared.events import Actor

ADMIN = Actor(username="admin", name="Administrator SIVICON", role="admin")
TARAKAN_DAY = date(2026, 12, 2)  # a Wednesday
CHRISTMAS_EVE = date(2026, 12, 24)  # cuti bersama
MON_THU, FRIDAY = (time(7, 30), time(16, 0)), (time(7, 30), time(11, 0))


def wita(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=ZoneInfo("Asia/Makassar")).astimezone(UTC)


def replayed(calendar: OfficeCalendar) -> OfficeCalendar:
    """The calendar rebuilt from the events it recorded, as the store would."""
    rebuilt = None
    for event in calendar.collect_events():
        rebuilt = event.mutate(rebuilt)
    assert isinstance(rebuilt, OfficeCalendar)
    return rebuilt


def test_one_calendar_per_office_under_a_fixed_id() -> None:
    assert OfficeCalendar().id == OFFICE_CALENDAR_ID == OfficeCalendar().id


def test_a_local_holiday_is_recorded_with_its_decree_and_who_declared_it() -> None:
    calendar = OfficeCalendar()
    change = calendar.declare_holiday(
        TARAKAN_DAY, " Hari Jadi Kota Tarakan ", "SK Wali Kota 100/2026", ADMIN
    )
    assert (change.kind, change.name, change.basis, change.actor) == (
        "holiday",
        "Hari Jadi Kota Tarakan",
        "SK Wali Kota 100/2026",
        ADMIN,
    )
    again = replayed(calendar)
    assert again.changes[TARAKAN_DAY].actor == ADMIN
    working = again.working_calendar("Asia/Makassar")
    assert working.days_off(2026)[TARAKAN_DAY].source == "lokal"
    assert working.add_working_days(wita(12, 1), 1) == wita(12, 3)


def test_a_cuti_bersama_made_a_working_day_and_withdrawn_again() -> None:
    calendar = OfficeCalendar()
    calendar.declare_working_day(CHRISTMAS_EVE, "SKB perubahan cuti bersama 2026", ADMIN)
    assert calendar.working_calendar("Asia/Makassar").is_working_day(CHRISTMAS_EVE)
    withdrawn = calendar.withdraw_change(CHRISTMAS_EVE, "SKB dibatalkan", ADMIN)
    assert withdrawn.kind == "working_day"
    again = replayed(calendar)
    assert again.changes == {}
    assert not again.working_calendar("Asia/Makassar").is_working_day(CHRISTMAS_EVE)
    kinds = [type(e).__name__ for e in again.collect_events()]
    assert kinds == []  # replayed: nothing new to save


@pytest.mark.parametrize(
    ("command", "pesan"),
    [
        (lambda c: c.declare_holiday(date(2026, 8, 17), "x", "y", ADMIN), "sudah hari libur"),
        (lambda c: c.declare_holiday(date(2026, 12, 5), "x", "y", ADMIN), "hari Sabtu"),
        (lambda c: c.declare_holiday(TARAKAN_DAY, " ", "y", ADMIN), "nama hari libur wajib"),
        (lambda c: c.declare_holiday(TARAKAN_DAY, "x", "", ADMIN), "dasar penetapan wajib"),
        (lambda c: c.declare_holiday(TARAKAN_DAY, "x" * 201, "y", ADMIN), "paling panjang 200"),
        (lambda c: c.declare_holiday(date(2101, 1, 2), "x", "y", ADMIN), "tahun 2000 sampai"),
        (lambda c: c.declare_working_day(TARAKAN_DAY, "y", ADMIN), "bukan hari libur nasional"),
        (lambda c: c.declare_working_day(date(2026, 4, 5), "y", ADMIN), "hari Minggu"),
    ],
)
def test_what_cannot_be_declared_is_refused_in_indonesian(command: object, pesan: str) -> None:
    calendar = OfficeCalendar()
    calendar.collect_events()
    with pytest.raises(InvalidInput) as refused:
        command(calendar)  # type: ignore[operator]
    assert pesan in refused.value.pesan
    assert refused.value.message
    assert refused.value.message != refused.value.pesan
    assert calendar.collect_events() == []


def test_a_day_is_changed_once_until_its_change_is_withdrawn() -> None:
    calendar = OfficeCalendar()
    calendar.declare_holiday(TARAKAN_DAY, "Hari Jadi", "SK 1", ADMIN)
    with pytest.raises(InvalidInput) as twice:
        calendar.declare_holiday(TARAKAN_DAY, "Hari Jadi Kota", "SK 2", ADMIN)
    assert twice.value.code == "already_changed"
    calendar.withdraw_change(TARAKAN_DAY, "", ADMIN)
    calendar.declare_holiday(TARAKAN_DAY, "Hari Jadi Kota", "SK 2", ADMIN)
    assert calendar.changes[TARAKAN_DAY].basis == "SK 2"
    with pytest.raises(NotFound):
        calendar.withdraw_change(date(2026, 12, 3), "", ADMIN)


def test_office_hours_are_set_anew_and_kept_with_who_set_them() -> None:
    calendar = OfficeCalendar()
    assert calendar.hours.hours == DEFAULT_OFFICE_HOURS
    assert calendar.hours.actor is None
    assert not calendar.set_office_hours(DEFAULT_OFFICE_HOURS, ADMIN), "the same hours: no event"
    eight = (time(8, 0), time(15, 30))
    assert calendar.set_office_hours(office_hours([eight] * 5 + [None, None]), ADMIN)
    again = replayed(calendar)
    assert again.hours.actor == ADMIN
    assert again.working_calendar("Asia/Makassar").add_working_days(wita(12, 5), 1) == wita(
        12, 8, 8
    )


def test_hours_that_make_no_sense_are_refused_in_indonesian() -> None:
    with pytest.raises(InvalidInput, match="before its closing") as backwards:
        office_hours([MON_THU] * 4 + [(time(11, 0), time(7, 30)), None, None])
    assert "jam buka hari Jumat harus sebelum jam tutup" in backwards.value.pesan
    assert backwards.value.details == [
        {"field": "week.4", "message": "jam buka hari Jumat harus sebelum jam tutup"}
    ]
    with pytest.raises(InvalidInput) as closed:
        office_hours([None] * 7)
    assert "sekurang-kurangnya satu hari" in closed.value.pesan
    assert office_hours([MON_THU] * 4 + [FRIDAY, None, None]) == DEFAULT_OFFICE_HOURS
