"""The scheduler's domain: licensed Zoom host accounts, the day schedules that hold their
bookings, the requests it remembers, and the slot check itself.

A request is *available* when some active host account with enough participant capacity has
fewer than ``concurrent`` bookings overlapping the requested time widened by the buffer on both
sides; the smallest sufficient licence is chosen, so that big licences stay free for big
meetings. Bookings live in one :class:`DaySchedule` per calendar day of the office's time zone;
a booking is written into every day its buffered window touches, so that two checks that could
collide always write the same aggregate and the store's optimistic concurrency refuses one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5
from zoneinfo import ZoneInfo

from eventsourcing.domain import Aggregate, event

from shared.errors import ClosedCase, InvalidInput, NotFound, OutOfOrder
from shared.procedure import MEETING_LIMIT

NAMESPACE = uuid5(NAMESPACE_URL, "https://sivicon/scheduler")
CAPACITIES = (100, 300, 500, 1000)
CONCURRENCY = (1, 2)
WORKDAY_START = time(7, 30)
WORKDAY_END = time(17, 0)
ALTERNATIVE_STEP = timedelta(minutes=30)


# --------------------------------------------------------------------------- host accounts


class HostAccount(Aggregate):
    """A licensed Zoom host: who hosts, how many participants, how many meetings at once."""

    @staticmethod
    def create_id(slug: str) -> UUID:
        return host_account_uuid(slug)

    @event("Registered")
    def __init__(
        self, slug: str, name: str, email: str, capacity: int, concurrent: int, active: bool
    ) -> None:
        self.slug = slug
        self.name = name
        self.email = email
        self.capacity = capacity
        self.concurrent = concurrent
        self.active = active

    @event("ActiveChanged")
    def set_active(self, active: bool) -> None:
        self.active = active

    def info(self) -> HostInfo:
        return HostInfo(
            self.slug, self.name, self.email, self.capacity, self.concurrent, self.active
        )


def host_account_uuid(slug: str) -> UUID:
    return uuid5(NAMESPACE, f"host-account:{slug}")


def validate_host_account(slug: str, name: str, email: str, capacity: int, concurrent: int) -> None:
    if capacity not in CAPACITIES:
        raise InvalidInput(
            f"capacity must be one of {', '.join(map(str, CAPACITIES))}, not {capacity}",
            f"kapasitas harus salah satu dari {', '.join(map(str, CAPACITIES))}",
        )
    if concurrent not in CONCURRENCY:
        raise InvalidInput(
            f"concurrent meetings must be 1 or 2, not {concurrent}",
            "jumlah rapat bersamaan harus 1 atau 2",
        )
    if not name.strip() or "@" not in email:
        raise InvalidInput(
            "a host account needs a name and an email address",
            "akun host memerlukan nama dan alamat email",
        )


class HostAccountIndex(Aggregate):
    """The list of host account slugs (the store has no secondary indexes)."""

    ID = uuid5(NAMESPACE, "host-account-index")

    @staticmethod
    def create_id() -> UUID:
        return HostAccountIndex.ID

    @event("Started")
    def __init__(self) -> None:
        self.slugs: list[str] = []

    @event("Added")
    def add(self, slug: str) -> None:
        self.slugs.append(slug)


class ZoomCleanup(Aggregate):
    """Meetings released in our schedule that are still to be deleted at Zoom.

    A case closed as withdrawn queues its meeting here in the same save that releases the
    booking; a periodic job deletes it at Zoom and records that, so a Zoom outage delays the
    deletion but never blocks the consumer or loses it.
    """

    ID = uuid5(NAMESPACE, "zoom-cleanup")

    @staticmethod
    def create_id() -> UUID:
        return ZoomCleanup.ID

    @event("Started")
    def __init__(self) -> None:
        self.pending: dict[str, str] = {}  # meeting ID -> request ID

    @event("Queued")
    def queue(self, meeting_id: str, request_id: str) -> None:
        self.pending[meeting_id] = request_id

    @event("DeletedAtZoom")
    def deleted(self, meeting_id: str) -> None:
        self.pending.pop(meeting_id, None)


@dataclass(frozen=True)
class HostInfo:
    slug: str
    name: str
    email: str
    capacity: int
    concurrent: int
    active: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.slug,
            "name": self.name,
            "email": self.email,
            "capacity": self.capacity,
            "concurrent": self.concurrent,
            "active": self.active,
        }


# --------------------------------------------------------------------------- bookings


@dataclass(frozen=True)
class Booking:
    request_id: str
    host_account_id: str
    start: datetime
    end: datetime
    kind: str  # "hold" until the meeting exists, then "meeting"
    topic: str = ""
    opd_code: str = ""
    meeting_id: str | None = None

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return self.start < end and self.end > start

    def as_dict(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "host_account_id": self.host_account_id,
            "start": self.start,
            "end": self.end,
            "kind": self.kind,
            "topic": self.topic,
            "opd_code": self.opd_code,
            "meeting_id": self.meeting_id,
        }


class DaySchedule(Aggregate):
    """The bookings touching one calendar day (office time zone), keyed by request ID."""

    @staticmethod
    def create_id(day: str) -> UUID:
        return day_schedule_uuid(day)

    @event("Opened")
    def __init__(self, day: str) -> None:
        self.day = day
        self.bookings: dict[str, Booking] = {}

    @event("Booked")
    def book(
        self,
        request_id: str,
        host_account_id: str,
        start: datetime,
        end: datetime,
        topic: str,
        opd_code: str,
    ) -> None:
        self.bookings[request_id] = Booking(
            request_id, host_account_id, start, end, "hold", topic, opd_code
        )

    @event("Confirmed")
    def confirm(self, request_id: str, meeting_id: str) -> None:
        held = self.bookings[request_id]
        self.bookings[request_id] = Booking(
            held.request_id,
            held.host_account_id,
            held.start,
            held.end,
            "meeting",
            held.topic,
            held.opd_code,
            meeting_id,
        )

    @event("Released")
    def release(self, request_id: str, reason: str) -> None:
        self.bookings.pop(request_id, None)


def day_schedule_uuid(day: str) -> UUID:
    return uuid5(NAMESPACE, f"day-schedule:{day}")


def days_touched(start: datetime, end: datetime, tz: ZoneInfo) -> list[str]:
    """The office-time-zone dates that ``[start, end)`` touches, as ISO strings."""
    first = start.astimezone(tz).date()
    last = (end - timedelta(microseconds=1)).astimezone(tz).date()
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


# --------------------------------------------------------------------------- the slot check


@dataclass(frozen=True)
class SlotDecision:
    available: bool
    host: HostInfo | None
    conflicts: list[Booking]


def check_slot(
    accounts: Iterable[HostInfo],
    bookings: Iterable[Booking],
    start: datetime,
    end: datetime,
    participants: int,
    buffer: timedelta,
) -> SlotDecision:
    """Choose the smallest active licence that is big enough and not fully booked."""
    if end <= start:
        raise InvalidInput(
            "the meeting must end after it starts", "rapat harus berakhir setelah waktu mulai"
        )
    if participants < 1:
        raise InvalidInput("participants must be at least 1", "jumlah peserta minimal 1")
    window_start, window_end = start - buffer, end + buffer
    overlapping = [b for b in bookings if b.overlaps(window_start, window_end)]
    sufficient = sorted(
        (a for a in accounts if a.active and a.capacity >= participants),
        key=lambda a: (a.capacity, a.slug),
    )
    conflicts: list[Booking] = []
    for account in sufficient:
        busy = [b for b in overlapping if b.host_account_id == account.slug]
        if len(busy) < account.concurrent:
            return SlotDecision(True, account, [])
        conflicts.extend(busy)
    conflicts.sort(key=lambda b: (b.start, b.host_account_id))
    return SlotDecision(False, None, conflicts)


@dataclass(frozen=True)
class Slot:
    host_account_id: str
    start: datetime
    end: datetime

    def as_dict(self) -> dict[str, Any]:
        return {"host_account_id": self.host_account_id, "start": self.start, "end": self.end}


def working_days_from(first: date, non_working: frozenset[date], count: int) -> list[date]:
    """``first`` (if it is a working day) and the next working days, ``count`` in all."""
    days: list[date] = []
    day = first
    while len(days) < count:
        if day.weekday() < 5 and day not in non_working:
            days.append(day)
        day += timedelta(days=1)
    return days


def find_alternatives(
    accounts: Sequence[HostInfo],
    bookings_between: Callable[[datetime, datetime], list[Booking]],
    start: datetime,
    end: datetime,
    participants: int,
    buffer: timedelta,
    *,
    tz: ZoneInfo,
    now: datetime,
    non_working: frozenset[date] = frozenset(),
    limit: int = 3,
    days_ahead: int = 10,
) -> list[Slot]:
    """Up to ``limit`` free slots of the same length: the same day first (nearest to the wish),
    then the next working days, between 07:30 and 17:00 office time, in the future."""
    duration = end - start
    wished_day = start.astimezone(tz).date()
    found: list[Slot] = []
    for day in working_days_from(wished_day, non_working, days_ahead):
        candidates = _candidate_starts(day, duration, tz)
        if day == wished_day:
            candidates.sort(key=lambda c: abs(c - start))
        day_bookings = bookings_between(
            datetime.combine(day, WORKDAY_START, tz) - buffer,
            datetime.combine(day, WORKDAY_END, tz) + buffer,
        )
        for candidate in candidates:
            if candidate == start or candidate < now:
                continue
            decision = check_slot(
                accounts, day_bookings, candidate, candidate + duration, participants, buffer
            )
            if decision.available and decision.host is not None:
                found.append(Slot(decision.host.slug, candidate, candidate + duration))
                if len(found) == limit:
                    return found
    return found


def _candidate_starts(day: date, duration: timedelta, tz: ZoneInfo) -> list[datetime]:
    first = datetime.combine(day, WORKDAY_START, tz)
    last_end = datetime.combine(day, WORKDAY_END, tz)
    starts = []
    candidate = first
    while candidate + duration <= last_end:
        starts.append(candidate)
        candidate += ALTERNATIVE_STEP
    return starts


# --------------------------------------------------------------------------- requests


class MeetingRequest(Aggregate):
    """What the scheduler knows of one request: the wish, the check, the hold, the meeting, and
    how its case ended.

    Whether the request is still alive is the case's to say (disposition), not the scheduler's:
    the hold is released only when ``CaseClosed`` says ``withdrawn`` (``Withdrawn``, which is
    published as ``MeetingCancelled``), and a closed case takes no meeting any more.
    """

    @staticmethod
    def create_id(request_id: UUID) -> UUID:
        return request_id

    @event("Remembered")
    def __init__(
        self,
        request_id: UUID,
        topic: str,
        start: datetime,
        end: datetime,
        participants: int,
        opd_code: str,
        opd_name: str,
        agenda_number: str,
        caused_by: str | None,
    ) -> None:
        self.topic = topic
        self.start = start
        self.end = end
        self.participants = participants
        self.opd_code = opd_code
        self.opd_name = opd_name
        self.agenda_number = agenda_number
        self.check: dict[str, Any] | None = None
        self.hold: dict[str, Any] | None = None
        self.staff_task_opened_at: datetime | None = None
        self.staff_task_opened_by: dict[str, Any] | None = None
        self.meeting: dict[str, Any] | None = None
        self.withdrawn: dict[str, Any] | None = None
        self.case_closed: dict[str, Any] | None = None

    # ---- guards

    @property
    def closed(self) -> bool:
        return self.case_closed is not None or self.withdrawn is not None

    def check_case_open(self) -> None:
        if self.withdrawn is not None:
            raise ClosedCase(
                "the request was withdrawn by its OPD and its case is closed",
                "permohonan telah dibatalkan oleh OPD dan kasusnya sudah ditutup",
            )
        if self.case_closed is not None:
            raise ClosedCase(
                f"the case of this request is closed ({self.case_closed['outcome']})",
                "kasus permohonan ini sudah ditutup",
            )

    def check_can_create_meeting(self) -> None:
        self.check_case_open()
        if self.meeting is not None:
            raise OutOfOrder(
                f"the meeting for this request exists already ({self.meeting['meeting_id']})",
                f"rapat untuk permohonan ini sudah dibuat ({self.meeting['meeting_id']})",
            )
        if self.staff_task_opened_at is None:
            raise OutOfOrder(
                "the request has not been disposed to staff yet (SOP step 4)",
                "permohonan belum didisposisikan kepada staf (langkah 4 SOP)",
            )
        if self.hold is None:
            raise OutOfOrder(
                "no host account is held for this request: the schedule was full",
                "tidak ada akun host yang dipesan untuk permohonan ini: jadwal penuh",
            )

    # ---- changes

    @event("SlotChecked")
    def record_check(
        self,
        start: datetime,
        end: datetime,
        participants: int,
        available: bool,
        host_account: dict[str, Any] | None,
        days: list[str],
        buffer_minutes: int,
        conflicts: list[dict[str, Any]],
        alternatives: list[dict[str, Any]],
        checked_at: datetime,
        caused_by: str | None,
    ) -> None:
        self.check = {
            "available": available,
            "host_account": host_account,
            "buffer_minutes": buffer_minutes,
            "conflicts": conflicts,
            "alternatives": alternatives,
            "checked_at": checked_at,
        }
        if available and host_account is not None:
            self.hold = {**host_account, "days": days}

    @event("StaffTaskOpened")
    def open_staff_task(
        self, opened_at: datetime, disposed_by: dict[str, Any], caused_by: str | None
    ) -> None:
        self.staff_task_opened_at = opened_at
        self.staff_task_opened_by = disposed_by

    @event("MeetingRecorded")
    def record_meeting(
        self,
        meeting_id: str,
        passcode: str,
        join_url: str,
        host_account_id: str,
        host_email: str,
        topic: str,
        start: datetime,
        end: datetime,
        created_via: str,
        created_by: dict[str, Any],
        created_at: datetime,
    ) -> None:
        self.meeting = {
            "provider": "zoom",
            "meeting_id": meeting_id,
            "passcode": passcode,
            "join_url": join_url,
            "host_account_id": host_account_id,
            "host_email": host_email,
            "created_via": created_via,
            "created_by": created_by,
            "created_at": created_at,
        }

    @event("Withdrawn")
    def withdraw(
        self,
        reason: str,
        withdrawn_by: dict[str, Any],
        withdrawn_at: datetime,
        released_host_account_id: str | None,
        released_meeting_id: str | None,
        caused_by: str | None,
    ) -> None:
        self.withdrawn = {"reason": reason, "by": withdrawn_by, "at": withdrawn_at}
        self.hold = None

    @event("CaseClosedNoted")
    def note_case_closed(self, outcome: str, closed_at: datetime, caused_by: str | None) -> None:
        self.case_closed = {"outcome": outcome, "at": closed_at}

    # ---- views

    def as_dict(self) -> dict[str, Any]:
        deadline = self.staff_task_opened_at + MEETING_LIMIT if self.staff_task_opened_at else None
        minutes_taken = None
        if self.meeting is not None and self.staff_task_opened_at is not None:
            taken = self.meeting["created_at"] - self.staff_task_opened_at
            minutes_taken = round(taken.total_seconds() / 60, 1)
        return {
            "request_id": str(self.id),
            "agenda_number": self.agenda_number,
            "opd_code": self.opd_code,
            "opd_name": self.opd_name,
            "topic": self.topic,
            "start": self.start,
            "end": self.end,
            "participants": self.participants,
            "status": self.status,
            "check": self.check,
            "hold": self.hold,
            "staff_task": None
            if self.staff_task_opened_at is None
            else {
                "opened_at": self.staff_task_opened_at,
                "opened_by": self.staff_task_opened_by,
                "deadline": deadline,
                "minutes_taken": minutes_taken,
            },
            "meeting": self.meeting,
            "withdrawn": self.withdrawn,
            "case_closed": self.case_closed,
        }

    @property
    def status(self) -> str:
        if self.withdrawn is not None:
            return "withdrawn"
        if self.meeting is not None:
            return "meeting_created"
        if self.staff_task_opened_at is not None:
            return "staff_task_open"
        if self.check is not None:
            return "available" if self.check["available"] else "full"
        return "submitted"


def not_found(request_id: UUID) -> NotFound:
    return NotFound(
        f"request {request_id} is unknown to the scheduler",
        f"permohonan {request_id} tidak dikenal oleh penjadwal",
    )
