"""What the scheduler publishes: the schedule check (SOP step 4) and the meeting (step 5)."""

from __future__ import annotations

from typing import ClassVar, Literal

from shared.events.base import (
    Actor,
    Conflict,
    IntegrationEvent,
    Slot,
    UtcDateTime,
)


class SlotChecked(IntegrationEvent):
    """The schedule was checked: available (a host account is held) or full (with alternatives)."""

    event_name: ClassVar[str] = "SlotChecked"
    producer: ClassVar[str] = "scheduler"

    available: bool
    host_account_id: str | None
    host_account_name: str | None
    capacity: int | None
    start: UtcDateTime
    end: UtcDateTime
    participants: int
    buffer_minutes: int
    conflicts: list[Conflict]
    alternatives: list[Slot]
    checked_at: UtcDateTime


class MeetingCreated(IntegrationEvent):
    """A meeting exists (SOP step 5), created through the provider's API or entered by hand."""

    event_name: ClassVar[str] = "MeetingCreated"
    producer: ClassVar[str] = "scheduler"

    provider: Literal["zoom"]
    meeting_id: str
    passcode: str
    join_url: str
    host_account_id: str
    host_email: str
    topic: str
    start: UtcDateTime
    end: UtcDateTime
    created_via: Literal["api", "manual"]
    created_by: Actor
    created_at: UtcDateTime


class MeetingCancelled(IntegrationEvent):
    """A meeting (or a hold) was cancelled and the host account released."""

    event_name: ClassVar[str] = "MeetingCancelled"
    producer: ClassVar[str] = "scheduler"

    meeting_id: str | None
    host_account_id: str
    reason: str
    cancelled_by: Actor
    cancelled_at: UtcDateTime
