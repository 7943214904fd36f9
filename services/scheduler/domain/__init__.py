"""The scheduler's domain: licensed Zoom host accounts (:mod:`.hosts`), the day schedules that
hold their bookings (:mod:`.schedule`), the slot check (:mod:`.policy`), the requests it
remembers (:mod:`.requests`) and the meetings still to delete at Zoom (:mod:`.cleanup`).

The names are re-exported here, so ``from services.scheduler.domain import X`` is the way in.
"""

from __future__ import annotations

from eventsourcing.domain import Aggregate, CanMutateAggregate
from eventsourcing.utils import register_topic

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
from services.scheduler.domain.requests import MeetingRequest, not_found
from services.scheduler.domain.schedule import (
    Booking,
    DaySchedule,
    day_schedule_uuid,
    days_touched,
)

__all__ = [
    "ALTERNATIVE_STEP",
    "CAPACITIES",
    "CONCURRENCY",
    "NAMESPACE",
    "WORKDAY_END",
    "WORKDAY_START",
    "Booking",
    "DaySchedule",
    "HostAccount",
    "HostAccountIndex",
    "HostInfo",
    "MeetingRequest",
    "Slot",
    "SlotDecision",
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


def _register_legacy_topics() -> None:
    """Stored events name their class by topic, and these aggregates lived in the single module
    ``services.scheduler.domain`` until it became this package: events and ``originator_topic``
    written before say ``services.scheduler.domain:MeetingRequest.SlotChecked``, not
    ``services.scheduler.domain.requests:...``. Registering the old topics keeps the stores of
    existing installations loadable, whatever this package goes on to re-export."""
    for aggregate in AGGREGATES:
        register_topic(f"{__name__}:{aggregate.__qualname__}", aggregate)
        for name, value in vars(aggregate).items():
            if isinstance(value, type) and issubclass(value, CanMutateAggregate):
                register_topic(f"{__name__}:{aggregate.__qualname__}.{name}", value)


_register_legacy_topics()
