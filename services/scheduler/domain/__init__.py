"""The scheduler's domain: licensed Zoom host accounts (:mod:`.hosts`), the day schedules that
hold their bookings (:mod:`.schedule`), the slot check (:mod:`.policy`), the requests it
remembers (:mod:`.requests`) with what it records of them as typed values (:mod:`.values`), and
the meetings still to delete at Zoom (:mod:`.cleanup`).

The names are re-exported here, so ``from services.scheduler.domain import X`` is the way in.
"""

from __future__ import annotations

from eventsourcing.domain import Aggregate

from services.scheduler.domain.cleanup import ZoomCleanup
from services.scheduler.domain.hosts import (
    CAPACITIES,
    CONCURRENCY,
    HostAccount,
    HostAccountIndex,
    HostInfo,
    host_account_uuid,
    validate_host_account,
)
from services.scheduler.domain.namespace import NAMESPACE
from services.scheduler.domain.policy import (
    ALTERNATIVE_STEP,
    WORKDAY_END,
    WORKDAY_START,
    Slot,
    SlotDecision,
    check_slot,
    find_alternatives,
    working_days_from,
)
from services.scheduler.domain.requests import MeetingRequest, Status, not_found
from services.scheduler.domain.schedule import (
    Booking,
    DaySchedule,
    day_schedule_uuid,
    days_touched,
)
from services.scheduler.domain.values import (
    CaseClosing,
    Conflict,
    HeldAccount,
    Hold,
    Meeting,
    SlotCheck,
    StaffTask,
    Withdrawal,
)
from shared.eventstore import keep_old_topics

__all__ = [
    "ALTERNATIVE_STEP",
    "CAPACITIES",
    "CONCURRENCY",
    "NAMESPACE",
    "WORKDAY_END",
    "WORKDAY_START",
    "Booking",
    "CaseClosing",
    "Conflict",
    "DaySchedule",
    "HeldAccount",
    "Hold",
    "HostAccount",
    "HostAccountIndex",
    "HostInfo",
    "Meeting",
    "MeetingRequest",
    "Slot",
    "SlotCheck",
    "SlotDecision",
    "StaffTask",
    "Status",
    "Withdrawal",
    "ZoomCleanup",
    "check_slot",
    "day_schedule_uuid",
    "days_touched",
    "find_alternatives",
    "host_account_uuid",
    "not_found",
    "validate_host_account",
    "working_days_from",
]

AGGREGATES: tuple[type[Aggregate], ...] = (
    HostAccount,
    HostAccountIndex,
    ZoomCleanup,
    DaySchedule,
    MeetingRequest,
)


# These aggregates lived in the single module ``services.scheduler.domain`` until it became
# this package: the stores of existing installations name them by their old topics.
keep_old_topics(__name__, AGGREGATES)
