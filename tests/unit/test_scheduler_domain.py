"""The slot check: buffer, capacity, concurrency, smallest licence, alternatives."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from services.scheduler.domain import (
    Booking,
    HeldAccount,
    Hold,
    HostInfo,
    Meeting,
    MeetingRequest,
    Slot,
    SlotCheck,
    check_slot,
    days_touched,
    find_alternatives,
    validate_host_account,
)
from shared.errors import InvalidInput, OutOfOrder
from tests.builders import person

WITA = ZoneInfo("Asia/Makassar")
BUFFER = timedelta(minutes=15)
# Thursday 3 December 2026
DAY = date(2026, 12, 3)
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=WITA)

SMALL = HostInfo("zoom-1", "Zoom 1", "z1@x.go.id", 100, 1, True)
MEDIUM = HostInfo("zoom-2", "Zoom 2", "z2@x.go.id", 300, 1, True)
LARGE = HostInfo("zoom-3", "Zoom 3", "z3@x.go.id", 500, 1, True)


def at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=WITA)


def booked(host: HostInfo, start: datetime, end: datetime) -> Booking:
    return Booking(str(uuid4()), host.slug, start, end, "hold")


def test_a_meeting_inside_the_buffer_of_another_conflicts_and_one_outside_does_not() -> None:
    existing = booked(SMALL, at(9), at(10))
    too_close = check_slot([SMALL], [existing], at(10, 10), at(11), 50, BUFFER)
    assert not too_close.available
    assert too_close.conflicts == [existing]
    just_after = check_slot([SMALL], [existing], at(10, 15), at(11), 50, BUFFER)
    assert just_after.available
    assert just_after.host == SMALL
    before = check_slot([SMALL], [existing], at(7, 30), at(8, 45), 50, BUFFER)
    assert before.available


def test_the_smallest_sufficient_licence_is_chosen() -> None:
    accounts = [LARGE, SMALL, MEDIUM]
    assert check_slot(accounts, [], at(9), at(10), 50, BUFFER).host == SMALL
    assert check_slot(accounts, [], at(9), at(10), 150, BUFFER).host == MEDIUM
    assert check_slot(accounts, [], at(9), at(10), 300, BUFFER).host == MEDIUM
    assert check_slot(accounts, [], at(9), at(10), 301, BUFFER).host == LARGE


def test_a_busy_small_licence_passes_the_request_to_the_next_size() -> None:
    busy = booked(SMALL, at(9), at(10))
    decision = check_slot([SMALL, MEDIUM], [busy], at(9), at(10), 50, BUFFER)
    assert decision.host == MEDIUM


def test_too_many_participants_for_every_licence_is_full_without_conflicts() -> None:
    decision = check_slot([SMALL, MEDIUM, LARGE], [], at(9), at(10), 800, BUFFER)
    assert not decision.available
    assert decision.conflicts == []


def test_an_inactive_account_is_never_held() -> None:
    inactive = HostInfo("zoom-9", "Off", "z9@x.go.id", 1000, 1, False)
    assert not check_slot([inactive], [], at(9), at(10), 10, BUFFER).available


def test_an_account_allowing_two_meetings_takes_a_second_but_not_a_third() -> None:
    double = HostInfo("zoom-2x", "Zoom dual", "d@x.go.id", 300, 2, True)
    one = booked(double, at(9), at(10))
    assert check_slot([double], [one], at(9), at(10), 100, BUFFER).available
    two = booked(double, at(9, 30), at(11))
    decision = check_slot([double], [one, two], at(9), at(10), 100, BUFFER)
    assert not decision.available
    assert {c.request_id for c in decision.conflicts} == {one.request_id, two.request_id}


def test_full_lists_the_conflicts_of_every_sufficient_account() -> None:
    a = booked(SMALL, at(9), at(10))
    b = booked(MEDIUM, at(8, 30), at(9, 30))
    decision = check_slot([SMALL, MEDIUM], [a, b], at(9), at(10), 50, BUFFER)
    assert not decision.available
    assert [c.request_id for c in decision.conflicts] == [b.request_id, a.request_id]


def test_an_end_before_the_start_is_refused() -> None:
    with pytest.raises(InvalidInput):
        check_slot([SMALL], [], at(10), at(9), 10, BUFFER)


def _alternatives(
    bookings: list[Booking], start: datetime, end: datetime, **kw: object
) -> list[Slot]:
    def between(lo: datetime, hi: datetime) -> list[Booking]:
        return [b for b in bookings if b.overlaps(lo, hi)]

    return find_alternatives(
        [SMALL],
        between,
        start,
        end,
        50,
        BUFFER,
        tz=WITA,
        now=NOW,
        **kw,  # type: ignore[arg-type]
    )


def test_alternatives_keep_the_duration_and_stay_in_office_hours_nearest_first() -> None:
    busy = booked(SMALL, at(8), at(12))
    slots = _alternatives([busy], at(9), at(11))
    assert len(slots) == 3
    for slot in slots:
        assert slot.end - slot.start == timedelta(hours=2)
        local_start, local_end = slot.start.astimezone(WITA), slot.end.astimezone(WITA)
        assert local_start.time() >= at(7, 30).time()
        assert local_end.time() <= at(17).time()
        assert not busy.overlaps(slot.start - BUFFER, slot.end + BUFFER)
        assert slot.host_account_id == "zoom-1"
    # Same day, nearest to the wish first: 12:30 (after the 15-minute buffer, on the half hour).
    assert slots[0].start == at(12, 30)
    assert [s.start.date() for s in slots] == [DAY, DAY, DAY]


def test_alternatives_skip_weekends_and_holidays() -> None:
    friday = date(2026, 12, 4)
    whole_friday = booked(SMALL, at(7, day=friday), at(18, day=friday))
    holiday_monday = date(2026, 12, 7)
    slots = _alternatives(
        [whole_friday],
        at(9, day=friday),
        at(16, day=friday),
        non_working=frozenset({holiday_monday}),
    )
    assert [s.start for s in slots] == [
        at(7, 30, date(2026, 12, 8)),
        at(8, 0, date(2026, 12, 8)),
        at(8, 30, date(2026, 12, 8)),
    ]


def test_alternatives_are_never_in_the_past() -> None:
    busy = booked(SMALL, at(9), at(10))
    slots = find_alternatives(
        [SMALL],
        lambda lo, hi: [busy] if busy.overlaps(lo, hi) else [],
        at(9),
        at(10),
        50,
        BUFFER,
        tz=WITA,
        now=at(15),
    )
    assert all(s.start >= at(15) for s in slots)
    assert slots[0].start == at(15)


def test_a_buffered_window_across_midnight_touches_both_days() -> None:
    start, end = at(23, 30), at(23, 55)
    assert days_touched(start - BUFFER, end + BUFFER, WITA) == ["2026-12-03", "2026-12-04"]
    assert days_touched(at(9), at(10), WITA) == ["2026-12-03"]


def test_licence_sizes_and_concurrency_are_checked() -> None:
    with pytest.raises(InvalidInput):
        validate_host_account("zoom-4", "Zoom 4", "z4@x.go.id", 200, 1)
    with pytest.raises(InvalidInput):
        validate_host_account("zoom-4", "Zoom 4", "z4@x.go.id", 100, 3)
    validate_host_account("zoom-4", "Zoom 4", "z4@x.go.id", 1000, 2)


def _request() -> MeetingRequest:
    return MeetingRequest(
        request_id=uuid4(),
        topic="Rapat",
        start=at(9),
        end=at(10),
        participants=50,
        opd_code="DINKES",
        opd_name="Dinas Kesehatan",
        agenda_number="001/2026",
        caused_by=None,
    )


def test_a_meeting_needs_the_staff_disposition_a_hold_and_no_meeting_yet() -> None:
    request = _request()
    with pytest.raises(OutOfOrder, match="not been disposed"):
        request.check_can_create_meeting()
    held = HeldAccount("zoom-1", "Zoom 1", "z1@x.go.id", 100)
    check = SlotCheck(at(9), at(10), 50, True, held, 15, (), (), NOW)
    request.record_check(check, ["2026-12-03"], caused_by=None)
    assert request.check == check
    assert request.hold == Hold(held, ("2026-12-03",))
    request.open_staff_task(NOW, person("subkoordinator"), caused_by=None)
    assert request.check_can_create_meeting() == request.hold
    request.record_meeting(
        Meeting(
            meeting_id="12345678901",
            passcode="abc123",
            join_url="https://zoom.us/j/12345678901",
            host_account_id="zoom-1",
            host_email="z1@x.go.id",
            created_via="api",
            created_by=person("staf"),
            created_at=NOW + timedelta(minutes=7),
        )
    )
    with pytest.raises(OutOfOrder, match="exists already"):
        request.check_can_create_meeting()
    assert request.minutes_taken == 7.0
    assert request.status == "meeting_created"
