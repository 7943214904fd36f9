"""The scheduler's stored events as the rest of the system sees them (the relay publishes
these)."""

from __future__ import annotations

from typing import Any

from services.scheduler.domain import MeetingRequest
from shared.events import (
    Actor,
    Conflict,
    IntegrationEvent,
    MeetingCancelled,
    MeetingCreated,
    SlotChecked,
)
from shared.events import Slot as SlotModel

_SLOT_CHECKED: type[Any] = MeetingRequest.SlotChecked  # type: ignore[attr-defined]
_MEETING_RECORDED: type[Any] = MeetingRequest.MeetingRecorded  # type: ignore[attr-defined]
_WITHDRAWN: type[Any] = MeetingRequest.Withdrawn  # type: ignore[attr-defined]


def to_integration(domain_event: Any) -> list[IntegrationEvent]:
    """The integration events a stored domain event stands for ([] for internal ones)."""
    if isinstance(domain_event, _SLOT_CHECKED):
        return [_slot_checked(domain_event)]
    if isinstance(domain_event, _MEETING_RECORDED):
        e = domain_event
        return [
            MeetingCreated(
                request_id=e.originator_id,
                provider="zoom",
                meeting_id=e.meeting_id,
                passcode=e.passcode,
                join_url=e.join_url,
                host_account_id=e.host_account_id,
                host_email=e.host_email,
                topic=e.topic,
                start=e.start,
                end=e.end,
                created_via=e.created_via,
                created_by=Actor.model_validate(e.created_by),
                created_at=e.created_at,
            )
        ]
    if isinstance(domain_event, _WITHDRAWN) and domain_event.released_host_account_id:
        e = domain_event
        return [
            MeetingCancelled(
                request_id=e.originator_id,
                meeting_id=e.released_meeting_id,
                host_account_id=e.released_host_account_id,
                reason=e.reason,
                cancelled_by=Actor.model_validate(e.withdrawn_by),
                cancelled_at=e.withdrawn_at,
            )
        ]
    return []


def _slot_checked(e: Any) -> SlotChecked:
    host = e.host_account or {}
    return SlotChecked(
        request_id=e.originator_id,
        available=e.available,
        host_account_id=host.get("id"),
        host_account_name=host.get("name"),
        capacity=host.get("capacity"),
        start=e.start,
        end=e.end,
        participants=e.participants,
        buffer_minutes=e.buffer_minutes,
        conflicts=[Conflict.model_validate(c) for c in e.conflicts],
        alternatives=[SlotModel.model_validate(a) for a in e.alternatives],
        checked_at=e.checked_at,
    )
