"""The slot check and its alternatives.

A request is *available* when some active host account with enough participant capacity has
fewer than ``concurrent`` bookings overlapping the requested time widened by the buffer on both
sides; the smallest sufficient licence is chosen, so that big licences stay free for big
meetings. When none is, up to three free slots of the same length are offered instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from services.scheduler.domain.hosts import HostInfo
from services.scheduler.domain.schedule import Booking
from shared.errors import InvalidInput

WORKDAY_START = time(7, 30)
WORKDAY_END = time(17, 0)
ALTERNATIVE_STEP = timedelta(minutes=30)


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
