"""The bookings of the host accounts, one :class:`DaySchedule` per calendar day of the office's
time zone.

A booking is written into every day its buffered window touches, so that two checks that could
collide always write the same aggregate and the store's optimistic concurrency refuses one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID, uuid5
from zoneinfo import ZoneInfo

from eventsourcing.domain import Aggregate, event

from services.scheduler.domain.namespace import NAMESPACE


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
