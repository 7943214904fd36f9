"""What the scheduler records of a request, as typed values: the check and the licence it chose,
the hold, the staff task, the meeting, the withdrawal and the case's closing. The request's
mutators build them from its stored events' fields (:mod:`.requests`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.scheduler.domain.hosts import HostInfo
from services.scheduler.domain.policy import Slot
from services.scheduler.domain.schedule import Booking
from shared.events import Actor
from shared.procedure import MEETING_LIMIT


@dataclass(frozen=True)
class HeldAccount:
    """The licence a check chose, as the check recorded it."""

    host_account_id: str
    name: str
    email: str
    capacity: int

    @classmethod
    def of(cls, host: HostInfo) -> HeldAccount:
        return cls(host.slug, host.name, host.email, host.capacity)

    @classmethod
    def from_fields(cls, fields: Mapping[str, Any]) -> HeldAccount:
        return cls(fields["id"], fields["name"], fields["email"], fields["capacity"])

    def fields(self) -> dict[str, Any]:
        return {"id": self.host_account_id, "name": self.name, "email": self.email,
                "capacity": self.capacity}  # fmt: skip


@dataclass(frozen=True)
class Conflict:
    """A booking that kept a sufficient licence busy."""

    request_id: str
    host_account_id: str
    start: datetime
    end: datetime

    @classmethod
    def of(cls, booking: Booking) -> Conflict:
        return cls(booking.request_id, booking.host_account_id, booking.start, booking.end)

    @classmethod
    def from_fields(cls, fields: Mapping[str, Any]) -> Conflict:
        return cls(
            str(fields["request_id"]), fields["host_account_id"], fields["start"], fields["end"]
        )

    def fields(self) -> dict[str, Any]:
        return {"request_id": self.request_id, "host_account_id": self.host_account_id,
                "start": self.start, "end": self.end}  # fmt: skip


@dataclass(frozen=True)
class SlotCheck:
    """The answer of the slot check (SOP step 4): a licence held, or the schedule full with the
    bookings in the way and up to three other slots."""

    start: datetime
    end: datetime
    participants: int
    available: bool
    host: HeldAccount | None
    buffer_minutes: int
    conflicts: tuple[Conflict, ...]
    alternatives: tuple[Slot, ...]
    checked_at: datetime


@dataclass(frozen=True)
class Hold:
    """The licence held for the request, on every day its buffered window touches."""

    account: HeldAccount
    days: tuple[str, ...]


@dataclass(frozen=True)
class StaffTask:
    """The request disposed to staff (SOP step 4): the meeting is due within 15 minutes."""

    opened_at: datetime
    opened_by: Actor

    @property
    def deadline(self) -> datetime:
        return self.opened_at + MEETING_LIMIT


@dataclass(frozen=True)
class Meeting:
    """The Zoom meeting of the request (SOP step 5), made through the API or entered by hand."""

    meeting_id: str
    passcode: str
    join_url: str
    host_account_id: str
    host_email: str
    created_via: str
    created_by: Actor
    created_at: datetime
    provider: str = "zoom"


@dataclass(frozen=True)
class Withdrawal:
    reason: str
    by: Actor
    at: datetime


@dataclass(frozen=True)
class CaseClosing:
    outcome: str
    at: datetime
