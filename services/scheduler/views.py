"""What the scheduler's API shows: a request's record (check, hold, staff task, meeting), the
host accounts, a day's schedule and a dry-run slot check, as response models built from the
domain's values. The field names are those the portal, the CLI and other systems read."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.scheduler.domain import (
    Booking,
    Conflict,
    HeldAccount,
    HostInfo,
    MeetingRequest,
    Slot,
    SlotCheck,
    Status,
)
from services.scheduler.slots import ScheduleOfDay
from shared.events import Actor


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)


class HostAccountView(_View):
    """A licensed Zoom host account."""

    id: str = Field(description="short slug, e.g. zoom-1")
    name: str
    email: str
    capacity: int = Field(description="participants the licence allows")
    concurrent: int = Field(description="meetings it may host at once")
    active: bool = Field(description="whether the schedule may hold it")

    @classmethod
    def of(cls, host: HostInfo) -> HostAccountView:
        return cls(
            id=host.slug,
            name=host.name,
            email=host.email,
            capacity=host.capacity,
            concurrent=host.concurrent,
            active=host.active,
        )


class HeldAccountView(_View):
    id: str
    name: str
    email: str
    capacity: int

    @classmethod
    def of(cls, host: HeldAccount) -> HeldAccountView:
        return cls(
            id=host.host_account_id, name=host.name, email=host.email, capacity=host.capacity
        )


class HoldView(HeldAccountView):
    """The licence held for the request, on the days its buffered window touches."""

    days: list[str]


class ConflictView(_View):
    request_id: str
    host_account_id: str
    start: dt.datetime
    end: dt.datetime

    @classmethod
    def of(cls, conflict: Conflict) -> ConflictView:
        return cls(
            request_id=conflict.request_id,
            host_account_id=conflict.host_account_id,
            start=conflict.start,
            end=conflict.end,
        )


class SlotView(_View):
    host_account_id: str
    start: dt.datetime
    end: dt.datetime

    @classmethod
    def of(cls, slot: Slot) -> SlotView:
        return cls(host_account_id=slot.host_account_id, start=slot.start, end=slot.end)


class CheckView(_View):
    """The slot check recorded for a request (SOP step 4)."""

    available: bool
    host_account: HeldAccountView | None
    buffer_minutes: int
    conflicts: list[ConflictView]
    alternatives: list[SlotView]
    checked_at: dt.datetime

    @classmethod
    def of(cls, check: SlotCheck) -> CheckView:
        return cls(
            available=check.available,
            host_account=None if check.host is None else HeldAccountView.of(check.host),
            buffer_minutes=check.buffer_minutes,
            conflicts=[ConflictView.of(c) for c in check.conflicts],
            alternatives=[SlotView.of(a) for a in check.alternatives],
            checked_at=check.checked_at,
        )


class SlotCheckView(_View):
    """Whether a slot is free now (the dry-run check), and alternatives if not."""

    available: bool
    host_account_id: str | None
    host_account_name: str | None
    capacity: int | None
    start: dt.datetime
    end: dt.datetime
    participants: int
    buffer_minutes: int
    conflicts: list[ConflictView]
    alternatives: list[SlotView]

    @classmethod
    def of(cls, check: SlotCheck) -> SlotCheckView:
        host = check.host
        return cls(
            available=check.available,
            host_account_id=host.host_account_id if host else None,
            host_account_name=host.name if host else None,
            capacity=host.capacity if host else None,
            start=check.start,
            end=check.end,
            participants=check.participants,
            buffer_minutes=check.buffer_minutes,
            conflicts=[ConflictView.of(c) for c in check.conflicts],
            alternatives=[SlotView.of(a) for a in check.alternatives],
        )


class StaffTaskView(_View):
    """The request disposed to staff: the meeting is due by ``deadline`` (15 minutes)."""

    opened_at: dt.datetime
    opened_by: Actor
    deadline: dt.datetime
    minutes_taken: float | None


class ZoomMeetingView(_View):
    """The request's Zoom meeting (SOP step 5)."""

    provider: str = Field(description="always `zoom`")
    meeting_id: str = Field(description="Zoom's meeting ID, digits only")
    passcode: str
    join_url: str = Field(description="the link participants join with")
    host_account_id: str = Field(description="the held host account it is on")
    host_email: str
    created_via: str = Field(description="`api` (made at Zoom by SIVICON) or `manual`")
    created_by: Actor
    created_at: dt.datetime


class WithdrawalView(_View):
    reason: str
    by: Actor
    at: dt.datetime


class CaseClosingView(_View):
    outcome: str
    at: dt.datetime


class MeetingView(_View):
    """The scheduler's record of a request: the wish, the check, the hold, the staff task, the
    meeting, and how its case ended."""

    request_id: str
    agenda_number: str
    opd_code: str
    opd_name: str
    topic: str
    start: dt.datetime
    end: dt.datetime
    participants: int
    status: Status
    check: CheckView | None
    hold: HoldView | None
    staff_task: StaffTaskView | None
    meeting: ZoomMeetingView | None
    withdrawn: WithdrawalView | None
    case_closed: CaseClosingView | None

    @classmethod
    def of(cls, request: MeetingRequest) -> MeetingView:
        hold, task, meeting = request.hold, request.staff_task, request.meeting
        gone, closed = request.withdrawn, request.case_closed
        return cls(
            request_id=str(request.id),
            agenda_number=request.agenda_number,
            opd_code=request.opd_code,
            opd_name=request.opd_name,
            topic=request.topic,
            start=request.start,
            end=request.end,
            participants=request.participants,
            status=request.status,
            check=None if request.check is None else CheckView.of(request.check),
            hold=None
            if hold is None
            else HoldView(**HeldAccountView.of(hold.account).model_dump(), days=list(hold.days)),
            staff_task=None
            if task is None
            else StaffTaskView(
                opened_at=task.opened_at,
                opened_by=task.opened_by,
                deadline=task.deadline,
                minutes_taken=request.minutes_taken,
            ),
            meeting=None
            if meeting is None
            else ZoomMeetingView(
                provider=meeting.provider,
                meeting_id=meeting.meeting_id,
                passcode=meeting.passcode,
                join_url=meeting.join_url,
                host_account_id=meeting.host_account_id,
                host_email=meeting.host_email,
                created_via=meeting.created_via,
                created_by=meeting.created_by,
                created_at=meeting.created_at,
            ),
            withdrawn=None
            if gone is None
            else WithdrawalView(reason=gone.reason, by=gone.by, at=gone.at),
            case_closed=None
            if closed is None
            else CaseClosingView(outcome=closed.outcome, at=closed.at),
        )


class BookingView(_View):
    """A hold (until the meeting exists) or a meeting on a host account."""

    request_id: str
    host_account_id: str
    start: dt.datetime
    end: dt.datetime
    kind: Literal["hold", "meeting"]
    topic: str
    opd_code: str
    opd_name: str | None = Field(description="the requesting agency's name")
    agenda_number: str | None = Field(description="the request's number in the agenda book")
    meeting_id: str | None

    @classmethod
    def of(cls, booking: Booking, request: MeetingRequest | None) -> BookingView:
        return cls(
            request_id=booking.request_id,
            host_account_id=booking.host_account_id,
            start=booking.start,
            end=booking.end,
            kind="meeting" if booking.kind == "meeting" else "hold",
            topic=booking.topic,
            opd_code=booking.opd_code,
            opd_name=request.opd_name if request else None,
            agenda_number=request.agenda_number if request else None,
            meeting_id=booking.meeting_id,
        )


class ScheduleDay(_View):
    """The holds and meetings of one day (office time zone), with the host accounts."""

    date: dt.date
    timezone: str
    buffer_minutes: int
    host_accounts: list[HostAccountView]
    bookings: list[BookingView]

    @classmethod
    def of(cls, schedule: ScheduleOfDay) -> ScheduleDay:
        return cls(
            date=schedule.day,
            timezone=schedule.timezone,
            buffer_minutes=schedule.buffer_minutes,
            host_accounts=[HostAccountView.of(h) for h in schedule.host_accounts],
            bookings=[
                BookingView.of(b, schedule.requests.get(b.request_id)) for b in schedule.bookings
            ],
        )
